"""Matting service configuration (IDPHOTO_MATTING_*)."""

from __future__ import annotations

from dataclasses import dataclass

from idphoto.models.runtime import KNOWN_PROVIDERS


@dataclass(frozen=True)
class MattingConfig:
    model: str = "rvm-mobilenetv3"
    providers: tuple[str, ...] = ("cuda", "cpu")
    intra_op_threads: int = 0
    max_side: int = 1024          # the region's longest side is reduced to this before inference
    rvm_downsample: float = 0.0   # 0 = auto: RVM's internal resolution ≈ 512 px on the longest side

    def validate(self) -> list[str]:
        problems = []
        unknown = [p for p in self.providers if p.lower() not in KNOWN_PROVIDERS]
        if unknown:
            problems.append(f"IDPHOTO_MATTING_PROVIDERS: unknown {', '.join(unknown)} "
                            f"(known: {', '.join(KNOWN_PROVIDERS)})")
        if not self.providers:
            problems.append("IDPHOTO_MATTING_PROVIDERS must name at least one provider")
        if self.intra_op_threads < 0:
            problems.append("IDPHOTO_MATTING_INTRA_OP_THREADS must be ≥ 0")
        if not 128 <= self.max_side <= 4096:
            problems.append("IDPHOTO_MATTING_MAX_SIDE must be within 128..4096")
        if not 0.0 <= self.rvm_downsample <= 1.0:
            problems.append("IDPHOTO_MATTING_RVM_DOWNSAMPLE must be within 0..1 (0 = auto)")
        if not self.model:
            problems.append("IDPHOTO_MATTING_MODEL must not be empty")
        return problems

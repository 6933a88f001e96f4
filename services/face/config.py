"""Face service configuration (IDPHOTO_FACE_*)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class FaceConfig:
    multiple_faces: Literal["error", "largest"] = "error"
    min_score: float = 0.9               # faces below this confidence are ignored
    secondary_face_ratio: float = 0.35   # a second face counts only if its width is ≥ this share of the largest
    detect_max_side: int = 1024          # detection runs on a copy no larger than this
    min_face_share: float = 0.06         # smallest face searched, as a share of the shorter side
    providers: tuple[str, ...] = ("cuda", "cpu")
    intra_op_threads: int = 0

    def validate(self) -> list[str]:
        problems = []
        if not 0.0 < self.min_score <= 1.0:
            problems.append("IDPHOTO_FACE_MIN_SCORE must be in (0, 1]")
        if not 0.0 < self.secondary_face_ratio <= 1.0:
            problems.append("IDPHOTO_FACE_SECONDARY_FACE_RATIO must be in (0, 1]")
        if self.detect_max_side < 160:
            problems.append("IDPHOTO_FACE_DETECT_MAX_SIDE must be at least 160")
        if not 0.0 < self.min_face_share < 1.0:
            problems.append("IDPHOTO_FACE_MIN_FACE_SHARE must be in (0, 1)")
        if self.intra_op_threads < 0:
            problems.append("IDPHOTO_FACE_INTRA_OP_THREADS must be ≥ 0")
        return problems

"""Batch settings (env ``IDPHOTO_BATCH_<FIELD>`` via ``load_config(BatchConfig, "BATCH")``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BatchConfig:
    max_items: int = 10_000            # rows of a CSV, entries of a zip, JSON items
    max_file_mb: int = 60              # a CSV or zip sent to CreateBatch (REST too); within the gateway's gRPC
                                       # message size (IDPHOTO_GATEWAY_MAX_MESSAGE_MB, 64) with room for the rest
    default_concurrency: int = 4       # items of one batch processed at once, unless the request asks for fewer
    max_concurrency: int = 32          # the most a request may ask for
    tenant_concurrency: int = 16       # batch items of one tenant processed at once, over all its batches
    max_archive_mb: int = 2000         # the photo zip of one batch (spooled on the worker's disk, then stored)
    lock_ttl_s: float = 600.0          # the runner's per-batch lock (covers building a large archive)
    sweep_interval_s: float = 2.0      # how often workers look at running batches (settled jobs also wake them)

    def validate(self) -> list[str]:
        problems = []
        for name in ("max_items", "max_file_mb", "default_concurrency", "max_concurrency", "tenant_concurrency",
                     "max_archive_mb"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1 (got {getattr(self, name)})")
        if self.default_concurrency > self.max_concurrency:
            problems.append("default_concurrency must not exceed max_concurrency")
        if self.lock_ttl_s <= 0 or self.sweep_interval_s <= 0:
            problems.append("lock_ttl_s and sweep_interval_s must be positive")
        return problems

    def concurrency(self, requested: int) -> int:
        """Items of a batch run at once: the request's wish (0 = default), capped."""
        return max(1, min(requested or self.default_concurrency, self.max_concurrency))

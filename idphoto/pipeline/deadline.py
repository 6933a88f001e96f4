"""A deadline checked between pipeline stages (and a cancel hook for jobs)."""

from __future__ import annotations

import time
from collections.abc import Callable

from idphoto.errors import CancelledError, DeadlineExceededError


class Deadline:
    def __init__(self, seconds: float | None = None, cancelled: Callable[[], bool] | None = None) -> None:
        self._end = None if seconds is None else time.monotonic() + seconds
        self._cancelled = cancelled

    def remaining(self) -> float | None:
        return None if self._end is None else max(0.0, self._end - time.monotonic())

    def check(self, next_stage: str) -> None:
        if self._cancelled is not None and self._cancelled():
            raise CancelledError(f"cancelled before {next_stage}", stage=next_stage)
        if self._end is not None and time.monotonic() >= self._end:
            raise DeadlineExceededError(f"deadline passed before {next_stage}", stage=next_stage)

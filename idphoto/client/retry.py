"""Retry policy of the public client: exponential backoff with jitter, on UNAVAILABLE only."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import grpc

from idphoto.rpc.errors import error_from_rpc

T = TypeVar("T")
RETRYABLE = frozenset({grpc.StatusCode.UNAVAILABLE})


@dataclass(frozen=True)
class Backoff:
    retries: int = 4              # attempts after the first one
    initial_s: float = 0.2
    max_s: float = 5.0
    multiplier: float = 2.0

    def delay(self, attempt: int) -> float:
        """Sleep before retry ``attempt`` (0-based): the capped exponential step, jittered to 50–100 %."""
        step = min(self.max_s, self.initial_s * self.multiplier ** attempt)
        return random.uniform(step / 2, step)


def retryable(err: grpc.RpcError) -> bool:
    code = err.code() if callable(getattr(err, "code", None)) else None
    return code in RETRYABLE


def call_with_retry(attempt: Callable[[int], T], backoff: Backoff, retry: bool = True,
                    sleep: Callable[[float], None] = time.sleep) -> T:
    """``attempt(n)`` until it returns; a retryable failure is retried (when ``retry``) up to ``backoff.retries``
    times. Any other failure, or the last one, is raised as the typed IdPhotoError (``error_from_rpc``)."""
    n = 0
    while True:
        try:
            return attempt(n)
        except grpc.RpcError as err:
            if not (retry and retryable(err) and n < backoff.retries):
                raise error_from_rpc(err) from err
            sleep(backoff.delay(n))
            n += 1

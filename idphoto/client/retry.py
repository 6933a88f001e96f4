"""Retry policy of the public client: exponential backoff with jitter on UNAVAILABLE; on RESOURCE_EXHAUSTED with a
``retry-after`` (the gateway's rate limit and job quota) it waits as long as the server says, then tries again."""

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


def retry_after(err: grpc.RpcError, limit_s: float = 60.0) -> float | None:
    """Seconds a RESOURCE_EXHAUSTED error asks the caller to wait (its ``retry-after`` trailer), else None."""
    code = err.code() if callable(getattr(err, "code", None)) else None
    if code != grpc.StatusCode.RESOURCE_EXHAUSTED or not callable(getattr(err, "trailing_metadata", None)):
        return None
    for key, value in err.trailing_metadata() or ():
        if key == "retry-after" and str(value).strip().isdigit():
            return min(float(value), limit_s)
    return None


def call_with_retry(attempt: Callable[[int], T], backoff: Backoff, retry: bool = True,
                    sleep: Callable[[float], None] = time.sleep) -> T:
    """``attempt(n)`` until it returns; a retryable failure is retried (when ``retry``) up to ``backoff.retries``
    times. Any other failure, or the last one, is raised as the typed IdPhotoError (``error_from_rpc``)."""
    n = 0
    while True:
        try:
            return attempt(n)
        except grpc.RpcError as err:
            wait = retry_after(err)
            if not (retry and (retryable(err) or wait is not None) and n < backoff.retries):
                raise error_from_rpc(err) from err
            sleep(backoff.delay(n) if wait is None else wait)
            n += 1

"""The loop every long-running gateway thread runs (workers, settler, background steps): call a step until told
to stop; a Redis outage is waited out with exponential backoff, any other failure is logged and waited out too,
so a thread never dies of one bad step."""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis

from idphoto.log import get_logger

log = get_logger("idphoto.loops")
FIRST_BACKOFF_S, MAX_BACKOFF_S = 0.5, 15.0


def run_until(stop: threading.Event, step: Callable[[], object], name: str, interval_s: float = 0.0) -> None:
    """``step()`` until ``stop`` is set, waiting ``interval_s`` between steps (0: at once; a blocking step sets
    its own pace)."""
    backoff = FIRST_BACKOFF_S
    while not stop.is_set():
        try:
            step()
            backoff = FIRST_BACKOFF_S
        except redis.RedisError as exc:
            log.warning("Redis unavailable, retrying", loop=name, error=str(exc), retry_in_s=backoff)
        except Exception:                           # a bug must not end the loop for good: log it, wait, go on
            log.exception("loop step failed", loop=name, retry_in_s=backoff)
        else:
            if interval_s:
                stop.wait(interval_s)
            continue
        stop.wait(backoff)
        backoff = min(backoff * 2, MAX_BACKOFF_S)

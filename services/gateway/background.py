"""The work every worker process does besides jobs: settle jobs (quota, batches, job webhooks), deliver webhooks,
sweep running batches, and delete expired files. Each loop is safe to run in many processes at once: the settled
stream is a consumer group, webhook claims and batch steps are atomic or locked, the janitor holds a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable

import redis

from idphoto.errors import IdPhotoError
from idphoto.log import get_logger
from services.gateway.retention import Janitor
from services.gateway.settler import Settler, settled_queue
from services.gateway.wiring import GatewayParts

log = get_logger("idphoto.background")


def _every(stop: threading.Event, interval_s: float, step: Callable[[], object], name: str) -> None:
    """Run ``step`` every ``interval_s`` until ``stop``; failures are logged, never fatal."""
    while not stop.is_set():
        try:
            step()
        except (redis.RedisError, IdPhotoError, OSError) as exc:
            log.warning("background step failed", loop=name, error=str(exc))
        except Exception:                           # a bug must not silently end the loop for good
            log.exception("background step failed unexpectedly", loop=name)
        stop.wait(interval_s)


def background_loops(parts: GatewayParts, consumer: str, janitor_interval_s: float = 30.0,
                     webhook_interval_s: float = 0.5) -> dict[str, Callable[[threading.Event], None]]:
    """name -> loop(stop) for the settler, the webhook sender, the batch sweep and the janitor."""
    core, prefix = parts.core, parts.jobs_config.key_prefix
    settler = Settler(core.jobs, settled_queue(parts.redis, prefix), core.store, f"{consumer}-settler",
                      runner=parts.runner, notifier=core.notifier, limiter=core.limiter, retention=parts.retention)
    janitor = Janitor(parts.redis, core.store, prefix)
    sweep_s = parts.extra.batch.sweep_interval_s
    return {
        "settler": settler.run_forever,
        "webhooks": lambda stop: _every(stop, webhook_interval_s, parts.webhooks.deliver_due, "webhooks"),
        "batches": lambda stop: _every(stop, sweep_s, parts.runner.sweep, "batches"),
        "janitor": lambda stop: janitor.run_forever(stop, janitor_interval_s),
    }


def start_background(parts: GatewayParts, consumer: str, stop: threading.Event,
                     janitor_interval_s: float = 30.0) -> list[threading.Thread]:
    threads = [threading.Thread(target=loop, args=(stop,), name=f"{consumer}-{name}", daemon=True)
               for name, loop in background_loops(parts, consumer, janitor_interval_s).items()]
    for thread in threads:
        thread.start()
    return threads

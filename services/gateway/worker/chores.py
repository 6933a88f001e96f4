"""The work every worker process does besides jobs: settle jobs (quota, batches, job webhooks), deliver webhooks,
sweep running batches, and delete expired files. Each loop is safe to run in many processes at once: the settled
stream is a consumer group, webhook claims and batch steps are atomic or locked, the janitor holds a lock."""

from __future__ import annotations

import threading
from collections.abc import Callable

from services.gateway.storage.retention import Janitor
from services.gateway.wiring import GatewayParts
from services.gateway.worker.loops import run_until
from services.gateway.worker.settler import Settler, settled_queue


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
        "webhooks": lambda stop: run_until(stop, parts.webhooks.deliver_due, "webhooks", webhook_interval_s),
        "batches": lambda stop: run_until(stop, parts.runner.sweep, "batches", sweep_s),
        "janitor": lambda stop: janitor.run_forever(stop, janitor_interval_s),
    }


def start_background(parts: GatewayParts, consumer: str, stop: threading.Event,
                     janitor_interval_s: float = 30.0) -> list[threading.Thread]:
    threads = [threading.Thread(target=loop, args=(stop,), name=f"{consumer}-{name}", daemon=True)
               for name, loop in background_loops(parts, consumer, janitor_interval_s).items()]
    for thread in threads:
        thread.start()
    return threads

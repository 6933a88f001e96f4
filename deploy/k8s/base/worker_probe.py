"""Exec probes of the worker pods (mounted from the ConfigMap idphoto-worker-probe; workers have no port).

    python /etc/idphoto/probe/worker_probe.py ready   # Redis answers PING with the worker's own IDPHOTO_JOBS_*
    python /etc/idphoto/probe/worker_probe.py live    # no consumer of this pod has been silent for too long

A worker process runs IDPHOTO_WORKER_THREADS consumers named "<IDPHOTO_WORKER_CONSUMER>-<i>" (the pod name, set
from the downward API). Each one calls XREADGROUP/XAUTOCLAIM on the work stream at least once a second while it
is idle, which resets its "idle" time in XINFO CONSUMERS; while it works on an item the time grows, but never past
the stage deadlines (IDPHOTO_WORKER_STAGE_A_DEADLINE_S + _STAGE_B_DEADLINE_S), which cap every call it makes.
``live`` fails only when a consumer of this pod has been idle longer than that plus a margin: the process is alive
but stuck, and a restart is the cure. Anything else (Redis unreachable, the group or the consumers not created
yet) passes ``live``, so a Redis outage makes workers unready rather than restarting them all in a loop.
"""

from __future__ import annotations

import os
import sys

MARGIN_S = 60.0


def _configs():
    from idphoto.config import load_config
    from services.gateway.config import WorkerConfig
    from services.gateway.jobs.config import JobsConfig

    return load_config(JobsConfig, "JOBS"), load_config(WorkerConfig, "WORKER")


def ready() -> int:
    import redis

    from services.gateway.jobs.config import connect

    jobs, _ = _configs()
    client = connect(jobs)
    try:
        client.ping()
    except redis.RedisError as exc:
        print(f"not ready: Redis does not answer: {exc}", file=sys.stderr)
        return 1
    finally:
        client.close()
    return 0


def stuck_consumers(consumers: list[dict], prefix: str, limit_ms: float) -> list[str]:
    """The names of this pod's consumers (``<prefix>-<i>``) idle for longer than ``limit_ms``."""
    mine = [c for c in consumers if str(c.get("name", "")).rpartition("-")[0] == prefix]
    return [str(c["name"]) for c in mine if float(c.get("idle", 0)) > limit_ms]


def live() -> int:
    import redis

    from services.gateway.jobs.config import connect

    jobs, worker = _configs()
    prefix = worker.consumer_name()
    limit_ms = 1000.0 * (worker.stage_a_deadline_s + worker.stage_b_deadline_s + MARGIN_S)
    client = connect(jobs)
    try:
        consumers = client.xinfo_consumers(jobs.work_stream, jobs.work_group)
    except redis.RedisError as exc:      # unreachable, or no stream/group yet: not a liveness matter
        print(f"live (not checked: {exc})", file=sys.stderr)
        return 0
    finally:
        client.close()
    stuck = stuck_consumers(consumers, prefix, limit_ms)
    if stuck:
        print(f"not live: {', '.join(stuck)} silent for more than {limit_ms / 1000:.0f}s", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[1] not in ("ready", "live"):
        print("usage: worker_probe.py ready|live", file=sys.stderr)
        return 2
    os.environ.setdefault("IDPHOTO_WORKER_LOG_LEVEL", "WARNING")
    return ready() if argv[1] == "ready" else live()


if __name__ == "__main__":
    sys.exit(main(sys.argv))

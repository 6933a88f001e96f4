"""Exec probes of the worker pods (mounted from the ConfigMap idphoto-worker-probe; workers have no port).

    python /etc/idphoto/probe/worker_probe.py ready   # Redis answers PING with the worker's own IDPHOTO_JOBS_*
    python /etc/idphoto/probe/worker_probe.py live    # no consumer of this pod is stuck

A worker process runs IDPHOTO_WORKER_THREADS consumers named "<IDPHOTO_WORKER_CONSUMER>-<i>" (the pod name, set
from the downward API). A healthy one acknowledges every item within the stage deadlines
(IDPHOTO_WORKER_STAGE_A_DEADLINE_S + _STAGE_B_DEADLINE_S cap every call it makes) and, in its claim loop, takes
back its own abandoned items after IDPHOTO_JOBS_VISIBILITY_TIMEOUT_S. ``live`` fails when a consumer of this pod

* still holds a delivered item past both of those limits (plus a margin): the process is alive but its loop no
  longer runs (any Redis version), or
* on Redis >= 7.2 (whose XINFO CONSUMERS "idle" counts from the last read *attempt*; older versions count from
  the last delivery, which says nothing about an idle worker), has not tried to read for longer than the stage
  deadlines plus the margin.

A restart is the cure for both. Anything else (Redis unreachable, no stream, group or consumer yet) passes
``live``, so a Redis outage makes workers unready rather than restarting them all in a loop.
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
    """This pod's consumers (``<prefix>-<i>``) that have not tried to read for longer than ``limit_ms``; only
    answerable on Redis >= 7.2 (its XINFO CONSUMERS reports "inactive" and counts "idle" from the last attempt)."""
    return [str(c["name"]) for c in own(consumers, prefix) if "inactive" in c and float(c["idle"]) > limit_ms]


def stale_holders(pending: list[dict], limit_ms: float) -> list[str]:
    """Consumers holding an item delivered longer than ``limit_ms`` ago (XPENDING entries)."""
    return sorted({str(e["consumer"]) for e in pending if float(e["time_since_delivered"]) > limit_ms})


def own(consumers: list[dict], prefix: str) -> list[dict]:
    return [c for c in consumers if str(c.get("name", "")).rpartition("-")[0] == prefix]


def live() -> int:
    import redis

    from services.gateway.jobs.config import connect

    jobs, worker = _configs()
    prefix = worker.consumer_name()
    deadlines_s = worker.stage_a_deadline_s + worker.stage_b_deadline_s
    silent_ms = 1000.0 * (deadlines_s + MARGIN_S)
    held_ms = 1000.0 * (max(deadlines_s, jobs.visibility_timeout_s) + MARGIN_S)
    client = connect(jobs)
    try:
        consumers = client.xinfo_consumers(jobs.work_stream, jobs.work_group)
        stuck = set(stuck_consumers(consumers, prefix, silent_ms))
        for consumer in own(consumers, prefix):
            if int(consumer.get("pending", 0)) > 0:
                entries = client.xpending_range(jobs.work_stream, jobs.work_group, "-", "+", 100,
                                                consumername=consumer["name"])
                stuck.update(stale_holders(entries, held_ms))
    except redis.RedisError as exc:      # unreachable, or no stream/group yet: not a liveness matter
        print(f"live (not checked: {exc})", file=sys.stderr)
        return 0
    finally:
        client.close()
    if stuck:
        print(f"not live: {', '.join(sorted(stuck))} stuck (silent for more than {silent_ms / 1000:.0f}s or "
              f"holding an item for more than {held_ms / 1000:.0f}s)", file=sys.stderr)
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

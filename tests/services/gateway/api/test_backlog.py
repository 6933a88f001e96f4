"""The backlog gauges count what waits in Redis: work, settled jobs, webhooks, running batches, due deletions."""

from __future__ import annotations

import time

import prometheus_client
from prometheus_client import CollectorRegistry

from services.gateway.api.backlog import BacklogCollector
from services.gateway.api.server import register_backlog


def _gauges(registry) -> dict[str, float]:
    text = prometheus_client.generate_latest(registry).decode()
    return {line.split()[0]: float(line.split()[1]) for line in text.splitlines()
            if line.startswith("idphoto_") and " " in line}


def test_gauges_follow_what_waits(parts, redis_client, key_prefix):
    registry = CollectorRegistry()
    register_backlog(parts, registry)
    assert set(_gauges(registry).values()) == {0.0}
    parts.core.queue.enqueue("job-1", "stage_a")
    parts.core.queue.enqueue("job-2", "stage_a")
    parts.core.queue.claim("w", count=1)
    redis_client.xadd(f"{key_prefix}:settled", {"job_id": "job-1", "task": "settle", "payload": "{}"})
    parts.webhooks.enqueue("default", "https://hooks.example.com/x", b"s", b"{}")
    redis_client.sadd(f"{key_prefix}:batches:active", "b1")
    parts.retention.track("t/default/jobs/j1/", f"{key_prefix}:job:j1", time.time() - 1)
    parts.retention.track("t/default/jobs/j2/", f"{key_prefix}:job:j2", time.time() + 3600)
    assert _gauges(registry) == {"idphoto_work_pending": 1.0, "idphoto_work_stream_length": 2.0,
                                 "idphoto_settle_backlog": 1.0, "idphoto_webhooks_waiting": 1.0,
                                 "idphoto_batches_running": 1.0, "idphoto_retention_due": 1.0}


def test_a_scrape_survives_redis_being_down():
    import redis

    down = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    registry = CollectorRegistry()
    registry.register(BacklogCollector(down, "p", "p:work", "workers"))
    assert _gauges(registry) == {}

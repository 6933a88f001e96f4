"""Redis for tests (see edges.serve.redis_server): ``REDIS_URL`` when set, else a private redis-server."""

from __future__ import annotations

import uuid

import redis

from edges.serve.redis_server import free_port, private_redis_server, redis_server_binary  # noqa: F401
from edges.serve.redis_server import redis_url_or_private as redis_url_for_tests  # noqa: F401


def unique_prefix(label: str = "test") -> str:
    return f"idphoto-test:{label}:{uuid.uuid4().hex[:12]}"


def delete_prefix(client: redis.Redis, prefix: str) -> int:
    """Remove every key under ``prefix`` (SCAN, so it is safe on a shared Redis)."""
    removed = 0
    batch = []
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        batch.append(key)
        if len(batch) >= 500:
            removed += client.delete(*batch)
            batch = []
    if batch:
        removed += client.delete(*batch)
    return removed

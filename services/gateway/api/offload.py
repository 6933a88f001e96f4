"""Core calls from the async servicers: run in a thread (they talk to Redis and the object store synchronously)."""

from __future__ import annotations

import asyncio

import redis

from idphoto.errors import ServiceUnavailableError


async def off_loop(fn, *args, **kwargs):
    """Run a core call in a thread; a Redis outage is SERVICE_UNAVAILABLE (clients retry it), not INTERNAL."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except redis.RedisError as exc:
        raise ServiceUnavailableError("the job store is unavailable, retry shortly",
                                      cause=type(exc).__name__) from exc

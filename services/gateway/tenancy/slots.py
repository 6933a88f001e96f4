"""Bounded pools of concurrency slots in Redis (one sorted set per pool, members scored by their expiry).

``acquire`` is one Lua step, so racing processes never hand out more than ``limit`` slots; it is idempotent per
member. A slot whose holder crashed before releasing it frees itself when its expiry passes. Used for the
concurrent-job quota of an API key and for the batch items a tenant runs at once.
"""

from __future__ import annotations

import time

import redis

ACQUIRE = """
-- KEYS: pool sorted set; ARGV: member, limit, now, slot ttl s
local now = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return {0, redis.call('ZCARD', KEYS[1])}
end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('EXPIRE', KEYS[1], math.ceil(ttl) + 60)
return {1, redis.call('ZCARD', KEYS[1])}
"""


class SlotPool:
    def __init__(self, redis_client: redis.Redis, slot_ttl_s: float = 86400.0) -> None:
        if not slot_ttl_s > 0:
            raise ValueError("slot_ttl_s must be positive")
        self.redis = redis_client
        self.slot_ttl_s = float(slot_ttl_s)
        self._acquire = redis_client.register_script(ACQUIRE)

    def acquire(self, pool: str, member: str, limit: int, now: float | None = None) -> tuple[bool, int]:
        """Take a slot of ``pool`` for ``member`` if fewer than ``limit`` are held: (taken, slots held now)."""
        now = time.time() if now is None else float(now)
        ok, held = self._acquire(keys=[pool], args=[member, int(limit), repr(now), repr(self.slot_ttl_s)])
        return int(ok) == 1, int(held)

    def release(self, pool: str, member: str) -> bool:
        """Give ``member``'s slot back (True if it held one)."""
        return bool(self.redis.zrem(pool, member))

    def held(self, pool: str, now: float | None = None) -> int:
        """Slots held now (expired ones not counted)."""
        now = time.time() if now is None else float(now)
        return int(self.redis.zcount(pool, f"({now!r}", "+inf"))


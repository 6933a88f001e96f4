"""Per-API-key limits in Redis: a token bucket for requests and a quota of concurrent jobs.

Both are one Lua script each, so racing gateways never let more through than the limit. The bucket refills at
``rate_per_s`` up to ``burst`` tokens; a request takes one token or gets ``RateLimitedError`` with
``retry_after_s`` = the time until one token is back. Job slots live in a sorted set scored by their expiry, so
a slot a crashed gateway never released frees itself after ``job_slot_ttl_s``.

The gateway calls check() per request after authentication, acquire() when it accepts a job (or a finalize) and
release() when the job settles (services.gateway.worker.settler).
"""

from __future__ import annotations

import math
from typing import Any

import redis

from idphoto.errors import InvalidOptionError, RateLimitedError
from services.gateway.kv.keys import RedisKeys
from services.gateway.kv.values import as_text
from services.gateway.tenancy.slots import SlotPool

_TAKE = """
-- KEYS: bucket hash; ARGV: rate per s, burst, now ('' = the Redis clock)
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
if now > ts then tokens = math.min(burst, tokens + (now - ts) * rate) else now = ts end
local allowed = 0
local wait = 0
if tokens >= 1 - 1e-9 then  -- tolerate float error in the refill sum
  tokens = math.max(0, tokens - 1)
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 60)
return {allowed, string.format('%.17g', wait)}
"""




def ceil_seconds(seconds: float) -> str:
    """A ``Retry-After`` value: whole seconds, at least 1."""
    return str(max(1, math.ceil(seconds)))


class RateLimiter:
    def __init__(self, redis_client: redis.Redis, rate_per_s: float, burst: int, max_concurrent_jobs: int,
                 prefix: str = "idphoto", job_slot_ttl_s: float = 86400.0, busy_retry_after_s: float = 1.0) -> None:
        if not rate_per_s > 0 or burst < 1 or max_concurrent_jobs < 1 or not job_slot_ttl_s > 0:
            raise InvalidOptionError("rate_per_s, burst, max_concurrent_jobs and job_slot_ttl_s must be positive")
        self.redis = redis_client
        self.keys = RedisKeys(prefix)
        self.rate_per_s = float(rate_per_s)
        self.burst = int(burst)
        self.max_concurrent_jobs = int(max_concurrent_jobs)
        self.job_slot_ttl_s = float(job_slot_ttl_s)
        self.busy_retry_after_s = float(busy_retry_after_s)
        self._take = redis_client.register_script(_TAKE)
        self.slots = SlotPool(redis_client, self.job_slot_ttl_s)

    @classmethod
    def from_config(cls, redis_client: redis.Redis, config: Any, prefix: str = "idphoto") -> RateLimiter:
        """From an ``AuthConfig``."""
        return cls(redis_client, config.rate_per_s, config.burst, config.max_concurrent_jobs, prefix=prefix,
                   job_slot_ttl_s=config.job_slot_ttl_s)

    def check(self, key_id: str, now: float | None = None) -> None:
        """Take one token from the key's bucket or raise ``RateLimitedError`` (details: ``retry_after_s``)."""
        allowed, wait = self._take(keys=[self.keys.bucket(key_id)],
                                   args=[self.rate_per_s, self.burst, "" if now is None else repr(float(now))])
        if int(allowed) != 1:
            retry_after_s = max(float(as_text(wait)), 0.001)
            raise RateLimitedError(f"rate limit of {self.rate_per_s:g}/s (burst {self.burst}) reached; retry "
                                   f"after {retry_after_s:.3f} s", retry_after_s=retry_after_s,
                                   retry_after_header=ceil_seconds(retry_after_s))

    def acquire(self, key_id: str, job_id: str, now: float | None = None) -> None:
        """Hold one concurrent-job slot for ``job_id`` (idempotent); ``RateLimitedError`` when all are taken."""
        ok, held = self.slots.acquire(self.keys.job_slots(key_id), job_id, self.max_concurrent_jobs, now)
        if not ok:
            raise RateLimitedError(f"{int(held)} jobs of this API key are still running (limit "
                                   f"{self.max_concurrent_jobs})", retry_after_s=self.busy_retry_after_s,
                                   retry_after_header=ceil_seconds(self.busy_retry_after_s),
                                   max_concurrent_jobs=self.max_concurrent_jobs)

    def release(self, key_id: str, job_id: str) -> bool:
        """Give the job's slot back (True if it held one)."""
        return self.slots.release(self.keys.job_slots(key_id), job_id)

    def running(self, key_id: str, now: float | None = None) -> int:
        """Slots currently held (expired ones not counted)."""
        return self.slots.held(self.keys.job_slots(key_id), now)

"""Deleting stored objects once the Redis records that own them have expired.

Redis TTLs expire the job, upload and batch records; their files live in the object store, which has no TTL.
Whoever writes a record also calls ``RetentionIndex.track(object_prefix, redis_key, expire_at)``. The index is two
keys (``kv.keys``: the retention schedule, a sorted set of object prefixes scored by when they may be deleted and
only ever moved later, and the owners hash, object prefix -> the Redis key that governs its life).

The ``Janitor`` sweeps due prefixes. A prefix whose governing key still exists was written again since, so it is
re-scored to that key's expiry; otherwise its objects are deleted and it leaves the index. A Redis lock keeps one
sweeper at a time across processes. The S3 lifecycle rule (see ``storage.s3``) is the backstop for anything missed.
"""

from __future__ import annotations

import secrets
import threading
import time

import redis

from idphoto.log import get_logger
from services.gateway.kv.keys import RedisKeys
from services.gateway.kv.values import as_text
from services.gateway.storage.base import ObjectStore, key_problem

# KEYS: sorted set, hash. ARGV: object prefix, expire_at, governing redis key. Keeps the later score.
_TRACK = """
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if (not current) or tonumber(current) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return 1
"""

# KEYS: sorted set, hash. ARGV: object prefix, the score it was swept at. A prefix tracked again meanwhile stays.
_FORGET = """
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if current and tonumber(current) > tonumber(ARGV[2]) then
  return 0
end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
"""

# KEYS: lock. ARGV: token, ttl ms ('' releases). Acts only while the lock is still ours.
_IF_OURS = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] == '' then
  return redis.call('DEL', KEYS[1])
end
return redis.call('PEXPIRE', KEYS[1], ARGV[2])
"""


def check_object_prefix(object_prefix: str) -> str:
    """An object prefix the janitor may delete: a valid key followed by ``/`` (so ``1/`` never matches ``10/``)."""
    if not isinstance(object_prefix, str) or not object_prefix.endswith("/"):
        raise ValueError(f"an object prefix must end with '/' (got {object_prefix!r})")
    problem = key_problem(object_prefix[:-1])
    if problem is not None:
        raise ValueError(f"invalid object prefix {object_prefix!r}: {problem}")
    return object_prefix


class RetentionIndex:
    """Which object prefixes to delete when, and which Redis key governs each one's life."""

    def __init__(self, redis_client: redis.Redis, prefix: str = "idphoto") -> None:
        self.redis = redis_client
        self.schedule_key = RedisKeys(prefix).retention_schedule()
        self.owners_key = RedisKeys(prefix).retention_owners()
        self._track = redis_client.register_script(_TRACK)

    def track(self, object_prefix: str, redis_key: str, expire_at: float) -> None:
        """Delete ``object_prefix`` once ``redis_key`` is gone, not before ``expire_at`` (a later call may only
        postpone it)."""
        check_object_prefix(object_prefix)
        if not redis_key:
            raise ValueError("track needs the governing redis key")
        self._track(keys=[self.schedule_key, self.owners_key], args=[object_prefix, repr(float(expire_at)),
                                                                      redis_key])


class Janitor:
    """Sweeps due object prefixes out of the store, one process at a time (a Redis lock)."""

    def __init__(self, redis_client: redis.Redis, store: ObjectStore, prefix: str = "idphoto", batch_size: int = 100,
                 lock_ttl_s: float = 60.0, fallback_s: float = 86400.0) -> None:
        if batch_size < 1 or lock_ttl_s <= 0 or fallback_s <= 0:
            raise ValueError("batch_size, lock_ttl_s and fallback_s must be positive")
        self.redis = redis_client
        self.store = store
        self.index = RetentionIndex(redis_client, prefix)
        self.lock_key = RedisKeys(prefix).retention_lock()
        self.batch_size = int(batch_size)
        self.lock_ttl_ms = max(1, int(lock_ttl_s * 1000))
        self.fallback_s = float(fallback_s)
        self._forget = redis_client.register_script(_FORGET)
        self._if_ours = redis_client.register_script(_IF_OURS)
        self._log = get_logger(__name__)

    def run_once(self, now: float | None = None) -> int:
        """Sweep every prefix due at ``now`` (default: the clock); the number deleted, 0 if another process sweeps."""
        token = secrets.token_hex(16)
        if not self.redis.set(self.lock_key, token, nx=True, px=self.lock_ttl_ms):
            return 0
        try:
            return self._sweep(time.time() if now is None else float(now), token)
        finally:
            self._if_ours(keys=[self.lock_key], args=[token, ""])

    def run_forever(self, stop: threading.Event, interval_s: float = 30.0) -> None:
        """``run_once`` every ``interval_s`` until ``stop`` is set; errors are logged, never raised."""
        while not stop.is_set():
            try:
                deleted = self.run_once()
                if deleted:
                    self._log.info("retention.swept", deleted=deleted)
            except Exception as exc:  # noqa: BLE001 - Redis or store trouble: try again next round
                self._log.warning("retention.sweep_failed", error=str(exc), error_type=type(exc).__name__)
            stop.wait(interval_s)

    def _sweep(self, now: float, token: str) -> int:
        deleted = failed = 0
        while True:
            due = self.redis.zrangebyscore(self.index.schedule_key, "-inf", repr(now), start=failed,
                                           num=self.batch_size, withscores=True)
            if not due:
                return deleted
            for object_prefix, score in due:
                outcome = self._settle(object_prefix, score, now)
                deleted += outcome == "deleted"
                failed += outcome == "failed"     # failed ones stay due and sort first: skip them next round
            if not self._if_ours(keys=[self.lock_key], args=[token, self.lock_ttl_ms]):
                self._log.warning("retention.lock_lost", lock=self.lock_key)
                return deleted

    def _settle(self, object_prefix: str | bytes, score: float, now: float) -> str:
        """Re-score, delete or leave one due prefix: "rescored", "deleted" or "failed"."""
        object_prefix = as_text(object_prefix)
        owner = self.redis.hget(self.index.owners_key, object_prefix)
        owner = None if owner is None else as_text(owner)
        ttl_ms = self.redis.pttl(owner) if owner else -2
        if ttl_ms != -2:        # the governing key is still there: it was written again since
            remaining_s = self.fallback_s if ttl_ms < 0 else max(ttl_ms, 1) / 1000
            self.index.track(object_prefix, owner, now + remaining_s)
            return "rescored"
        try:
            count = self.store.delete_prefix(check_object_prefix(object_prefix))
        except Exception as exc:  # noqa: BLE001 - any store failure: the prefix stays for the next run
            self._log.warning("retention.delete_failed", object_prefix=object_prefix, error=str(exc),
                              error_type=type(exc).__name__)
            return "failed"
        self._forget(keys=[self.index.schedule_key, self.index.owners_key], args=[object_prefix, repr(score)])
        self._log.info("retention.deleted", object_prefix=object_prefix, objects=count)
        return "deleted"

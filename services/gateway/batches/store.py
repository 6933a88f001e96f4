"""Batches in Redis (keys: ``services.gateway.kv.keys``, the batches section).

Every key expires after the retention, refreshed on each write. The counters and item statuses are written only
by the batch runner while it holds the batch's lock; CancelBatch only raises ``cancel_requested``.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

import redis

from idphoto.errors import BatchNotFoundError, InvalidOptionError
from services.gateway.batches.model import BatchRecord, BatchState, ItemRecord, encode_fields
from services.gateway.jobs.paging import decode_token, first_page, newest_first
from services.gateway.jobs.queue import stream_entries
from services.gateway.jobs.scripts import RELEASE_IDEMPOTENCY
from services.gateway.kv.keys import RedisKeys

_CHUNK = 500
REQUEST_CANCEL = """
-- KEYS: batch hash, events stream; ARGV: now, events maxlen
if redis.call('HGET', KEYS[1], 'state') ~= 'RUNNING' or redis.call('HGET', KEYS[1], 'cancel_requested') == '1' then
  return 0
end
redis.call('HSET', KEYS[1], 'cancel_requested', '1', 'update_time', ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'kind', 'cancel_requested', 'state', 'RUNNING',
           'time', ARGV[1])
return 1
"""


def new_batch_id() -> str:
    return "b" + secrets.token_hex(16)


class BatchStore:
    def __init__(self, redis_client: redis.Redis, prefix: str = "idphoto", retention_s: int = 86400,
                 events_maxlen: int = 1000) -> None:
        self.redis = redis_client
        self.prefix = prefix
        self.keys = RedisKeys(prefix)
        self.retention_s = int(retention_s)
        self.events_maxlen = int(events_maxlen)
        self._release = redis_client.register_script(RELEASE_IDEMPOTENCY)
        self._cancel = redis_client.register_script(REQUEST_CANCEL)

    # --- keys (the layout: services.gateway.kv.keys) ----------------------------------------------------
    def key(self, batch_id: str) -> str:
        return self.keys.batch(batch_id)

    @property
    def active_key(self) -> str:
        return self.keys.active_batches()

    # --- create / read -----------------------------------------------------------------------------------
    def reserve(self, tenant: str, idempotency_key: str = "") -> tuple[str, bool]:
        """A new batch id, or (with a key this tenant used before) the existing batch's id and False."""
        batch_id = new_batch_id()
        if not idempotency_key:
            return batch_id, True
        idem = self.keys.batch_idempotency(tenant, idempotency_key)
        if self.redis.set(idem, batch_id, nx=True, ex=self.retention_s):
            return batch_id, True
        return str(self.redis.get(idem) or ""), False

    def release(self, tenant: str, idempotency_key: str, batch_id: str) -> None:
        """Forget ``idempotency_key`` if it still names ``batch_id`` (its batch was never stored)."""
        if idempotency_key:
            self._release(keys=[self.keys.batch_idempotency(tenant, idempotency_key)], args=[batch_id])

    def create(self, record: BatchRecord, items: list[ItemRecord]) -> BatchRecord:
        """Store a new RUNNING batch (its id from ``reserve``) with its items, and mark it active."""
        now = time.time()
        record.create_time = record.update_time = now
        fields = {k: v for k, v in vars(record).items() if k != "finish_time"}
        pipe = self.redis.pipeline(transaction=True)
        for start in range(0, len(items), _CHUNK):
            chunk = items[start:start + _CHUNK]
            pipe.hset(self.keys.batch_items(record.id), mapping={str(i.index): i.to_json() for i in chunk})
        pipe.hset(self.key(record.id), mapping=encode_fields(fields))
        pipe.zadd(self.keys.tenant_batches(record.tenant), {record.id: now})
        pipe.zremrangebyscore(self.keys.tenant_batches(record.tenant), "-inf", f"({now - self.retention_s!r}")
        pipe.sadd(self.active_key, record.id)
        self._event(pipe, record.id, "created", record.state.value, now)
        self._refresh(pipe, record.id, record.tenant)
        pipe.execute()
        return self.get(record.id)

    def get(self, batch_id: str, tenant: str | None = None, attempts: int = 1) -> BatchRecord:
        """The batch; ``BatchNotFoundError`` when missing or another tenant's."""
        for attempt in range(attempts):
            raw = self.redis.hgetall(self.key(batch_id)) if batch_id else {}
            if raw:
                record = BatchRecord.from_hash(raw)
                if tenant is None or record.tenant == tenant:
                    return record
                break
            if attempt + 1 < attempts:
                time.sleep(0.05)        # a concurrent create with the same idempotency key is still writing
        raise BatchNotFoundError(f"batch {batch_id!r} not found", batch_id=batch_id)

    def items(self, batch_id: str, start: int = 0, count: int | None = None) -> list[ItemRecord]:
        """Items ``start`` .. ``start + count`` (all from ``start`` when count is None), in index order."""
        total = int(self.redis.hget(self.key(batch_id), "total") or 0)
        stop = total if count is None else min(total, start + count)
        found: list[ItemRecord] = []
        for first in range(start, stop, _CHUNK):
            indexes = [str(i) for i in range(first, min(stop, first + _CHUNK))]
            found += [ItemRecord.from_json(v) for v in self.redis.hmget(self.keys.batch_items(batch_id), indexes) if v]
        return found

    def item_map(self, batch_id: str, indexes: list[int]) -> dict[int, ItemRecord]:
        if not indexes:
            return {}
        values = self.redis.hmget(self.keys.batch_items(batch_id), [str(i) for i in indexes])
        return {i: ItemRecord.from_json(v) for i, v in zip(indexes, values, strict=True) if v}

    # --- writes (by the runner, under the batch lock) ----------------------------------------------------
    def update(self, batch: BatchRecord, kind: str, items: list[ItemRecord] = (), **fields: Any) -> BatchRecord:
        """Write ``fields`` and ``items`` of ``batch`` and append one event of ``kind`` in one transaction."""
        now = time.time()
        pipe = self.redis.pipeline(transaction=True)
        if items:
            pipe.hset(self.keys.batch_items(batch.id), mapping={str(i.index): i.to_json() for i in items})
        pipe.hset(self.key(batch.id), mapping=encode_fields({**fields, "update_time": now}))
        state = fields.get("state", batch.state)
        if state != BatchState.RUNNING:
            pipe.srem(self.active_key, batch.id)
        self._event(pipe, batch.id, kind, BatchState(state).value, now)
        self._refresh(pipe, batch.id, batch.tenant)
        pipe.execute()
        return self.get(batch.id)

    def request_cancel(self, batch_id: str, tenant: str) -> BatchRecord:
        """Raise ``cancel_requested`` of a RUNNING batch (one Lua step: a batch that ends meanwhile is returned
        unchanged, with no trailing event)."""
        batch = self.get(batch_id, tenant)
        if not batch.finished and not batch.cancel_requested:
            self._cancel(keys=[self.key(batch_id), self.keys.batch_events(batch_id)],
                         args=[repr(time.time()), self.events_maxlen])
        return self.get(batch_id, tenant)

    def _event(self, pipe, batch_id: str, kind: str, state: str, now: float) -> None:
        pipe.xadd(self.keys.batch_events(batch_id), {"kind": kind, "state": state, "time": repr(now)},
                  maxlen=self.events_maxlen, approximate=True)

    def _refresh(self, pipe, batch_id: str, tenant: str) -> None:
        keys = self.keys
        for key in (keys.batch(batch_id), keys.batch_items(batch_id), keys.batch_events(batch_id),
                    keys.tenant_batches(tenant)):
            pipe.expire(key, self.retention_s)

    # --- events and listings -----------------------------------------------------------------------------
    def events(self, batch_id: str, after: str | None = None, block_ms: int = 0) -> list[tuple[str, dict]]:
        """(event id, fields) after ``after`` (exclusive), waiting up to ``block_ms`` for a first one."""
        stream = self.keys.batch_events(batch_id)
        try:
            entries = self.redis.xrange(stream, "-" if after is None else f"({after}", "+")
            if not entries and block_ms > 0:
                entries = stream_entries(self.redis.xread({stream: after or "0-0"}, block=int(block_ms)))
        except redis.ResponseError as exc:
            raise InvalidOptionError("invalid event id", after_event_id=after) from exc
        return [(str(entry_id), dict(data)) for entry_id, data in entries]

    def active(self) -> list[str]:
        return sorted(self.redis.smembers(self.active_key))

    def list(self, tenant: str, page_size: int, page_token: str = "",
             state: BatchState | None = None) -> tuple[list[BatchRecord], str]:
        """One page of the tenant's batches, newest first, and the next page's token ('' at the end)."""
        entries = ((score, member, BatchRecord.from_hash(raw)) for score, member, raw in newest_first(
            self.redis, self.keys.tenant_batches(tenant), decode_token(page_token or None), self.key))
        return first_page((e for e in entries if e[2].tenant == tenant and (state is None or e[2].state == state)),
                          page_size)

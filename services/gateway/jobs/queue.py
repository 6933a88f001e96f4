"""Work distribution over a Redis stream with a consumer group.

``enqueue`` appends a work item; ``claim`` first takes over items another consumer claimed but has not
acknowledged for ``visibility_timeout_s`` (XAUTOCLAIM: that consumer is presumed dead), then reads new ones
(XREADGROUP). Every delivery counts: ``WorkItem.deliveries`` is 1 on first delivery and grows with each
takeover, so ``too_many_attempts`` can send poison items to FAILED instead of looping forever. ``ack`` removes
the item from the pending list and from the stream.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import redis

from services.gateway.kv.values import as_text

Task = Literal["stage_a", "stage_b"]
TASKS = ("stage_a", "stage_b")


@dataclass(frozen=True)
class WorkItem:
    id: str
    job_id: str
    task: str
    payload: dict[str, Any]
    deliveries: int


@dataclass(frozen=True)
class WorkItemSpec:
    """A work item not queued yet: appended by the job store's create script together with its job."""

    stream: str
    task: str
    payload: dict[str, Any]


def stream_entries(reply: Any) -> list:
    """The entries of an XREAD / XREADGROUP reply on one stream (RESP2 list or RESP3 dict; [] when empty)."""
    if not reply:
        return []
    if isinstance(reply, dict):
        return next(iter(reply.values()))
    return reply[0][1]


def too_many_attempts(deliveries: int, max_attempts: int) -> bool:
    """True when an item delivered ``deliveries`` times has used up its ``max_attempts``: give up on it."""
    return deliveries > max_attempts



class WorkQueue:
    def __init__(self, redis_client: redis.Redis, stream: str = "idphoto:work", group: str = "workers",
                 visibility_timeout_s: float = 300.0, max_attempts: int = 3) -> None:
        self.redis = redis_client
        self.stream = stream
        self.group = group
        self.visibility_timeout_ms = max(1, int(visibility_timeout_s * 1000))
        self.max_attempts = max_attempts
        self._reclaim_cursor = "0-0"     # XAUTOCLAIM scans the pending list in slices; resume where it stopped
        self._ensure_group()

    def _ensure_group(self) -> None:
        try:
            self.redis.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def item_spec(self, task: Task, payload: dict[str, Any] | None = None) -> WorkItemSpec:
        """The item to queue atomically with a new job (``JobStore.create(work=...)``)."""
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
        return WorkItemSpec(self.stream, task, payload or {})

    def enqueue(self, job_id: str, task: Task, payload: dict[str, Any] | None = None) -> str:
        if task not in TASKS:
            raise ValueError(f"unknown task {task!r} (expected one of {', '.join(TASKS)})")
        fields = {"job_id": job_id, "task": task, "payload": json.dumps(payload or {}, sort_keys=True)}
        return as_text(self.redis.xadd(self.stream, fields))

    def claim(self, consumer: str, count: int = 1, block_ms: int | None = None) -> list[WorkItem]:
        """Up to ``count`` items for ``consumer``: abandoned ones first, then new ones (waiting ``block_ms``)."""
        items = self._reclaim(consumer, count)
        if items:
            return items
        try:
            reply = self.redis.xreadgroup(self.group, consumer, {self.stream: ">"}, count=count, block=block_ms)
        except redis.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self._ensure_group()        # the stream was deleted (e.g. flushed): recreate and read again
            reply = self.redis.xreadgroup(self.group, consumer, {self.stream: ">"}, count=count, block=block_ms)
        entries = stream_entries(reply)
        return [self._item(entry_id, fields, 1) for entry_id, fields in entries if fields]

    def _reclaim(self, consumer: str, count: int) -> list[WorkItem]:
        try:
            reply = self.redis.xautoclaim(self.stream, self.group, consumer, self.visibility_timeout_ms,
                                          start_id=self._reclaim_cursor, count=count)
        except redis.ResponseError as exc:
            if "NOGROUP" in str(exc):
                return []
            raise
        self._reclaim_cursor = as_text(reply[0])
        entries = reply[1] if len(reply) > 1 else []
        gone = [entry_id for entry_id, fields in entries if entry_id is not None and not fields]  # trimmed away
        if gone:
            self.redis.xack(self.stream, self.group, *gone)
        live = [(entry_id, fields) for entry_id, fields in entries if fields]
        return [self._item(entry_id, fields, self._deliveries(entry_id)) for entry_id, fields in live]

    def _deliveries(self, entry_id: Any) -> int:
        rows = self.redis.xpending_range(self.stream, self.group, min=entry_id, max=entry_id, count=1)
        return int(rows[0]["times_delivered"]) if rows else 1

    def _item(self, entry_id: Any, fields: dict, deliveries: int) -> WorkItem:
        data = {as_text(k): as_text(v) for k, v in fields.items()}
        return WorkItem(id=as_text(entry_id), job_id=data.get("job_id", ""), task=data.get("task", ""),
                        payload=json.loads(data.get("payload") or "{}"), deliveries=deliveries)

    def ack(self, item: WorkItem | str) -> None:
        """Done with the item (whatever the outcome): drop it from the pending list and the stream."""
        entry_id = item.id if isinstance(item, WorkItem) else item
        pipe = self.redis.pipeline(transaction=True)
        pipe.xack(self.stream, self.group, entry_id)
        pipe.xdel(self.stream, entry_id)
        pipe.execute()

    def pending_count(self) -> int:
        """Items delivered to some consumer and not yet acknowledged."""
        summary = self.redis.xpending(self.stream, self.group)
        return int(summary.get("pending", 0) if isinstance(summary, dict) else summary[0])

    def exhausted(self, item: WorkItem) -> bool:
        return too_many_attempts(item.deliveries, self.max_attempts)

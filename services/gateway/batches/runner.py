"""Moves batches forward: records the items whose child job settled, starts pending items within the limits,
and finishes a batch (results CSV, archive, final state, batch.completed webhook) once every item settled.

``advance(batch_id)`` is safe to call from any process at any time: it runs under a per-batch Redis lock, and a
call that finds the lock taken leaves a "dirty" mark that makes the holder go round once more, so no settled job
is overlooked. Workers call it when a child job settles and sweep every running batch periodically (crash
safety). Limits: ``max_concurrency`` items per batch, ``tenant_concurrency`` items per tenant over all its batches
(a slot pool). Child jobs are created with an idempotency key per item, so a step redone after a crash never
starts an item twice.
"""

from __future__ import annotations

import dataclasses
import secrets
import time
from dataclasses import dataclass

from idphoto.errors import IdPhotoError, JobNotFoundError
from idphoto.log import get_logger
from services.gateway.batches.config import BatchConfig
from services.gateway.batches.model import BatchRecord, BatchState, ItemRecord, final_state
from services.gateway.batches.results import results_csv, store_archive
from services.gateway.batches.store import BatchStore
from services.gateway.jobs.model import JobRecord, JobState
from services.gateway.jobs.queue import WorkQueue
from services.gateway.jobs.store import JobStore
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.retention import RetentionIndex
from services.gateway.tenancy.slots import SlotPool
from services.gateway.webhooks.events import Notifier

log = get_logger("idphoto.batches")
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass
class RunnerParts:
    batches: BatchStore
    jobs: JobStore
    queue: WorkQueue
    store: ObjectStore
    config: BatchConfig
    retention: RetentionIndex | None = None
    notifier: Notifier | None = None


def item_outcome(job: JobRecord | None) -> tuple[str, str, str] | None:
    """(status, error code, message) of a settled child job; None while it is still being worked on."""
    if job is None:
        return "failed", JobNotFoundError.code, "the item's job expired before it finished"
    if job.state == JobState.SUCCEEDED:
        return "succeeded", "", ""
    if job.state == JobState.CANCELLED:
        return "cancelled", "", ""
    if job.state == JobState.FAILED or (job.state == JobState.PREVIEW_READY and job.error_code):
        return "failed", job.error_code or "INTERNAL", job.error_message
    return None


class BatchRunner:
    def __init__(self, parts: RunnerParts) -> None:
        self.p = parts
        self.redis = parts.batches.redis
        self.slots = SlotPool(self.redis, slot_ttl_s=parts.jobs.retention_s)
        self._release = self.redis.register_script(_RELEASE)

    def _tenant_pool(self, tenant: str) -> str:
        return self.p.batches.keys.batch_slots(tenant)

    # --- locking -----------------------------------------------------------------------------------------
    def advance(self, batch_id: str) -> None:
        """Bring the batch up to date (see the module doc); returns at once if another process holds it."""
        lock, dirty = f"{self.p.batches.key(batch_id)}:lock", f"{self.p.batches.key(batch_id)}:dirty"
        ttl_ms = int(self.p.config.lock_ttl_s * 1000)
        for _ in range(1000):
            self.redis.set(dirty, "1", px=ttl_ms)
            token = secrets.token_hex(8)
            if not self.redis.set(lock, token, nx=True, px=ttl_ms):
                return
            try:
                self.redis.delete(dirty)
                self._step(batch_id)
            finally:
                self._release(keys=[lock], args=[token])
            if not self.redis.exists(dirty):
                return

    def sweep(self) -> int:
        """Advance every running batch; returns how many were looked at."""
        active = self.p.batches.active()
        for batch_id in active:
            try:
                self.advance(batch_id)
            except IdPhotoError as exc:
                log.warning("batch sweep step failed", batch_id=batch_id, code=exc.code)
            except Exception:                   # one broken batch must not hold up the others' sweep
                log.exception("batch sweep step failed unexpectedly", batch_id=batch_id)
        return len(active)

    # --- one step ----------------------------------------------------------------------------------------
    def _step(self, batch_id: str) -> None:
        try:
            batch = self.p.batches.get(batch_id)
        except IdPhotoError:
            self.redis.srem(self.p.batches.active_key, batch_id)      # expired
            return
        if batch.finished:
            self.redis.srem(self.p.batches.active_key, batch_id)
            return
        batch = self._record_settled(batch)
        if batch.cancel_requested:
            batch = self._cancel_rest(batch)
        batch = self._start_pending(batch)
        if batch.next >= batch.total and not batch.running_items:
            self._finish(batch)

    def _record_settled(self, batch: BatchRecord) -> BatchRecord:
        items = self.p.batches.item_map(batch.id, batch.running_items)
        jobs = {i: self._job(item.job_id) for i, item in items.items()}
        done: list[ItemRecord] = []
        for index, item in items.items():
            outcome = item_outcome(jobs[index])
            if outcome is None:
                continue
            item.status, item.error_code, item.error_message = outcome
            item.outputs = jobs[index].outputs if jobs[index] is not None else []
            self.slots.release(self._tenant_pool(batch.tenant), f"{batch.id}:{index}")
            done.append(item)
        if not done:
            return batch
        counts = {s: getattr(batch, s) + sum(1 for i in done if i.status == s)
                  for s in ("succeeded", "failed", "cancelled")}
        if batch.cancel_requested:                     # stopped by CancelBatch, not cancelled on their own
            counts["stopped"] = batch.stopped + sum(1 for i in done if i.status == "cancelled")
        running = [i for i in batch.running_items if i not in {d.index for d in done}]
        return self.p.batches.update(batch, "item", done, running_items=running, running=len(running), **counts)

    def _job(self, job_id: str) -> JobRecord | None:
        try:
            return self.p.jobs.get(job_id)
        except JobNotFoundError:
            return None

    def _cancel_rest(self, batch: BatchRecord) -> BatchRecord:
        """Cancel the items not started yet, and ask the running ones' jobs to stop."""
        for item in self.p.batches.item_map(batch.id, batch.running_items).values():
            try:
                self.p.jobs.request_cancel(item.job_id)
            except IdPhotoError:
                pass                                   # finished meanwhile: the next step records it
        if batch.next >= batch.total:
            return batch
        rest = self.p.batches.items(batch.id, batch.next)
        for item in rest:
            item.status = "cancelled"
        return self.p.batches.update(batch, "item", rest, next=batch.total, cancelled=batch.cancelled + len(rest),
                                     stopped=batch.stopped + len(rest))

    def _start_pending(self, batch: BatchRecord) -> BatchRecord:
        free = batch.max_concurrency - len(batch.running_items)
        if free <= 0 or batch.next >= batch.total:
            return batch
        started: list[ItemRecord] = []
        for item in self.p.batches.items(batch.id, batch.next, free):
            taken, _ = self.slots.acquire(self._tenant_pool(batch.tenant), f"{batch.id}:{item.index}",
                                          self.p.config.tenant_concurrency)
            if not taken:
                break                                  # the tenant is at its limit: a later step goes on
            try:
                item.job_id = self._start(batch, item)
            except BaseException:
                self.slots.release(self._tenant_pool(batch.tenant), f"{batch.id}:{item.index}")
                raise
            item.status = "running"
            started.append(item)
        if not started:
            return batch
        running = batch.running_items + [i.index for i in started]
        return self.p.batches.update(batch, "item", started, next=batch.next + len(started),
                                     running_items=running, running=len(running))

    def _start(self, batch: BatchRecord, item: ItemRecord) -> str:
        options = {**item.options, "finalize": True, "upload_id": ""}
        extra = {"batch_id": batch.id, "item": item.index, "image_url": item.image_url}
        job, created = self.p.jobs.create(batch.tenant, item.spec_id, options, item.upload_key,
                                          f"batch:{batch.id}:{item.index}", extra=extra,
                                          work=self.p.queue.item_spec("stage_a", {"finalize": True}))
        if created and self.p.retention is not None:   # the job's files live as long as its batch
            self.p.retention.track(f"t/{batch.tenant}/jobs/{job.id}/", self.p.batches.key(batch.id),
                                   time.time() + self.p.batches.retention_s)
        return job.id

    # --- the end -----------------------------------------------------------------------------------------
    def _finish(self, batch: BatchRecord) -> None:
        items = self.p.batches.items(batch.id)
        self.p.jobs.touch(i.job_id for i in items if i.job_id)     # the photos live as long as the batch's links
        prefix = f"t/{batch.tenant}/batches/{batch.id}"
        expiry = max(60, self.p.batches.retention_s)
        archive, names = store_archive(items, self.p.store, f"{prefix}/archive.zip",
                                       self.p.config.max_archive_mb * 1_000_000)
        table = results_csv(items, lambda key: self.p.store.url(key, expires_s=expiry), names)
        self.p.store.put(f"{prefix}/results.csv", table, "text/csv")
        outputs = [{"kind": "results_csv", "key": f"{prefix}/results.csv", "content_type": "text/csv",
                    "width_px": 0, "height_px": 0, "size_bytes": len(table)}, archive]
        state = final_state(batch.total, batch.succeeded, batch.cancel_requested and batch.stopped > 0)
        ended = dataclasses.replace(batch, state=state, outputs=outputs, finish_time=time.time(), running=0)
        if batch.webhook_url and self.p.notifier is not None:   # queued first: a crash before the update redoes
            self.p.notifier.send(batch.tenant, batch.webhook_url, "batch.completed", batch.id,   # both, once
                                 batch_event_data(ended, self.p.store), dedupe="completed")
        batch = self.p.batches.update(batch, "state", state=state, outputs=outputs, finish_time=ended.finish_time,
                                      running=0)
        log.info("batch finished", batch_id=batch.id, state=state.value, succeeded=batch.succeeded,
                 failed=batch.failed, cancelled=batch.cancelled)


def batch_event_data(batch: BatchRecord, store: ObjectStore) -> dict:
    """The ``data`` of a batch.completed event."""
    return {"batch_id": batch.id, "state": f"BATCH_STATE_{batch.state.value}", "total": batch.total,
            "succeeded": batch.succeeded, "failed": batch.failed, "cancelled": batch.cancelled,
            "outputs": [{"kind": o["kind"], "url": store.url(o["key"]), "content_type": o["content_type"],
                         "size_bytes": o["size_bytes"]} for o in batch.outputs]}


__all__ = ["BatchRunner", "BatchState", "RunnerParts", "batch_event_data", "item_outcome"]

"""Acts on jobs that settled (PREVIEW_READY, SUCCEEDED, FAILED, CANCELLED), read from the settled stream that the
job store appends to in the same step as the transition (so none is missed, whoever made it: a worker, a cancel
through the gateway, a give-up after too many attempts).

For each: give back the API key's concurrent-job slot; move the job's batch forward (a child job) or queue the
job's own webhook (``job.succeeded`` / ``job.failed``; once per settling, even when an item is handled twice);
and push the job's files' deletion date to the retention of its latest write.
"""

from __future__ import annotations

import threading
import time

import redis

from idphoto.errors import IdPhotoError, JobNotFoundError
from idphoto.log import get_logger
from services.gateway.batches.runner import BatchRunner
from services.gateway.jobs.model import SETTLED, JobRecord, JobState
from services.gateway.jobs.queue import WorkQueue
from services.gateway.jobs.store import JobStore
from services.gateway.kv.keys import RedisKeys
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.retention import RetentionIndex
from services.gateway.storage.uploads import job_prefix
from services.gateway.tenancy.ratelimit import RateLimiter
from services.gateway.webhooks.events import Notifier
from services.gateway.worker.loops import run_until

log = get_logger("idphoto.settler")
EVENT_TYPES = {JobState.SUCCEEDED: "job.succeeded", JobState.FAILED: "job.failed"}
MAX_TRIES = 5                   # deliveries of one settled entry that fails unexpectedly before it is dropped


def settled_queue(redis_client: redis.Redis, prefix: str, visibility_timeout_s: float = 60.0) -> WorkQueue:
    return WorkQueue(redis_client, stream=RedisKeys(prefix).settled(), group="settlers",
                     visibility_timeout_s=visibility_timeout_s, max_attempts=1_000_000)


def job_event_data(job: JobRecord, store: ObjectStore) -> dict:
    """The ``data`` of a job.succeeded / job.failed event."""
    data = {"job_id": job.id, "state": f"JOB_STATE_{job.state.value}", "spec_id": job.spec_id,
            "outputs": [{"kind": o["kind"], "url": store.url(o["key"]), "content_type": o["content_type"],
                         "size_bytes": o["size_bytes"]} for o in job.outputs]}
    if job.error_code:
        data["error"] = {"code": job.error_code, "message": job.error_message}
    return data


class Settler:
    def __init__(self, jobs: JobStore, queue: WorkQueue, store: ObjectStore, consumer: str, *,
                 runner: BatchRunner | None = None, notifier: Notifier | None = None,
                 limiter: RateLimiter | None = None, retention: RetentionIndex | None = None) -> None:
        self.jobs, self.queue, self.store, self.consumer = jobs, queue, store, consumer
        self.runner, self.notifier, self.limiter, self.retention = runner, notifier, limiter, retention

    def run_once(self, block_ms: int | None = None) -> int:
        items = self.queue.claim(self.consumer, count=16, block_ms=block_ms)
        for item in items:
            self._handle(item)
        return len(items)

    def _handle(self, item) -> None:
        """Settle one entry. A typed error is final (logged, acknowledged); anything else (a disk error while a
        batch's archive is built …) leaves the entry for another try after the visibility timeout, up to
        ``MAX_TRIES`` deliveries, so one bad entry can neither stop the loop nor come back forever."""
        try:
            self.settle(item.job_id, JobState(item.payload.get("state", "FAILED")), item.id)
        except IdPhotoError as exc:
            log.warning("settling failed", job_id=item.job_id, code=exc.code)
        except Exception:
            log.exception("settling failed unexpectedly", job_id=item.job_id, delivery=item.deliveries)
            if item.deliveries < MAX_TRIES:
                return
        self.queue.ack(item)

    def run_forever(self, stop: threading.Event, block_ms: int = 1000) -> None:
        run_until(stop, lambda: self.run_once(block_ms), self.consumer)

    def settle(self, job_id: str, state: JobState, entry_id: str = "") -> None:
        """Act on one settling of ``job_id`` into ``state``; ``entry_id`` (the settled stream's entry) makes the
        webhook once-only when the same entry is handled twice."""
        try:
            job = self.jobs.get(job_id)
        except JobNotFoundError:
            return
        if state == JobState.PREVIEW_READY and job.options.get("finalize") and not job.error_code:
            return                  # a finalize job passing through on its way to the render: not settled yet
        if job.quota_key and self.limiter is not None and job.state in SETTLED:
            self.limiter.release(job.quota_key, job.id)   # not if it went on (a finalize job renders next)
        if job.batch_id:
            if self.runner is not None:
                self.runner.advance(job.batch_id)
        elif job.webhook_url and self.notifier is not None:
            self._notify(job, state, entry_id or repr(job.update_time))
        if self.retention is not None and not job.batch_id:       # a batch's child: the batch governs its files
            self.retention.track(job_prefix(job.tenant, job.id) + "/", self.jobs.keys.job(job.id),
                                 time.time() + self.jobs.retention_s)

    def _notify(self, job: JobRecord, state: JobState, dedupe: str) -> None:
        """job.succeeded / job.failed; a render refused for its options (PREVIEW_READY with an error) is a
        job.failed too: no photo came of the request."""
        refused = state == JobState.PREVIEW_READY and bool(job.error_code) and job.state == JobState.PREVIEW_READY
        event_type = EVENT_TYPES.get(state) or ("job.failed" if refused else "")
        if event_type:
            self.notifier.send(job.tenant, job.webhook_url, event_type, job.id, job_event_data(job, self.store),
                               dedupe=dedupe)

"""The gateway's transport-free core: the public API's operations over the job store, work queue, uploads and
object store. The gRPC servicer (and later REST) only convert messages and call these methods."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from idphoto.domain.options import check_options, options_to_dict
from idphoto.domain.specs import Spec, list_specs, parse_spec
from idphoto.domain.types import RenderOptions
from idphoto.errors import FileTooLargeError, InvalidOptionError, InvalidStateError
from services.gateway.batches.service import BatchService
from services.gateway.jobs.model import JobEvent, JobRecord, JobState
from services.gateway.jobs.paging import offset_page
from services.gateway.jobs.queue import WorkQueue
from services.gateway.jobs.store import JobStore, new_job_id
from services.gateway.outbound.urls import check_http_url, check_webhook_url
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.retention import RetentionIndex
from services.gateway.storage.uploads import UploadRecord, UploadStore, check_tenant, job_prefix, read_capped
from services.gateway.tenancy.ratelimit import RateLimiter
from services.gateway.webhooks.events import Notifier

# States where a watch stream stops: nothing more will happen without a new request.
FINISHED = {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED}
FINALIZE_FROM = {JobState.PREVIEW_READY, JobState.SUCCEEDED}


@dataclass(frozen=True)
class GatewayLimits:
    max_upload_bytes: int = 25_000_000
    max_inline_bytes: int = 4_000_000
    max_page_size: int = 200
    watch_poll_ms: int = 1000


def watch_ends(job: JobRecord) -> bool:
    """A watch ends at a finished state, or at PREVIEW_READY when the job waits for the client: no finalize was
    asked for, or a render was refused for its options (the error is set and nothing else will happen)."""
    if job.state in FINISHED:
        return True
    waiting = not job.options.get("finalize", False) or bool(job.error_code)
    return job.state == JobState.PREVIEW_READY and waiting


class GatewayCore:
    def __init__(self, jobs: JobStore, queue: WorkQueue, uploads: UploadStore, store: ObjectStore,
                 limits: GatewayLimits = GatewayLimits(), *, limiter: RateLimiter | None = None,
                 retention: RetentionIndex | None = None, notifier: Notifier | None = None,
                 batches: BatchService | None = None, allow_networks: tuple = ()) -> None:
        self.jobs = jobs
        self.queue = queue
        self.uploads = uploads
        self.store = store
        self.limits = limits
        self.limiter = limiter              # concurrent-job quota per API key (auth on)
        self.retention = retention          # when the job's files are deleted
        self.notifier = notifier            # webhook deliveries shown on jobs
        self.batches = batches
        self.allow_networks = allow_networks

    # --- uploads ---------------------------------------------------------------------------------------------
    def check_upload_size(self, total: int) -> None:
        if total > self.limits.max_upload_bytes:
            raise FileTooLargeError(f"upload exceeds {self.limits.max_upload_bytes} bytes",
                                    max_bytes=self.limits.max_upload_bytes)

    def upload(self, tenant: str, chunks: Iterable[bytes], filename: str = "", content_type: str = "",
               declared_size: int | None = None) -> UploadRecord:
        """Store an upload; ``declared_size`` (when the client sent one) is checked up front against the cap and
        at the end against what arrived, so a truncated upload is refused rather than stored."""
        if declared_size is not None:
            self.check_upload_size(declared_size)
        data = read_capped(chunks, self.limits.max_upload_bytes)
        if declared_size is not None and len(data) != declared_size:
            raise InvalidOptionError(f"the upload ended at {len(data)} bytes, {declared_size} were declared",
                                     received=len(data), declared=declared_size)
        return self.uploads.save(tenant, data, filename, content_type)

    # --- jobs ------------------------------------------------------------------------------------------------
    def create_job(self, tenant: str, spec_id: str, options: RenderOptions, *, upload_id: str = "",
                   image: bytes = b"", image_url: str = "", finalize: bool = False, idempotency_key: str = "",
                   webhook_url: str = "", quota_key: str = "") -> JobRecord:
        """A new job (or the one made before with ``idempotency_key``). ``quota_key``: the API key whose
        concurrent-job slot the job holds until it settles (RATE_LIMITED when all are taken)."""
        check_tenant(tenant)
        parse_spec(spec_id)                                   # SPEC_NOT_FOUND before anything is stored
        options = check_options(options)
        if sum(map(bool, (upload_id, image, image_url))) != 1:
            raise InvalidOptionError("give exactly one of upload_id, image or image_url")
        if webhook_url:
            check_webhook_url(webhook_url, self.allow_networks)
        upload_key, extra = self._source(tenant, upload_id, image, image_url)
        stored = {**options_to_dict(options), "finalize": bool(finalize), "upload_id": upload_id}
        job_id = new_job_id()
        if quota_key and self.limiter is not None:
            self.limiter.acquire(quota_key, job_id)
            extra["quota_key"] = quota_key
        job, created = self.jobs.create(tenant, spec_id, stored, upload_key, idempotency_key or None,
                                        extra={**extra, "webhook_url": webhook_url}, job_id=job_id,
                                        work=self.queue.item_spec("stage_a", {"finalize": bool(finalize)}))
        if not created and quota_key and self.limiter is not None:
            self.limiter.release(quota_key, job_id)       # the earlier job was returned: nothing new runs
        if created:
            self._track(job)
        return job

    def _source(self, tenant: str, upload_id: str, image: bytes, image_url: str) -> tuple[str, dict]:
        """(upload key, extra job fields) of the job's photo; a URL is fetched later by the worker."""
        if image_url:
            check_http_url(image_url, "image_url")
            return "", {"image_url": image_url}
        if image:
            if len(image) > self.limits.max_inline_bytes:
                raise InvalidOptionError(f"inline images are limited to {self.limits.max_inline_bytes} bytes; "
                                         "use UploadImage", size=len(image))
            return self.uploads.save(tenant, image, "inline").key, {}
        return self.uploads.get(upload_id, tenant).key, {}

    def _track(self, job: JobRecord) -> None:
        if self.retention is not None:
            self.retention.track(job_prefix(job.tenant, job.id) + "/", self.jobs.keys.job(job.id),
                                 time.time() + self.jobs.retention_s)

    def get_job(self, tenant: str, job_id: str) -> JobRecord:
        return self.jobs.get(job_id, tenant)

    def finalize_job(self, tenant: str, job_id: str, options: RenderOptions, spec_id: str = "",
                     quota_key: str = "") -> JobRecord:
        job = self.jobs.get(job_id, tenant)
        spec_id = spec_id or job.spec_id
        parse_spec(spec_id)
        options = check_options(options)
        held = bool(quota_key and job.quota_key and self.limiter is not None)
        if held:
            self.limiter.acquire(job.quota_key, job_id)        # a render holds the slot again until it settles
        stored = {**options_to_dict(options), "finalize": True, "upload_id": job.options.get("upload_id", "")}
        try:
            return self.jobs.transition(job_id, JobState.FINALIZING, expected=FINALIZE_FROM, stage="queued",
                                        progress=0.0, options=stored, spec_id=spec_id,
                                        work=self.queue.item_spec("stage_b", {}))
        except BaseException:
            if held:
                self.limiter.release(job.quota_key, job_id)    # nothing will run: give the slot back now
            raise

    def cancel_job(self, tenant: str, job_id: str) -> JobRecord:
        """Cancel a job that has not finished; a finished job is returned unchanged (as the contract says)."""
        job = self.jobs.get(job_id, tenant)
        if job.state in FINISHED:
            return job
        try:
            return self.jobs.request_cancel(job_id, tenant)
        except InvalidStateError:                       # it finished meanwhile
            return self.jobs.get(job_id, tenant)

    def list_jobs(self, tenant: str, page_size: int = 50, page_token: str = "",
                  state: JobState | None = None) -> tuple[list[JobRecord], str]:
        size = max(1, min(page_size or 50, self.limits.max_page_size))
        jobs, token = self.jobs.list(tenant, size, page_token or None, state)
        return jobs, token or ""

    def watch(self, tenant: str, job_id: str, after_event_id: str = "") -> Iterator[tuple[JobEvent, JobRecord]]:
        """Replay the job's events after ``after_event_id``, then follow them; stop when ``watch_ends``."""
        job = self.jobs.get(job_id, tenant)
        cursor = after_event_id or None
        while True:
            events = self.jobs.events(job_id, cursor, block_ms=self.limits.watch_poll_ms, tenant=tenant)
            for event in events:
                cursor = event.id
                job = self.jobs.get(job_id, tenant)
                yield event, job
            if not events:
                job = self.jobs.get(job_id, tenant)
            if watch_ends(job) and not self.jobs.events(job_id, cursor, tenant=tenant):
                return

    # --- specs -----------------------------------------------------------------------------------------------
    @staticmethod
    def list_specs(country: str = "", page_size: int = 100, page_token: str = "") -> tuple[list[Spec], str, int]:
        specs = list_specs(country or None)
        page = offset_page(page_token, page_size, len(specs), default_size=100, max_size=500)
        return specs[page.start:page.start + page.size], page.next_token, len(specs)

    def deliveries(self, subject: str) -> list[dict]:
        """The webhook deliveries of a job or batch (empty when webhooks are not wired)."""
        return self.notifier.deliveries(subject) if self.notifier is not None else []

    def output_urls(self, job: JobRecord) -> list[dict]:
        """The job's outputs (kind, key, content_type, width_px, height_px, size_bytes) with fresh URLs."""
        return self.with_urls(job.outputs)

    def with_urls(self, outputs: list[dict]) -> list[dict]:
        """``outputs`` with a fresh download URL each and the time it stops working."""
        expires = time.time() + self.store.default_expiry_s
        return [{**output, "url": self.store.url(output["key"]), "url_expire_time": expires} for output in outputs]

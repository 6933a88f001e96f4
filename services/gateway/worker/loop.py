"""A gateway worker: claims work items from the Redis stream and runs Stage A or Stage B through the one
orchestration path with whatever clients it is given (gRPC in the mesh, in-process in tests).

Every step is idempotent: outputs are stored under fixed keys per job and kind, and the job's output list is
replaced (never appended) in the same atomic transition that changes its state — so a retried or reclaimed item
never duplicates outputs. Cancellation is checked at every stage boundary.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from idphoto.domain.options import options_from_dict
from idphoto.domain.specs import parse_spec
from idphoto.domain.types import Cutout, RenderOptions, RenderResult
from idphoto.errors import (
    AttemptsExhaustedError,
    CancelledError,
    IdPhotoError,
    InputError,
    InvalidStateError,
    ServiceUnavailableError,
    as_idphoto_error,
)
from idphoto.log import bind_ids, clear_ids, get_logger
from idphoto.pipeline.deadline import Deadline
from idphoto.pipeline.run import Clients, stage_a
from idphoto.pipeline.stage_b import run_stage_b
from idphoto.rpc.context import reset_deadline, set_deadline
from services.gateway.jobs.model import FINISHED, JobRecord, JobState
from services.gateway.jobs.queue import WorkItem, WorkQueue
from services.gateway.jobs.store import JobStore
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.cutouts import cutout_from_files, cutout_png, cutout_state
from services.gateway.storage.uploads import UploadStore, job_prefix
from services.gateway.worker.loops import run_until

log = get_logger("idphoto.worker")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


class Worker:
    def __init__(self, jobs: JobStore, queue: WorkQueue, store: ObjectStore, clients: Clients, consumer: str,
                 stage_a_deadline_s: float = 120.0, stage_b_deadline_s: float = 60.0,
                 fetch: Callable[[str], bytes] | None = None, uploads: UploadStore | None = None) -> None:
        self.jobs, self.queue, self.store, self.clients = jobs, queue, store, clients
        self.fetch, self.uploads = fetch, uploads     # for jobs made from an image URL
        self.consumer = consumer
        self.stage_a_deadline_s = stage_a_deadline_s
        self.stage_b_deadline_s = stage_b_deadline_s
        self.handled = 0

    def run_forever(self, stop: threading.Event, block_ms: int = 1000) -> None:
        """Claim and run items until ``stop``; a Redis outage is waited out with backoff, never fatal."""
        run_until(stop, lambda: self.run_once(block_ms), self.consumer)

    def run_once(self, block_ms: int = 0) -> bool:
        items = self.queue.claim(self.consumer, count=1, block_ms=block_ms)
        for item in items:
            self.handle(item)
        return bool(items)

    def handle(self, item: WorkItem) -> None:
        bind_ids(job_id=item.job_id, worker=self.consumer)
        try:
            self._handle(item)
        finally:
            self.queue.ack(item)
            self.handled += 1
            clear_ids()

    def _handle(self, item: WorkItem) -> None:
        try:
            job = self.jobs.get(item.job_id)
        except IdPhotoError:
            log.warning("work item for a missing job dropped", item=item.id)
            return
        if job.state in FINISHED:
            return
        if self.queue.exhausted(item):
            self._fail(job, AttemptsExhaustedError(f"gave up after {item.deliveries - 1} attempts"))
            return
        start = time.perf_counter()
        try:
            self._dispatch(job, item)
        except CancelledError:
            self.jobs.transition(job.id, JobState.CANCELLED, stage="cancelled")
        except Exception as exc:  # typed errors keep their code; anything else is INTERNAL (logged here)
            if not isinstance(exc, IdPhotoError):
                log.exception("unexpected error in worker", task=item.task)
            self._fail(self.jobs.get(job.id), as_idphoto_error(exc))
        log.info("work item done", task=item.task, ms=round(1000 * (time.perf_counter() - start), 1))

    def _dispatch(self, job: JobRecord, item: WorkItem) -> None:
        """Run what the job's state still needs; a redelivered item whose work is done is a no-op. Every RPC
        made meanwhile is capped by the stage deadlines (idphoto.rpc.context), so none outlives its job."""
        budget = self.stage_a_deadline_s + self.stage_b_deadline_s
        token = set_deadline(budget if item.task == "stage_a" else self.stage_b_deadline_s)
        try:
            if item.task == "stage_a" and job.state in (JobState.QUEUED, JobState.RUNNING):
                self._stage_a(job, item)
            elif job.state == JobState.FINALIZING:
                self._stage_b(job)
        finally:
            reset_deadline(token)

    # --- Stage A ---------------------------------------------------------------------------------------------
    def _stage_a(self, job: JobRecord, item: WorkItem) -> None:
        if job.state == JobState.RUNNING:          # reclaimed from a worker that died: go round once more
            self.jobs.transition(job.id, JobState.QUEUED, stage="retry")
        job = self.jobs.transition(job.id, JobState.RUNNING, expected={JobState.QUEUED}, stage="decode",
                                   progress=0.0, attempts=item.deliveries)
        spec = parse_spec(job.spec_id)
        deadline = Deadline(self.stage_a_deadline_s, cancelled=lambda: self.jobs.cancel_requested(job.id))
        image = self._source(job) if job.image_url and not job.upload_key else self.store.get(job.upload_key)
        cutout = stage_a(image, spec, self.clients, deadline=deadline,
                         on_stage=lambda name, done: self.jobs.update_progress(job.id, 0.8 * done, name))
        prefix = job_prefix(job.tenant, job.id)
        self.store.put(f"{prefix}/cutout.npz", cutout_state(cutout), "application/octet-stream")
        cutout_out = self._put(prefix, "cutout", cutout_png(cutout), "image/png", cutout.rgba.shape)
        outputs = [cutout_out]
        report = None
        if not job.options.get("finalize"):          # a finalize job goes straight on to its photo
            deadline.check("preview")
            options = options_from_dict(job.options)
            preview = run_stage_b(cutout, spec, RenderOptions(background=options.background, format="jpg"),
                                  self.clients.compose, deadline)
            outputs.insert(0, self._put(prefix, "preview", preview.photo_bytes, "image/jpeg", preview.photo.shape))
            report = preview.report
        job = self.jobs.transition(job.id, JobState.PREVIEW_READY, expected={JobState.RUNNING}, stage="cutout",
                                   progress=1.0, outputs=outputs, measurements=cutout.head.to_dict(), report=report)
        if job.options.get("finalize"):
            job = self.jobs.transition(job.id, JobState.FINALIZING, expected={JobState.PREVIEW_READY},
                                       stage="queued", progress=0.0)
            self._render(job, cutout)

    def _source(self, job: JobRecord) -> bytes:
        """Fetch the job's image URL (SSRF rules, typed URL_* errors) and keep it as the job's upload."""
        if self.fetch is None or self.uploads is None:
            raise ServiceUnavailableError("this worker cannot fetch image URLs (no fetcher configured)")
        self.jobs.update_progress(job.id, 0.0, "fetch")
        data = self.fetch(job.image_url)
        name = urlsplit(job.image_url).path.rsplit("/", 1)[-1][:255]
        upload = self.uploads.save(job.tenant, data, name)
        self.jobs.set_fields(job.id, upload_key=upload.key)
        return data

    # --- Stage B ---------------------------------------------------------------------------------------------
    def _stage_b(self, job: JobRecord) -> None:
        prefix = job_prefix(job.tenant, job.id)
        self._render(job, cutout_from_files(self.store.get(f"{prefix}/cutout.png"),
                                            self.store.get(f"{prefix}/cutout.npz")))

    def _render(self, job: JobRecord, cutout: Cutout) -> None:
        spec = parse_spec(job.spec_id)
        deadline = Deadline(self.stage_b_deadline_s, cancelled=lambda: self.jobs.cancel_requested(job.id))
        self.jobs.update_progress(job.id, 0.1, "render")
        result = run_stage_b(cutout, spec, options_from_dict(job.options), self.clients.compose, deadline)
        outputs = self._store_render(job, result)
        self.jobs.transition(job.id, JobState.SUCCEEDED, expected={JobState.FINALIZING}, stage="done",
                             progress=1.0, outputs=outputs, report=result.report)

    def _store_render(self, job: JobRecord, result: RenderResult) -> list[dict]:
        prefix = job_prefix(job.tenant, job.id)
        keep = [o for o in job.outputs if o["kind"] in ("preview", "cutout")]
        photo = self._put(prefix, "photo", result.photo_bytes, result.content_type, result.photo.shape)
        outputs = keep + [photo]
        if result.sheet_bytes is not None and result.sheet is not None:
            outputs.append(self._put(prefix, "sheet", result.sheet_bytes, result.content_type, result.sheet.shape))
        report = json.dumps(result.report, indent=2).encode()
        outputs.append(self._put(prefix, "report", report, "application/json", None))
        stale = {o["key"] for o in job.outputs} - {o["key"] for o in outputs}
        for key in stale:                       # e.g. photo.png after a re-render as jpg
            self.store.delete(key)
        return outputs

    def _put(self, prefix: str, kind: str, data: bytes, content_type: str, shape) -> dict:
        ext = {"application/json": "json"}.get(content_type) or EXTENSIONS.get(content_type, "bin")
        key = f"{prefix}/{kind}.{ext}"
        self.store.put(key, data, content_type)
        height, width = (shape[0], shape[1]) if shape is not None else (0, 0)
        return {"kind": kind, "key": key, "content_type": content_type, "width_px": int(width),
                "height_px": int(height), "size_bytes": len(data)}

    # --- failures --------------------------------------------------------------------------------------------
    def _fail(self, job: JobRecord, exc: IdPhotoError) -> None:
        """A render refused for its options leaves the job at PREVIEW_READY (its cutout stays usable); anything
        else fails the job with the typed code."""
        fields = {"error_code": exc.code, "error_message": exc.message, "stage": "failed"}
        target = JobState.FAILED
        if isinstance(exc, InputError) and job.state == JobState.FINALIZING:
            target = JobState.PREVIEW_READY
        try:
            self.jobs.transition(job.id, target, **fields)
        except InvalidStateError:
            log.warning("job could not take its failure", state=job.state.value, code=exc.code)


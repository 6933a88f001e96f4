"""A typed synchronous client for the public IdPhotoService (the gateway).

- Every call has a deadline (``timeout_s``; WatchJob: ``watch_timeout_s`` for the whole stream).
- Unary calls that are safe to repeat (GetJob, ListJobs, ListSpecs, CancelJob, CreateJob with an idempotency
  key, UploadImage, FinalizeJob) are retried on UNAVAILABLE up to ``retries`` times with exponential backoff and
  jitter. CreateJob always carries a key (a random one unless the caller gives one; pass ``""`` to send none,
  which also turns its retries off). An upload retried after a lost reply may leave one orphan upload behind,
  which expires; a FinalizeJob retried after its first attempt got through is answered with the job.
- WatchJob resumes from the last event it delivered when the stream breaks with UNAVAILABLE, so the caller
  sees every event once.
- Failures raise the typed ``idphoto.errors`` class (``error_from_rpc``); a FAILED job's error is
  ``job_error(job)`` / ``raise_for_job(job)``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

import grpc

from idphoto.client.batches import BatchMethods
from idphoto.client.convert import TERMINAL, OptionsLike, job_states, render_options, settled, state_name
from idphoto.client.http import fetch
from idphoto.client.retry import Backoff, call_with_retry, retryable
from idphoto.errors import DeadlineExceededError, IdPhotoError, InternalError, InvalidStateError, ObjectNotFoundError
from idphoto.rpc.errors import error_from_rpc
from idphoto.v1 import common_pb2, idphoto_pb2, idphoto_pb2_grpc

CHUNK = 256 * 1024
FAILED_OR_CANCELLED = frozenset({idphoto_pb2.JOB_STATE_FAILED, idphoto_pb2.JOB_STATE_CANCELLED})


def _stuck(job: idphoto_pb2.Job) -> bool:
    """Failed, cancelled, or a refused render waiting at PREVIEW_READY: no other state will come by itself."""
    return job.state in FAILED_OR_CANCELLED or (settled(job) and job.state == idphoto_pb2.JOB_STATE_PREVIEW_READY)


def _event_order(event_id: str) -> tuple[int, int] | None:
    """A Redis stream id "ms-seq" as a sortable pair (None when it is not one)."""
    ms, sep, seq = event_id.partition("-")
    return (int(ms), int(seq)) if sep and ms.isdigit() and seq.isdigit() else None


def _already_seen(event_id: str, cursor: str) -> bool:
    new, old = _event_order(event_id), _event_order(cursor)
    return event_id == cursor or (new is not None and old is not None and new <= old)


def _reached(event: idphoto_pb2.JobEvent, since_ns: int, wanted: frozenset[int]) -> bool:
    """``event`` is not history from before ``since_ns`` and puts the job in a wanted or stuck state."""
    if event.HasField("event_time") and event.event_time.ToNanoseconds() < since_ns:
        return False
    if event.state in wanted or event.state in FAILED_OR_CANCELLED:
        return True
    return event.state == idphoto_pb2.JOB_STATE_PREVIEW_READY and event.HasField("job") and _stuck(event.job)


class IdPhotoClient(BatchMethods):
    def __init__(self, target: str, timeout_s: float = 30.0, retries: int = 4, *, backoff_s: float = 0.2,
                 max_backoff_s: float = 5.0, watch_timeout_s: float = 600.0, max_message_mb: int = 64,
                 channel: grpc.Channel | None = None, api_key: str | None = None) -> None:
        """``api_key``: sent as ``authorization: Bearer <key>`` on every call (None = env IDPHOTO_API_KEY)."""
        self.target = target
        self.api_key = os.environ.get("IDPHOTO_API_KEY", "") if api_key is None else api_key
        self.timeout_s = timeout_s
        self.watch_timeout_s = watch_timeout_s
        self.backoff = Backoff(retries=retries, initial_s=backoff_s, max_s=max_backoff_s)
        limit = max_message_mb * 1024 * 1024
        self._own_channel = channel is None
        self.channel = channel or grpc.insecure_channel(target, options=[
            ("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit)])
        self.stub = idphoto_pb2_grpc.IdPhotoServiceStub(self.channel)

    def close(self) -> None:
        if self._own_channel:
            self.channel.close()

    def __enter__(self) -> IdPhotoClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- plumbing --------------------------------------------------------------------------------------------
    def _metadata(self) -> tuple[tuple[str, str], ...]:
        """Per-call metadata: a fresh request id, and the API key when there is one."""
        metadata = (("x-request-id", uuid.uuid4().hex),)
        return metadata + ((("authorization", f"Bearer {self.api_key}"),) if self.api_key else ())

    def _unary(self, method, request, retry: bool = True, timeout_s: float | None = None):
        metadata = self._metadata()
        timeout = self.timeout_s if timeout_s is None else timeout_s
        return call_with_retry(lambda _n: method(request, timeout=timeout, metadata=metadata), self.backoff, retry)

    # --- uploads ---------------------------------------------------------------------------------------------
    def upload(self, source: str | Path | bytes, filename: str | None = None, chunk_size: int = CHUNK,
               content_type: str | None = None, timeout_s: float | None = None) -> idphoto_pb2.Upload:
        """Stream a file (path or bytes) in ``chunk_size`` pieces; the stored sha256 is checked against ours."""
        if chunk_size < 1:
            raise ValueError("chunk_size must be positive")
        if isinstance(source, (bytes, bytearray, memoryview)):
            data, path = bytes(source), None
            name, size = filename or "", len(data)
        else:
            data, path = None, Path(source)
            name, size = filename or path.name, path.stat().st_size
        ctype = content_type or (mimetypes.guess_type(name)[0] if name else None) or ""
        digest: dict[str, str] = {}

        def requests() -> Iterator[idphoto_pb2.UploadImageRequest]:
            hasher = hashlib.sha256()
            first = idphoto_pb2.UploadImageRequest(filename=name, content_type=ctype, size_bytes=size)
            for chunk in self._chunks(data, path, chunk_size):
                hasher.update(chunk)
                if first is not None:
                    first.data, message, first = chunk, first, None
                    yield message
                else:
                    yield idphoto_pb2.UploadImageRequest(data=chunk)
            if first is not None:                     # an empty file: the metadata alone
                yield first
            digest["sha256"] = hasher.hexdigest()

        metadata = self._metadata()
        timeout = self.timeout_s if timeout_s is None else timeout_s
        upload = call_with_retry(lambda _n: self.stub.UploadImage(requests(), timeout=timeout, metadata=metadata),
                                 self.backoff)
        if digest.get("sha256") and upload.sha256 and upload.sha256 != digest["sha256"]:
            raise InternalError("the stored upload does not match the file sent", upload_id=upload.upload_id)
        return upload

    @staticmethod
    def _chunks(data: bytes | None, path: Path | None, chunk_size: int) -> Iterator[bytes]:
        if data is not None:
            for start in range(0, len(data), chunk_size):
                yield data[start:start + chunk_size]
            return
        with open(path, "rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk

    # --- jobs ------------------------------------------------------------------------------------------------
    def create_job(self, spec_id: str, upload_id: str | None = None, image: bytes | str | Path | None = None,
                   options: OptionsLike = None, finalize: bool = False, idempotency_key: str | None = None, *,
                   image_url: str | None = None, webhook_url: str = "") -> idphoto_pb2.Job:
        """Start a job on an upload, an inline image or an image URL (fetched by the server).
        ``idempotency_key`` None = a random one (retries stay safe); "" = none (and no retries)."""
        if sum(x is not None for x in (upload_id, image, image_url)) != 1:
            raise ValueError("give exactly one of upload_id, image or image_url")
        key = uuid.uuid4().hex if idempotency_key is None else idempotency_key
        request = idphoto_pb2.CreateJobRequest(spec_id=spec_id, options=render_options(options),
                                               finalize=finalize, idempotency_key=key, webhook_url=webhook_url)
        if upload_id is not None:
            request.upload_id = upload_id
        elif image_url is not None:
            request.image_url = image_url
        else:
            request.image = image if isinstance(image, bytes) else Path(image).read_bytes()
        return self._unary(self.stub.CreateJob, request, retry=bool(key))

    def get_job(self, job_id: str) -> idphoto_pb2.Job:
        return self._unary(self.stub.GetJob, idphoto_pb2.GetJobRequest(job_id=job_id))

    def finalize(self, job_id: str, options: OptionsLike = None, spec_id: str = "") -> idphoto_pb2.Job:
        """Render the final outputs of a PREVIEW_READY (or finished) job; no model runs again."""
        request = idphoto_pb2.FinalizeJobRequest(job_id=job_id, options=render_options(options))
        if spec_id:
            request.spec_id = spec_id
        attempts: list[int] = []

        def attempt(n: int) -> idphoto_pb2.Job:
            attempts.append(n)
            return self.stub.FinalizeJob(request, timeout=self.timeout_s)

        try:
            return call_with_retry(attempt, self.backoff)
        except InvalidStateError:
            if len(attempts) > 1:           # an attempt whose reply was lost may have started the render
                job = self.get_job(job_id)
                if job.state in (idphoto_pb2.JOB_STATE_FINALIZING, idphoto_pb2.JOB_STATE_SUCCEEDED):
                    return job
            raise

    def cancel(self, job_id: str) -> idphoto_pb2.Job:
        return self._unary(self.stub.CancelJob, idphoto_pb2.CancelJobRequest(job_id=job_id))

    def list_jobs(self, page_size: int = 0, page_token: str = "",
                  state: int | str | None = None) -> idphoto_pb2.ListJobsResponse:
        request = idphoto_pb2.ListJobsRequest(page_size=page_size, page_token=page_token)
        if state is not None:
            request.state = next(iter(job_states([state])))
        return self._unary(self.stub.ListJobs, request)

    def list_specs(self, country: str = "", page_size: int = 0) -> list[common_pb2.Spec]:
        """Every spec (of ``country``), over all pages."""
        specs: list[common_pb2.Spec] = []
        token = ""
        while True:
            page = self._unary(self.stub.ListSpecs, idphoto_pb2.ListSpecsRequest(
                country=country, page_size=page_size, page_token=token))
            specs.extend(page.specs)
            token = page.next_page_token
            if not token:
                return specs

    # --- following a job -------------------------------------------------------------------------------------
    def watch(self, job_id: str, after_event_id: str = "",
              timeout_s: float | None = None) -> Iterator[idphoto_pb2.JobEvent]:
        """The job's events until the server ends the stream; a stream broken with UNAVAILABLE is resumed after
        the last event delivered (``retries`` times in a row at most)."""
        deadline = time.monotonic() + (self.watch_timeout_s if timeout_s is None else timeout_s)
        cursor, failures = after_event_id, 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineExceededError(f"watching job {job_id} ran out of time", job_id=job_id)
            call = self.stub.WatchJob(idphoto_pb2.WatchJobRequest(job_id=job_id, after_event_id=cursor),
                                      timeout=left, metadata=self._metadata())
            try:
                for event in call:
                    if cursor and event.event_id and _already_seen(event.event_id, cursor):
                        continue
                    cursor, failures = event.event_id or cursor, 0
                    yield event
                return
            except grpc.RpcError as err:
                if not (retryable(err) and failures < self.backoff.retries):
                    raise error_from_rpc(err) from err
                time.sleep(self.backoff.delay(failures))
                failures += 1
            finally:
                call.cancel()

    def wait(self, job_id: str, states: Iterable[int | str] = TERMINAL,
             timeout_s: float = 300.0) -> idphoto_pb2.Job:
        """The job once it is in one of ``states``, or once nothing more can happen to it by itself (FAILED,
        CANCELLED, or PREVIEW_READY after a refused render: see ``settled``); raises DeadlineExceededError after
        ``timeout_s``. Events older than the job's current state (WatchJob replays a job's whole history, e.g.
        the SUCCEEDED of an earlier render) are not taken for the state being waited for."""
        wanted = job_states(states)
        deadline = time.monotonic() + timeout_s
        job = self.get_job(job_id)
        cursor = ""
        while job.state not in wanted and not _stuck(job):
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineExceededError(f"job {job_id} is still {state_name(job.state)} after {timeout_s:.0f}s",
                                            job_id=job_id, state=state_name(job.state))
            try:
                for event in self.watch(job_id, cursor, timeout_s=left):
                    cursor = event.event_id or cursor
                    if _reached(event, job.update_time.ToNanoseconds(), wanted):
                        return event.job if event.HasField("job") and event.job.id else self.get_job(job_id)
            except DeadlineExceededError:
                continue                                   # the loop reports it with the job's state
            job = self.get_job(job_id)
            if job.state not in wanted and not _stuck(job):
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
        return job

    # --- outputs ---------------------------------------------------------------------------------------------
    def output(self, job: idphoto_pb2.Job | str, kind: str) -> common_pb2.Output:
        job = self.get_job(job) if isinstance(job, str) else job
        for output in job.outputs:
            if output.kind == kind:
                return output
        kinds = ", ".join(o.kind for o in job.outputs) or "none"
        raise ObjectNotFoundError(f"job {job.id} has no {kind!r} output (has: {kinds})", job_id=job.id, kind=kind)

    def download(self, output: common_pb2.Output | str, job: idphoto_pb2.Job | str | None = None,
                 timeout_s: float | None = None) -> bytes:
        """The bytes of an output: an Output message, or a kind name ("photo", "sheet" …) of ``job``."""
        if isinstance(output, str):
            if job is None:
                raise ValueError("download by kind needs the job (or its id)")
            output = self.output(job, output)
        if not output.url:
            raise ObjectNotFoundError(f"output {output.kind!r} has no URL", kind=output.kind)
        return fetch(output.url, self.timeout_s if timeout_s is None else timeout_s, self.backoff)


__all__ = ["IdPhotoClient", "IdPhotoError"]

"""A small in-process IdPhotoService for client tests: scripted UNAVAILABLE failures, a broken watch stream,
typed errors with the real status details, and a record of what the client sent."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
import uuid
from collections import Counter
from concurrent import futures

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_status import rpc_status

from idphoto.errors import IdPhotoError, JobNotFoundError, RateLimitedError, SpecNotFoundError
from idphoto.rpc.errors import rich_status
from idphoto.v1 import common_pb2, idphoto_pb2, idphoto_pb2_grpc

S = idphoto_pb2
SCRIPT = [S.JOB_STATE_QUEUED, S.JOB_STATE_RUNNING, S.JOB_STATE_RUNNING, S.JOB_STATE_PREVIEW_READY,
          S.JOB_STATE_FINALIZING, S.JOB_STATE_SUCCEEDED]


def event_time(index: int) -> Timestamp:
    """The time of the fake's event ``index`` (one second apart)."""
    return Timestamp(seconds=1700000000 + index)


class _WithTrailer(grpc.Status):
    """A status with more trailing metadata than ``rpc_status.to_status`` gives (the gateway adds retry-after)."""

    def __init__(self, code, details, trailing_metadata) -> None:
        self.code, self.details, self.trailing_metadata = code, details, trailing_metadata


def abort_typed(context, exc: IdPhotoError) -> None:
    context.abort_with_status(rpc_status.to_status(rich_status(exc)))


class FakeGateway(idphoto_pb2_grpc.IdPhotoServiceServicer):
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls: Counter = Counter()
        self.fail_next: Counter = Counter()         # method → how many calls to refuse with UNAVAILABLE first
        self.limit_next: Counter = Counter()        # method → how many calls to refuse as rate limited first
        self.uploads: dict[str, bytes] = {}
        self.upload_messages: list[list[S.UploadImageRequest]] = []
        self.create_requests: list[S.CreateJobRequest] = []
        self.jobs: dict[str, S.Job] = {}
        self.by_key: dict[str, str] = {}
        self.watch_requests: list[S.WatchJobRequest] = []
        self.break_watch_after: int | None = None   # break the next watch after this many events, once
        self.watch_hangs = False                      # WatchJob sends nothing until the client gives up
        self.time_remaining: list[float | None] = []  # the deadline left of every call, as the server saw it
        self.events = [(f"{1700000000000 + i}-0", state) for i, state in enumerate(SCRIPT)]
        self.stages: dict[int, str] = {}              # event index → stage name in its job snapshot
        self.refused_render = False                 # the script stops at PREVIEW_READY with OUTPUT_TOO_LARGE

    def _enter(self, name: str, context) -> None:
        with self.lock:
            self.calls[name] += 1
            self.time_remaining.append(context.time_remaining())
            refuse = self.fail_next[name] > 0
            if refuse:
                self.fail_next[name] -= 1
            limited = not refuse and self.limit_next[name] > 0
            if limited:
                self.limit_next[name] -= 1
        if refuse:
            context.abort(grpc.StatusCode.UNAVAILABLE, "connection refused (scripted)")
        if limited:
            typed = RateLimitedError("rate limited (scripted)", retry_after_s=1.0, retry_after_header="1")
            status = rpc_status.to_status(rich_status(typed))
            context.abort_with_status(_WithTrailer(status.code, status.details,
                                                   (*status.trailing_metadata, ("retry-after", "1"))))

    def UploadImage(self, request_iterator, context):
        messages = list(request_iterator)
        self._enter("UploadImage", context)
        self.upload_messages.append(messages)
        data = b"".join(m.data for m in messages)
        upload_id = "up-" + uuid.uuid4().hex[:8]
        self.uploads[upload_id] = data
        return S.Upload(upload_id=upload_id, sha256=hashlib.sha256(data).hexdigest(), size_bytes=len(data),
                        content_type="image/jpeg", filename=messages[0].filename if messages else "")

    def CreateJob(self, request, context):
        self.create_requests.append(request)
        self._enter("CreateJob", context)
        if request.spec_id == "nope":
            abort_typed(context, SpecNotFoundError("unknown document spec 'nope'", spec_id="nope"))
        with self.lock:
            if request.idempotency_key in self.by_key:
                return self.jobs[self.by_key[request.idempotency_key]]
            job = S.Job(id="job-" + uuid.uuid4().hex[:8], state=S.JOB_STATE_QUEUED, spec_id=request.spec_id,
                        options=request.options, idempotency_key=request.idempotency_key)
            self.jobs[job.id] = job
            if request.idempotency_key:
                self.by_key[request.idempotency_key] = job.id
        return job

    def GetJob(self, request, context):
        self._enter("GetJob", context)
        if request.job_id not in self.jobs:
            abort_typed(context, JobNotFoundError(f"job {request.job_id} not found", job_id=request.job_id))
        return self.jobs[request.job_id]

    def WatchJob(self, request, context):
        self.watch_requests.append(request)
        self._enter("WatchJob", context)
        while self.watch_hangs and context.is_active():
            time.sleep(0.05)
        ids = [event_id for event_id, _ in self.events]
        start = ids.index(request.after_event_id) + 1 if request.after_event_id else 0
        for sent, (event_id, state) in enumerate(self.events[start:]):
            index = start + sent
            if self.break_watch_after is not None and sent == self.break_watch_after:
                self.break_watch_after = None
                context.abort(grpc.StatusCode.UNAVAILABLE, "stream broken (scripted)")
            job = S.Job(id=request.job_id, state=state, stage=self.stages.get(index, ""))
            if self.refused_render and state == S.JOB_STATE_SUCCEEDED:
                job.state = state = S.JOB_STATE_PREVIEW_READY
                job.error.CopyFrom(common_pb2.Error(code="OUTPUT_TOO_LARGE", message="too large"))
                self.jobs[request.job_id] = job
            yield S.JobEvent(event_id=event_id, state=state, job=job, event_time=event_time(index))
        while self.refused_render and context.is_active():   # like the gateway: the stream stays open
            time.sleep(0.05)

    def CancelJob(self, request, context):
        self._enter("CancelJob", context)
        return S.Job(id=request.job_id, state=S.JOB_STATE_CANCELLED)

    def ListSpecs(self, request, context):
        self._enter("ListSpecs", context)
        start = int(request.page_token or 0)
        ids = ["de-passport", "uk-passport", "us-passport"]
        page = ids[start:start + 2]
        following = str(start + 2) if start + 2 < len(ids) else ""
        return S.ListSpecsResponse(specs=[common_pb2.Spec(id=i) for i in page], next_page_token=following,
                                   total_size=len(ids))


@contextlib.contextmanager
def fake_gateway():
    """(servicer, "127.0.0.1:port") of a fake gateway on a free port."""
    servicer = FakeGateway()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    idphoto_pb2_grpc.add_IdPhotoServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield servicer, f"127.0.0.1:{port}"
    finally:
        server.stop(0)

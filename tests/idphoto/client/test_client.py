"""IdPhotoClient against an in-process fake IdPhotoService (no models, no Redis)."""

from __future__ import annotations

import hashlib
import http.server
import os
import threading
import time
from typing import ClassVar

import grpc
import pytest

from idphoto.client import IdPhotoClient, job_error, raise_for_job, render_options, settled
from idphoto.domain.types import RenderOptions
from idphoto.errors import (
    DeadlineExceededError,
    InvalidImageError,
    JobNotFoundError,
    ObjectNotFoundError,
    OutputTooLargeError,
    RateLimitedError,
    ServiceUnavailableError,
    SpecNotFoundError,
)
from idphoto.v1 import common_pb2, idphoto_pb2
from tests.idphoto.client.fake_gateway import SCRIPT, event_time, fake_gateway

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def gateway():
    with fake_gateway() as (servicer, target):
        with IdPhotoClient(target, timeout_s=5, retries=4, backoff_s=0.01, max_backoff_s=0.05) as client:
            yield servicer, client


def test_upload_streams_chunks_and_the_sha256_matches(gateway, tmp_path):
    servicer, client = gateway
    data = os.urandom(1000 * 1024 + 123)
    path = tmp_path / "portrait.jpg"
    path.write_bytes(data)
    upload = client.upload(path, chunk_size=256 * 1024)
    messages = servicer.upload_messages[-1]
    assert len(messages) == 4                                            # 3 full chunks and the tail
    assert messages[0].filename == "portrait.jpg" and messages[0].content_type == "image/jpeg"
    assert messages[0].size_bytes == len(data)
    assert all(not m.filename and not m.HasField("size_bytes") for m in messages[1:])
    assert upload.sha256 == hashlib.sha256(data).hexdigest() == hashlib.sha256(
        servicer.uploads[upload.upload_id]).hexdigest()
    from_bytes = client.upload(data, filename="x.png", chunk_size=300_000)
    assert len(servicer.upload_messages[-1]) == 4 and from_bytes.sha256 == upload.sha256


def test_unary_calls_retry_unavailable_then_succeed(gateway):
    servicer, client = gateway
    job = client.create_job("us-passport", image=b"jpeg bytes")
    servicer.fail_next["GetJob"] = 3
    assert client.get_job(job.id).id == job.id
    assert servicer.calls["GetJob"] == 4


def test_retries_are_bounded_and_end_in_a_typed_error(gateway):
    servicer, client = gateway
    servicer.fail_next["ListSpecs"] = 10
    with pytest.raises(ServiceUnavailableError) as caught:
        client.list_specs()
    assert caught.value.code == "SERVICE_UNAVAILABLE"
    assert servicer.calls["ListSpecs"] == 5                              # the first attempt + 4 retries


def test_create_job_gets_an_idempotency_key_so_a_retry_returns_the_same_job(gateway):
    servicer, client = gateway
    servicer.fail_next["CreateJob"] = 2
    job = client.create_job("us-passport", image=b"jpeg bytes", options={"background": "blue", "max_kb": 60})
    keys = {r.idempotency_key for r in servicer.create_requests}
    assert len(servicer.create_requests) == 3 and len(keys) == 1 and len(keys.pop()) >= 16
    assert job.idempotency_key == servicer.create_requests[0].idempotency_key
    assert len(servicer.jobs) == 1
    assert servicer.create_requests[0].options.background == "blue"
    assert servicer.create_requests[0].options.max_kb == 60


def test_create_job_keeps_the_callers_key_and_without_one_does_not_retry(gateway):
    servicer, client = gateway
    first = client.create_job("us-passport", upload_id="up-1", idempotency_key="mine")
    assert client.create_job("us-passport", upload_id="up-1", idempotency_key="mine").id == first.id
    servicer.fail_next["CreateJob"] = 1
    before = servicer.calls["CreateJob"]
    with pytest.raises(ServiceUnavailableError):
        client.create_job("us-passport", upload_id="up-1", idempotency_key="")
    assert servicer.calls["CreateJob"] == before + 1


def test_watch_resumes_after_a_broken_stream_without_duplicates(gateway):
    servicer, client = gateway
    servicer.break_watch_after = 3
    events = list(client.watch("job-1"))
    assert [e.state for e in events] == SCRIPT
    assert len({e.event_id for e in events}) == len(SCRIPT)
    assert [r.after_event_id for r in servicer.watch_requests] == ["", servicer.events[2][0]]


def test_watch_from_an_event_in_the_middle_replays_the_rest(gateway):
    servicer, client = gateway
    middle = servicer.events[2][0]
    assert [e.event_id for e in client.watch("job-1", after_event_id=middle)] == [
        event_id for event_id, _ in servicer.events[3:]]


def test_wait_returns_at_the_wanted_state(gateway):
    _, client = gateway
    job = client.create_job("us-passport", image=b"x")
    assert client.wait(job.id, states={"PREVIEW_READY"}, timeout_s=5).state == idphoto_pb2.JOB_STATE_PREVIEW_READY
    assert client.wait(job.id, timeout_s=5).state == idphoto_pb2.JOB_STATE_SUCCEEDED


def test_wait_after_a_re_render_ignores_the_replayed_history(gateway):
    servicer, client = gateway
    S = idphoto_pb2
    servicer.events = [(f"{1700000000000 + i}-0", state) for i, state in enumerate(
        [*SCRIPT, S.JOB_STATE_FINALIZING, S.JOB_STATE_RUNNING, S.JOB_STATE_SUCCEEDED])]
    servicer.stages = {5: "first render", 8: "second render"}
    job = client.create_job("us-passport", image=b"x")
    servicer.jobs[job.id] = S.Job(id=job.id, state=S.JOB_STATE_FINALIZING, update_time=event_time(6))
    assert client.wait(job.id, timeout_s=5).stage == "second render"


def test_wait_stops_at_a_refused_render_and_its_error_is_typed(gateway):
    servicer, client = gateway
    servicer.refused_render = True
    job = client.create_job("us-passport", image=b"x", options={"max_kb": 1}, finalize=True)
    started = time.monotonic()
    job = client.wait(job.id, timeout_s=10)
    assert time.monotonic() - started < 3
    assert job.state == idphoto_pb2.JOB_STATE_PREVIEW_READY and settled(job)
    with pytest.raises(OutputTooLargeError):
        raise_for_job(job)


def test_typed_errors_cross_the_wire(gateway):
    _, client = gateway
    with pytest.raises(JobNotFoundError) as caught:
        client.get_job("missing")
    assert caught.value.code == "JOB_NOT_FOUND" and caught.value.details == {"job_id": "missing"}
    with pytest.raises(SpecNotFoundError):
        client.create_job("nope", image=b"x")


def test_an_unreachable_server_is_service_unavailable_within_the_retries():
    with IdPhotoClient("127.0.0.1:1", timeout_s=2, retries=2, backoff_s=0.01) as client:
        with pytest.raises(ServiceUnavailableError):
            client.get_job("x")


def test_a_deadline_is_set_on_every_call(gateway, tmp_path):
    servicer, client = gateway
    job = client.create_job("us-passport", upload_id=client.upload(b"abc").upload_id)
    client.get_job(job.id)
    client.cancel(job.id)
    client.list_specs()                                                  # two pages: two calls
    list(client.watch(job.id))
    assert len(servicer.time_remaining) == 7
    assert all(left is not None and 0 < left <= 601 for left in servicer.time_remaining)
    assert all(left <= 5.1 for left in servicer.time_remaining[:-1])    # unary: timeout_s; watch: its own


def test_list_specs_reads_every_page(gateway):
    _, client = gateway
    assert [s.id for s in client.list_specs()] == ["de-passport", "uk-passport", "us-passport"]


def test_failed_job_errors_are_typed():
    job = idphoto_pb2.Job(id="j", state=idphoto_pb2.JOB_STATE_FAILED,
                          error=common_pb2.Error(code="INVALID_IMAGE", message="not an image"))
    assert isinstance(job_error(job), InvalidImageError)
    with pytest.raises(InvalidImageError):
        raise_for_job(job)
    assert raise_for_job(idphoto_pb2.Job(id="k", state=idphoto_pb2.JOB_STATE_SUCCEEDED)).id == "k"


def test_render_options_from_a_dict_a_dataclass_or_a_message():
    assert render_options({"background": "blue", "max_kb": None}).background == "blue"
    message = render_options(RenderOptions(background="#112233", sheet="4r"))
    assert message.sheet == "4r" and message.format == "jpg" and not message.HasField("max_kb")
    same = common_pb2.RenderOptions(format="png")
    assert render_options(same) is same


class _Files(http.server.BaseHTTPRequestHandler):
    failures: ClassVar[dict[str, int]] = {"/flaky": 2}

    def do_GET(self):
        path = self.path.split("?")[0]
        if self.failures.get(path, 0) > 0:
            self.failures[path] -= 1
            self.send_response(503)
            self.end_headers()
            return
        if path in ("/photo.jpg", "/flaky"):
            body = b"photo bytes"
            self.send_response(200)
        else:
            body = b'{"error": {"code": "OBJECT_NOT_FOUND", "message": "no such object"}}'
            self.send_response(404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_download_by_output_or_kind_with_retries_and_typed_404(gateway):
    _, client = gateway
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        job = idphoto_pb2.Job(id="j", outputs=[common_pb2.Output(kind="photo", url=f"{base}/photo.jpg?sig=1"),
                                               common_pb2.Output(kind="sheet", url=f"{base}/gone")])
        assert client.download(job.outputs[0]) == b"photo bytes"
        assert client.download("photo", job) == b"photo bytes"
        assert client.download(common_pb2.Output(kind="photo", url=f"{base}/flaky")) == b"photo bytes"
        with pytest.raises(ObjectNotFoundError):
            client.download("sheet", job)
        with pytest.raises(ObjectNotFoundError):
            client.download("report", job)
    finally:
        server.shutdown()


def test_watch_has_an_overall_deadline(gateway):
    servicer, client = gateway
    servicer.watch_hangs = True
    with pytest.raises(DeadlineExceededError):
        list(client.watch("job-1", timeout_s=0.5))


def test_rpc_errors_never_leak_raw(gateway):
    servicer, client = gateway
    servicer.fail_next["CancelJob"] = 99
    with pytest.raises(ServiceUnavailableError) as caught:
        client.cancel("j")
    assert not isinstance(caught.value, grpc.RpcError)


def test_rate_limited_calls_wait_the_servers_retry_after_then_succeed(gateway):
    servicer, client = gateway
    job = client.create_job("us-passport", image=b"jpeg bytes")
    servicer.limit_next["GetJob"] = 1
    start = time.monotonic()
    assert client.get_job(job.id).id == job.id
    assert servicer.calls["GetJob"] == 2 and time.monotonic() - start >= 0.95    # waited the 1 s it was told
    servicer.limit_next["GetJob"] = 10
    with pytest.raises(RateLimitedError):
        IdPhotoClient(client.target, retries=0).get_job(job.id)

"""The public API over a real gRPC channel: in-process gateway host, a worker thread with in-process model
clients, real Redis, local object store."""

import io
import threading
import time

import grpc
import pytest
from PIL import Image

from idphoto.rpc.errors import error_from_rpc
from idphoto.v1 import common_pb2, idphoto_pb2, idphoto_pb2_grpc
from services.gateway.api.http import create_http_app
from services.gateway.api.server import create_server
from services.gateway.config import GatewayConfig
from services.gateway.core.service import GatewayCore, GatewayLimits
from services.gateway.storage.uploads import UploadStore
from services.gateway.wiring import GatewayParts
from services.gateway.worker.loop import Worker
from tests.idphoto.rpc.support import insecure, run, serving
from tests.support.images import astronaut_bytes

S = idphoto_pb2.JobState


@pytest.fixture
def parts(job_store, work_queue, redis_client, local_store, key_prefix):
    uploads = UploadStore(redis_client, local_store, retention_s=3600, prefix=key_prefix)
    core = GatewayCore(job_store, work_queue, uploads, local_store, GatewayLimits(max_upload_bytes=3_000_000,
                                                                                  watch_poll_ms=100))
    return GatewayParts(GatewayConfig(port=0), None, None, redis_client, core)


@pytest.fixture
def worker_thread(parts, clients):
    stop = threading.Event()
    worker = Worker(parts.core.jobs, parts.core.queue, parts.core.store, clients, "test-worker")
    thread = threading.Thread(target=worker.run_forever, args=(stop, 100), daemon=True)
    thread.start()
    yield worker
    stop.set()
    thread.join(timeout=30)


def _chunks(data: bytes, size: int = 100_000):
    for i in range(0, len(data), size):
        yield idphoto_pb2.UploadImageRequest(filename="sample.jpg" if i == 0 else "", data=data[i:i + size])


async def _flow(port: int):
    async with insecure(f"127.0.0.1:{port}") as channel:
        stub = idphoto_pb2_grpc.IdPhotoServiceStub(channel)
        upload = await stub.UploadImage(_chunks(astronaut_bytes("JPEG")))
        job = await stub.CreateJob(idphoto_pb2.CreateJobRequest(upload_id=upload.upload_id, spec_id="us-passport"))
        first = [e async for e in stub.WatchJob(idphoto_pb2.WatchJobRequest(job_id=job.id))]
        await stub.FinalizeJob(idphoto_pb2.FinalizeJobRequest(
            job_id=job.id, options=common_pb2.RenderOptions(background="blue", sheet="4r")))
        second = [e async for e in stub.WatchJob(idphoto_pb2.WatchJobRequest(job_id=job.id,
                                                                             after_event_id=first[-1].event_id))]
        done = await stub.GetJob(idphoto_pb2.GetJobRequest(job_id=job.id))
        listed = await stub.ListJobs(idphoto_pb2.ListJobsRequest(page_size=10))
        specs = await stub.ListSpecs(idphoto_pb2.ListSpecsRequest(country="germany"))
        return upload, first, second, done, listed, specs


def test_upload_create_watch_finalize_through_grpc(parts, worker_thread):
    async def scenario():
        host, port = create_server(parts.config, parts)
        async with serving(host):
            return await _flow(port)

    upload, first, second, done, listed, specs = run(scenario())
    assert upload.size_bytes > 0 and len(upload.sha256) == 64 and upload.content_type == "image/jpeg"
    states = [e.state for e in first]
    assert states[0] == S.JOB_STATE_QUEUED and states[-1] == S.JOB_STATE_PREVIEW_READY
    assert S.JOB_STATE_RUNNING in states
    assert [e.state for e in second][-1] == S.JOB_STATE_SUCCEEDED
    assert done.state == S.JOB_STATE_SUCCEEDED and done.report["pass"]
    assert done.measurements.chin_y > done.measurements.crown_y
    photo = next(o for o in done.outputs if o.kind == "photo")
    data = parts.core.store.get(photo.key)
    img = Image.open(io.BytesIO(data))
    assert img.size == (600, 600) and round(img.info["dpi"][0]) == 300
    assert img.convert("RGB").getpixel((2, 2))[2] > 150            # blue background
    valid_for = photo.url_expire_time.ToSeconds() - time.time()       # the link says when it stops working
    assert parts.core.store.default_expiry_s - 60 < valid_for <= parts.core.store.default_expiry_s
    assert done.id in {j.id for j in listed.jobs}
    assert specs.total_size >= 2 and all(s.country == "germany" for s in specs.specs)


async def _error_of(call):
    try:
        await call
    except grpc.RpcError as err:
        return err
    raise AssertionError("no error")


def test_typed_errors_cross_the_wire(parts):
    async def scenario():
        host, port = create_server(parts.config, parts)
        async with serving(host), insecure(f"127.0.0.1:{port}") as channel:
            stub = idphoto_pb2_grpc.IdPhotoServiceStub(channel)
            unknown = await _error_of(stub.CreateJob(idphoto_pb2.CreateJobRequest(
                image=astronaut_bytes("JPEG"), spec_id="atlantis-passport")))
            missing = await _error_of(stub.GetJob(idphoto_pb2.GetJobRequest(job_id="nope")))
            text = await _error_of(stub.CreateJob(idphoto_pb2.CreateJobRequest(image=b"hello", spec_id="us-passport")))
            big = await _error_of(stub.UploadImage(_chunks(b"\xff\xd8\xff" + b"0" * 4_000_000)))
            return unknown, missing, text, big

    unknown, missing, text, big = run(scenario())
    assert unknown.code() == grpc.StatusCode.NOT_FOUND and error_from_rpc(unknown).code == "SPEC_NOT_FOUND"
    assert missing.code() == grpc.StatusCode.NOT_FOUND and error_from_rpc(missing).code == "JOB_NOT_FOUND"
    assert text.code() == grpc.StatusCode.INVALID_ARGUMENT and error_from_rpc(text).code == "INVALID_IMAGE"
    assert error_from_rpc(big).code == "FILE_TOO_LARGE"


def test_signed_download_over_http(parts):
    from starlette.testclient import TestClient

    async def ready():
        return {"redis": True}

    store = parts.core.store
    store.put("t/default/jobs/x/photo.jpg", b"jpegbytes", "image/jpeg")
    url = store.url("t/default/jobs/x/photo.jpg")
    client = TestClient(create_http_app(store, ready))
    path = url.split("://", 1)[1].split("/", 1)[1]
    ok = client.get("/" + path)
    assert ok.status_code == 200 and ok.content == b"jpegbytes" and ok.headers["content-type"] == "image/jpeg"
    assert client.get("/" + path.replace("sig=", "sig=00")).status_code == 403
    assert client.get("/readyz").json() == {"ready": True, "checks": {"redis": True}}
    assert client.get("/healthz").status_code == 200

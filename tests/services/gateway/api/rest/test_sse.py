"""Server-Sent Events against a scripted IdPhotoService on a real in-process gRPC server: resume inside the
gateway when the call ends UNAVAILABLE, an error event when it fails otherwise, keep-alive comments while idle,
and a plain JSON error when the call fails before its first event."""

from __future__ import annotations

import asyncio

import grpc
import httpx
from starlette.applications import Starlette

from idphoto.errors import InvalidStateError, JobNotFoundError
from idphoto.rpc.errors import abort_with
from idphoto.v1 import idphoto_pb2, idphoto_pb2_grpc
from services.gateway.api.rest.app import EXCEPTION_HANDLERS, RestRoute
from services.gateway.api.rest.descriptors import load_surface
from services.gateway.api.rest.transcoder import Transcoder
from tests.services.gateway.api.rest.support import parse_events

S = idphoto_pb2.JobState


def _event(n: int, state=S.JOB_STATE_RUNNING) -> idphoto_pb2.JobEvent:
    return idphoto_pb2.JobEvent(event_id=f"{n}-0", state=state, job=idphoto_pb2.Job(id="j", state=state))


class Scripted(idphoto_pb2_grpc.IdPhotoServiceServicer):
    """WatchJob per job id: "flaky" drops the stream once, "broken" fails after one event, "slow" idles."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    async def WatchJob(self, request, context):
        self.requests.append(request.after_event_id)
        if request.job_id == "missing":
            await abort_with(context, JobNotFoundError("job 'missing' not found"))
        if request.job_id == "flaky" and not request.after_event_id:
            yield _event(1)
            yield _event(2)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "connection recycled")
        if request.job_id == "flaky":
            assert request.after_event_id == "2-0"
            yield _event(3, S.JOB_STATE_PREVIEW_READY)
            return
        if request.job_id == "broken":
            yield _event(1)
            await abort_with(context, InvalidStateError("gone odd"))
        if request.job_id == "slow":
            await asyncio.sleep(0.5)
            yield _event(1, S.JOB_STATE_SUCCEEDED)


async def _run(job_id: str, keepalive_s: float = 15.0):
    server = grpc.aio.server()
    servicer = Scripted()
    idphoto_pb2_grpc.add_IdPhotoServiceServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        transcoder = Transcoder(load_surface(), channel, max_body_bytes=1000, keepalive_s=keepalive_s,
                                first_event_wait_s=0.2)
        app = Starlette(routes=[RestRoute(transcoder)], exception_handlers=EXCEPTION_HANDLERS)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get(f"/v1/jobs/{job_id}:watch")
        return response, servicer.requests
    finally:
        await channel.close()
        await server.stop(0)


def test_unavailable_mid_stream_is_resumed_after_the_last_event_sent():
    response, requests = asyncio.run(_run("flaky"))
    events = parse_events(response.text)
    assert [e["id"] for e in events if e["event"] == "message"] == ["1-0", "2-0", "3-0"]
    assert events[-1]["event"] == "end" and requests == ["", "2-0"]


def test_other_failures_after_the_start_are_an_error_event():
    response, _ = asyncio.run(_run("broken"))
    assert response.status_code == 200
    events = parse_events(response.text)
    assert events[0]["data"]["eventId"] == "1-0"
    assert events[-1]["event"] == "error" and events[-1]["data"]["code"] == "INVALID_STATE"


def test_idle_streams_get_keep_alive_comments():
    response, _ = asyncio.run(_run("slow", keepalive_s=0.1))
    assert response.text.count(": keep-alive") >= 2
    assert [e["event"] for e in parse_events(response.text)] == ["message", "end"]


def test_failure_before_the_first_event_is_a_json_error():
    response, _ = asyncio.run(_run("missing"))
    assert response.status_code == 404 and response.json()["code"] == "JOB_NOT_FOUND"

"""The shared server kit on a scripted FaceService: health, reflection, error mapping, ids, access log, metrics,
deadlines, retries and the graceful stop."""

from __future__ import annotations

import asyncio
import re
import socket

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc

from idphoto.errors import (
    DeadlineExceededError,
    InternalError,
    ModelNotReadyError,
    ServiceUnavailableError,
    SpecNotFoundError,
)
from idphoto.rpc.client import FaceRpcClient, channel
from idphoto.rpc.errors import STATUS_DETAILS_KEY, error_from_rpc
from idphoto.v1 import common_pb2, face_pb2, face_pb2_grpc
from tests.idphoto.rpc.fake_face import DETECT, FACE_SERVICE, fake_host
from tests.idphoto.rpc.support import (
    LogCapture,
    health_status,
    insecure,
    metric_value,
    raw_detect,
    reflected_services,
    run,
    scrape,
    serving,
)

REQUEST = face_pb2.DetectRequest()


async def _detect(target: str, **kwargs):
    return await raw_detect(target, REQUEST, **kwargs)


def test_health_is_not_serving_until_marked_and_reflection_lists_services():
    async def scenario():
        host, _ = fake_host()
        async with serving(host, warm=False), insecure(f"127.0.0.1:{host.port}") as ch:
            before = [await health_status(ch, name) for name in ("", FACE_SERVICE)]
            await host.mark_serving()
            after = [await health_status(ch, name) for name in ("", FACE_SERVICE)]
            with pytest.raises(grpc.RpcError) as unknown:
                await health_status(ch, "idphoto.v1.Nope")
            return before, after, unknown.value.code(), await reflected_services(ch)

    before, after, unknown, services = run(scenario())
    assert before == ["NOT_SERVING", "NOT_SERVING"]
    assert after == ["SERVING", "SERVING"]
    assert unknown == grpc.StatusCode.NOT_FOUND
    assert {FACE_SERVICE, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= services


def test_typed_error_crosses_the_wire_with_error_info():
    async def scenario():
        host, _ = fake_host("typed")
        async with serving(host):
            return await _detect(f"127.0.0.1:{host.port}")

    _, trailing, err = run(scenario())
    assert err.code() == grpc.StatusCode.NOT_FOUND        # SPEC_NOT_FOUND's grpc status in the table
    assert err.details() == "unknown document spec 'xx'"
    status = status_pb2.Status.FromString(dict(trailing)[STATUS_DETAILS_KEY])
    info, error = error_details_pb2.ErrorInfo(), common_pb2.Error()
    assert status.details[0].Unpack(info) and status.details[1].Unpack(error)
    assert (info.reason, info.domain) == ("SPEC_NOT_FOUND", "idphoto")
    assert dict(info.metadata) == {"spec": "xx", "suggestions": '["us-passport", "uk"]', "score": "0.5"}
    assert error.code == "SPEC_NOT_FOUND"
    rebuilt = error_from_rpc(err)
    assert isinstance(rebuilt, SpecNotFoundError)
    assert rebuilt.message == "unknown document spec 'xx'"
    assert rebuilt.details == {"spec": "xx", "suggestions": ["us-passport", "uk"], "score": 0.5}


def test_unexpected_exception_is_internal_without_traceback_on_the_wire():
    async def scenario():
        host, _ = fake_host("boom")
        async with serving(host):
            return await _detect(f"127.0.0.1:{host.port}")

    with LogCapture() as logs:
        _, trailing, err = run(scenario())
    assert err.code() == grpc.StatusCode.INTERNAL
    assert err.details() == "internal error"
    wire = repr(trailing) + err.details()
    assert "secret" not in wire and "Traceback" not in wire and "RuntimeError" not in wire
    assert isinstance(error_from_rpc(err), InternalError)
    status = status_pb2.Status.FromString(dict(trailing)[STATUS_DETAILS_KEY])
    info = error_details_pb2.ErrorInfo()
    status.details[0].Unpack(info)
    assert info.reason == "INTERNAL"
    failures = logs.events("unhandled exception in rpc handler")
    assert len(failures) == 1 and "secret-internal-detail" in failures[0]["exception"]
    assert "Traceback" in failures[0]["exception"]


def test_request_and_job_ids_reach_the_logs_and_come_back():
    async def scenario():
        host, _ = fake_host()
        async with serving(host):
            given = await _detect(f"127.0.0.1:{host.port}", metadata=(("x-request-id", "req-123"),
                                                                       ("x-job-id", "job-9")))
            generated = await _detect(f"127.0.0.1:{host.port}")
            return given, generated

    with LogCapture() as logs:
        (response, trailing, err), (_, trailing2, _) = run(scenario())
    assert err is None and response.face_count == 7
    assert dict(trailing)["x-request-id"] == "req-123"
    assert re.fullmatch(r"[0-9a-f]{32}", dict(trailing2)["x-request-id"])
    inside = logs.events("fake detect")
    assert inside[0]["request_id"] == "req-123" and inside[0]["job_id"] == "job-9"
    assert inside[1]["request_id"] == dict(trailing2)["x-request-id"] and "job_id" not in inside[1]
    access = [line for line in logs.events("rpc") if line["method"] == DETECT]
    assert len(access) == 2
    first = access[0]
    assert (first["code"], first["request_id"], first["job_id"], first["service"]) == ("OK", "req-123", "job-9",
                                                                                       "fake")
    assert first["duration_ms"] >= 0 and first["peer"].startswith("ipv4:127.0.0.1:")


def test_metrics_endpoint_counts_calls_by_method_and_code():
    async def scenario():
        host, servicer = fake_host(metrics_port=0)
        async with serving(host):
            await _detect(f"127.0.0.1:{host.port}")
            servicer.mode = "typed"
            await _detect(f"127.0.0.1:{host.port}")
            return await scrape(host.metrics_port)

    text = run(scenario())
    assert metric_value(text, "idphoto_rpc_calls_total", service="fake", method=DETECT, code="OK") >= 1
    assert metric_value(text, "idphoto_rpc_calls_total", service="fake", method=DETECT, code="NOT_FOUND") >= 1
    assert metric_value(text, "idphoto_rpc_latency_seconds_count", service="fake", method=DETECT) >= 2
    assert 'idphoto_rpc_in_flight{method="idphoto.v1.FaceService/Detect",service="fake"} 0.0' in text


def test_no_metrics_server_with_port_minus_one():
    async def scenario():
        host, _ = fake_host()
        async with serving(host):
            return host.metrics_port

    assert run(scenario()) is None


def test_deadline_shorter_than_the_work_is_deadline_exceeded():
    async def scenario():
        host, servicer = fake_host(delay=2.0)
        async with serving(host), insecure(f"127.0.0.1:{host.port}") as ch:
            client = FaceRpcClient(ch, timeout_s=0.2)
            with pytest.raises(DeadlineExceededError):
                await client.detect(__import__("numpy").zeros((2, 2, 3), "uint8"))
            await asyncio.sleep(0.1)
            return servicer

    with LogCapture() as logs:
        servicer = run(scenario())
    assert 0 < servicer.time_remaining[0] <= 0.21           # the caller's deadline (gRPC rounds it up slightly)
    assert servicer.finished == 0                          # the server cancels the handler at the deadline
    assert [line["code"] for line in logs.events("rpc") if line["method"] == DETECT] == ["DEADLINE_EXCEEDED"]


def test_unavailable_is_retried_and_rebuilt():
    async def scenario():
        host, servicer = fake_host("not-ready")
        async with serving(host):
            ch = channel(f"127.0.0.1:{host.port}")
            try:
                with pytest.raises(ModelNotReadyError):
                    await FaceRpcClient(ch).detect(__import__("numpy").zeros((600, 600, 3), "uint8"))
            finally:
                await ch.close()
            return servicer.started

    assert run(scenario()) == 4                              # maxAttempts of the retry policy


def test_no_server_is_service_unavailable():
    async def scenario():
        with socket.socket() as sock:            # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        ch = channel(f"127.0.0.1:{port}")
        try:
            with pytest.raises(ServiceUnavailableError) as info:
                await FaceRpcClient(ch, timeout_s=10).detect(__import__("numpy").zeros((2, 2, 3), "uint8"))
            return info.value.message, port
        finally:
            await ch.close()

    message, port = run(scenario())
    assert str(port) not in message and "127.0.0.1" not in message and "ipv4" not in message   # no internal address


def test_stop_goes_not_serving_first_then_drains_in_flight_calls():
    async def scenario():
        host, servicer = fake_host(delay=0.6)
        await host.start()
        await host.warm_up()
        async with insecure(f"127.0.0.1:{host.port}") as ch:
            watch = health_pb2_grpc.HealthStub(ch).Watch(health_pb2.HealthCheckRequest(service=FACE_SERVICE))
            assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
            in_flight = asyncio.ensure_future(face_pb2_grpc.FaceServiceStub(ch).Detect(REQUEST))
            while servicer.started == 0:
                await asyncio.sleep(0.01)
            loop = asyncio.get_running_loop()
            start = loop.time()
            stopping = asyncio.create_task(host.stop(grace=5.0))
            seen = (await watch.read()).status
            call_done_before_stop = not in_flight.done()
            watch.cancel()
            response = await in_flight
            done_at = loop.time()
            await stopping
            stop_took = loop.time() - start
            with pytest.raises(grpc.RpcError) as late:
                await face_pb2_grpc.FaceServiceStub(ch).Detect(REQUEST, timeout=1)
            return seen, call_done_before_stop, response, done_at - start, stop_took, late.value.code()

    seen, pending_when_not_serving, response, call_took, stop_took, late = run(scenario())
    assert seen == health_pb2.HealthCheckResponse.NOT_SERVING
    assert pending_when_not_serving                      # NOT_SERVING was announced while the call still ran
    assert response.face_count == 7                      # the in-flight call completed within the grace
    assert call_took < 1.5 and stop_took < 3.0           # stop returned once drained, not after the full grace
    assert late == grpc.StatusCode.UNAVAILABLE


def test_grace_expiry_cancels_calls_that_run_too_long():
    async def scenario():
        host, servicer = fake_host(delay=5.0)
        await host.start()
        async with insecure(f"127.0.0.1:{host.port}") as ch:
            call = asyncio.ensure_future(face_pb2_grpc.FaceServiceStub(ch).Detect(REQUEST))
            while servicer.started == 0:
                await asyncio.sleep(0.01)
            await host.stop(grace=0.3)
            with pytest.raises(grpc.RpcError) as cancelled:
                await call
            return cancelled.value.code(), servicer.finished

    code, finished = run(scenario())
    assert code in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE) and finished == 0


def test_max_concurrent_rpcs_refuses_calls_beyond_the_limit():
    async def scenario():
        host, servicer = fake_host(delay=0.5, max_concurrent_rpcs=1)
        async with serving(host), insecure(f"127.0.0.1:{host.port}") as ch:
            first = asyncio.ensure_future(face_pb2_grpc.FaceServiceStub(ch).Detect(REQUEST))
            while servicer.started == 0:
                await asyncio.sleep(0.01)
            with pytest.raises(grpc.RpcError) as refused:
                await face_pb2_grpc.FaceServiceStub(ch).Detect(REQUEST)
            return (await first).face_count, refused.value.code()

    assert run(scenario()) == (7, grpc.StatusCode.RESOURCE_EXHAUSTED)

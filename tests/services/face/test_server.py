"""The face service on real models through a real channel (servers in-process on 127.0.0.1, port 0)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import numpy as np
import pytest
from google.rpc import error_details_pb2, status_pb2

from idphoto.errors import DeadlineExceededError, MultipleFacesError, NoFaceError
from idphoto.rpc.client import FaceRpcClient, channel
from idphoto.rpc.errors import STATUS_DETAILS_KEY, error_from_rpc
from idphoto.rpc.tensor import to_tensor
from idphoto.v1 import face_pb2, face_pb2_grpc
from services.face.server import SERVICE_NAME, FaceServiceConfig, create_server
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
from tests.support.images import astronaut

DETECT = "idphoto.v1.FaceService/Detect"
ROOT = Path(__file__).resolve().parents[3]
CONFIG = FaceServiceConfig(metrics_port=-1)


def _request(rgb: np.ndarray, policy: str = "") -> face_pb2.DetectRequest:
    return face_pb2.DetectRequest(image=to_tensor(rgb), options=face_pb2.DetectOptions(policy=policy))


async def _raw_detect(port: int, request: face_pb2.DetectRequest, **kwargs):
    return await raw_detect(f"127.0.0.1:{port}", request, **kwargs)


def test_serving_only_after_the_models_are_loaded_and_warmed():
    async def scenario():
        host, port = create_server(CONFIG)
        async with serving(host, warm=False), insecure(f"127.0.0.1:{port}") as ch:
            before = [await health_status(ch, name) for name in ("", SERVICE_NAME)]
            _, _, early = await _raw_detect(port, _request(astronaut()))
            await host.warm_up()
            after = [await health_status(ch, name) for name in ("", SERVICE_NAME)]
            return before, early, after, host.servicer.core, await reflected_services(ch)

    before, early, after, core, services = run(scenario())
    assert before == ["NOT_SERVING", "NOT_SERVING"]
    assert early.code() == grpc.StatusCode.UNAVAILABLE and error_from_rpc(early).code == "MODEL_NOT_READY"
    assert after == ["SERVING", "SERVING"]
    assert core is not None
    assert {SERVICE_NAME, "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= services


def test_not_serving_while_the_face_mesh_model_is_missing(tmp_path):
    from idphoto.errors import ModelNotReadyError
    from idphoto.models.store import model_path

    for name in ("mtcnn-pnet", "mtcnn-rnet", "mtcnn-onet"):      # the detector is there, the mesh is not
        (tmp_path / model_path(name).name).write_bytes(model_path(name).read_bytes())

    async def scenario():
        host, port = create_server(CONFIG, model_dir=tmp_path)
        async with serving(host, warm=False), insecure(f"127.0.0.1:{port}") as ch:
            with pytest.raises(ModelNotReadyError, match="face-mesh"):
                await host.warm_up()
            return await health_status(ch, SERVICE_NAME)

    assert run(scenario()) == "NOT_SERVING"


def test_detect_over_the_wire_equals_the_in_process_core(face_core):
    expected = face_core.analyze(astronaut())

    async def scenario():
        host, port = create_server(CONFIG, core=face_core)
        async with serving(host):
            ch = channel(f"127.0.0.1:{port}")
            try:
                client = FaceRpcClient(ch)
                return await client.detect(astronaut()), await client.analyze(astronaut())
            finally:
                await ch.close()

    response, analysis = run(scenario())
    assert len(response.faces) == 1 and response.face_count == 1
    np.testing.assert_allclose(analysis.face.landmarks, expected.face.landmarks, atol=1e-3)
    np.testing.assert_allclose(analysis.face.box, expected.face.box, atol=1e-3)
    assert analysis.face_count == expected.face_count == 1
    assert analysis.alignment.angle_deg == pytest.approx(expected.alignment.angle_deg, abs=1e-6)
    np.testing.assert_allclose(analysis.alignment.left_pupil, expected.alignment.left_pupil, atol=1e-3)
    np.testing.assert_allclose(analysis.alignment.right_pupil, expected.alignment.right_pupil, atol=1e-3)
    np.testing.assert_allclose(analysis.mesh.points, expected.mesh.points, atol=1e-3)    # float32 on the wire
    assert analysis.mesh.score == pytest.approx(expected.mesh.score)


def test_no_face_crosses_the_wire_as_a_typed_error(face_core):
    async def scenario():
        host, port = create_server(CONFIG, core=face_core)
        async with serving(host):
            return await _raw_detect(port, _request(np.full((300, 300, 3), 128, np.uint8)))

    _, trailing, err = run(scenario())
    assert err.code() == grpc.StatusCode[NoFaceError.grpc_status]        # INVALID_ARGUMENT from the table
    status = status_pb2.Status.FromString(dict(trailing)[STATUS_DETAILS_KEY])
    info = error_details_pb2.ErrorInfo()
    assert status.details[0].Unpack(info) and (info.reason, info.domain) == ("NO_FACE", "idphoto")
    assert isinstance(error_from_rpc(err), NoFaceError)


def test_policy_from_the_request_overrides_the_configuration(face_core):
    two = np.hstack([astronaut(), astronaut()])

    async def scenario():
        host, port = create_server(CONFIG, core=face_core)
        async with serving(host):
            results = []
            for policy in ("", "largest", "smallest"):
                _, _, err = response = await _raw_detect(port, _request(two, policy))
                results.append(error_from_rpc(err) if err else response[0])
            return results

    default, largest, bad = run(scenario())
    assert isinstance(default, MultipleFacesError)             # FaceConfig default policy is "error"
    assert len(largest.faces) == 2 and largest.face_count == 2
    assert bad.code == "INVALID_OPTION"


def test_unexpected_exception_is_internal(face_core, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("secret detector state")

    monkeypatch.setattr(face_core, "analyze", broken)

    async def scenario():
        host, port = create_server(CONFIG, core=face_core)
        async with serving(host):
            return await _raw_detect(port, _request(astronaut()))

    with LogCapture() as logs:
        _, trailing, err = run(scenario())
    assert err.code() == grpc.StatusCode.INTERNAL and err.details() == "internal error"
    assert "secret" not in repr(trailing) and "Traceback" not in repr(trailing)
    assert error_from_rpc(err).code == "INTERNAL"
    assert "secret detector state" in logs.events("unhandled exception in rpc handler")[0]["exception"]


def test_request_id_access_log_and_metrics(face_core):
    async def scenario():
        host, port = create_server(FaceServiceConfig(metrics_port=0), core=face_core)
        async with serving(host):
            result = await _raw_detect(port, _request(astronaut()), metadata=(("x-request-id", "face-req-1"),))
            return result, await scrape(host.metrics_port)

    with LogCapture() as logs:
        (_, trailing, err), text = run(scenario())
    assert err is None and dict(trailing)["x-request-id"] == "face-req-1"
    access = [line for line in logs.events("rpc") if line["method"] == DETECT]
    assert len(access) == 1
    assert access[0]["request_id"] == "face-req-1" and access[0]["code"] == "OK" and access[0]["service"] == "face"
    assert metric_value(text, "idphoto_rpc_calls_total", service="face", method=DETECT, code="OK") >= 1
    assert metric_value(text, "idphoto_model_inference_seconds_count", service="face", model="mtcnn") >= 1


def test_deadline_shorter_than_the_work(face_core):
    big = np.repeat(np.repeat(astronaut(), 4, axis=0), 4, axis=1)

    async def scenario():
        host, port = create_server(CONFIG, core=face_core)
        async with serving(host):
            ch = channel(f"127.0.0.1:{port}")
            try:
                with pytest.raises(DeadlineExceededError):
                    await FaceRpcClient(ch, timeout_s=0.005).analyze(big)
            finally:
                await ch.close()
            await asyncio.sleep(0.3)          # let the worker thread finish before the loop closes

    run(scenario())


def test_round_robin_spreads_calls_over_two_face_servers(face_core):
    async def scenario():
        (a, pa), (b, pb) = create_server(CONFIG, core=face_core), create_server(CONFIG, core=face_core)
        async with serving(a), serving(b):
            ch = channel([f"127.0.0.1:{pa}", f"127.0.0.1:{pb}"])
            try:
                await ch.channel_ready()
                await asyncio.sleep(0.2)
                client = FaceRpcClient(ch)
                for _ in range(6):
                    assert (await client.analyze(astronaut())).face_count == 1
            finally:
                await ch.close()
            return a.stats[DETECT], b.stats[DETECT]

    counts = run(scenario())
    assert sum(counts) == 6 and min(counts) >= 2


def test_python_m_services_face_serves_and_drains_on_sigterm():
    env = {**os.environ, "IDPHOTO_FACE_PORT": "0", "IDPHOTO_FACE_METRICS_PORT": "-1", "IDPHOTO_FACE_GRACE_S": "5",
           "IDPHOTO_FACE_PROVIDERS": "cpu", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "services.face"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        port = json.loads(proc.stdout.readline())["port"]

        async def scenario():
            async with insecure(f"127.0.0.1:{port}") as ch:
                while await health_status(ch) != "SERVING":
                    await asyncio.sleep(0.05)
                stub = face_pb2_grpc.FaceServiceStub(ch)
                await stub.Detect(_request(astronaut()))
                in_flight = asyncio.ensure_future(stub.Detect(_request(np.hstack([astronaut()] * 3), "largest")))
                await asyncio.sleep(0.03)
                proc.send_signal(signal.SIGTERM)
                return await in_flight

        response = run(scenario())
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    logs = [json.loads(line) for line in proc.stderr.read().splitlines() if line.startswith("{")]
    assert response.face_count == 3 and code == 0
    events = [line["event"] if line["event"] != "rpc" else line["method"] for line in logs]
    # the second Detect was still running when SIGTERM arrived: its access line comes after "stopping"
    detects = [i for i, event in enumerate(events) if event == DETECT]
    assert events.index("serving") < detects[0] < events.index("stopping") < detects[1] < events.index("stopped")

"""The matting service through a real channel: the real RVM model for health and equality, an instrumented fake
model (same API: predict, name, calls) for MatteStream's bound and per-item errors."""

from __future__ import annotations

import asyncio
import threading
import time

import grpc
import numpy as np

from idphoto.domain.types import Matte
from idphoto.errors import InvalidImageError, NoFaceError
from idphoto.rpc.client import MattingRpcClient, channel
from idphoto.rpc.errors import error_from_proto, error_from_rpc
from idphoto.rpc.tensor import to_tensor
from idphoto.v1 import matting_pb2, matting_pb2_grpc
from services.matting.server import SERVICE_NAME, MattingServiceConfig, create_server
from tests.idphoto.rpc.support import (
    LogCapture,
    health_status,
    insecure,
    metric_value,
    reflected_services,
    run,
    scrape,
    serving,
)
from tests.support.images import astronaut


class CountingModel:
    """Sleeps ``delay`` per image and records the most predictions ever running at once. The alpha is filled
    with the image's first pixel value so a response can be matched to its request. A first pixel of 250 raises
    NoFaceError, 251 a RuntimeError."""

    name = "counting"

    def __init__(self, delay: float = 0.1) -> None:
        self.delay, self.calls, self.active, self.peak = delay, 0, 0, 0
        self._lock = threading.Lock()

    def predict(self, rgb: np.ndarray) -> Matte:
        with self._lock:
            self.calls += 1
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            time.sleep(self.delay)
            if rgb[0, 0, 0] == 250:
                raise NoFaceError("no person in this one")
            if rgb[0, 0, 0] == 251:
                raise RuntimeError("model exploded")
            alpha = np.full(rgb.shape[:2], rgb[0, 0, 0] / 255.0, np.float32)
            return Matte(alpha=alpha, foreground=rgb.copy())
        finally:
            with self._lock:
                self.active -= 1


def _image(value: int) -> np.ndarray:
    return np.full((8, 6, 3), value, np.uint8)


def _stream_requests(values):
    return [matting_pb2.MatteRequest(request_id=f"item-{v}", rgb=to_tensor(_image(v))) for v in values]


def test_serving_only_after_the_model_is_loaded(matting_model):
    async def scenario():
        host, port = create_server(MattingServiceConfig(metrics_port=-1, providers=("cpu",)))
        async with serving(host, warm=False), insecure(f"127.0.0.1:{port}") as ch:
            before = [await health_status(ch, name) for name in ("", SERVICE_NAME)]
            with_no_model = None
            try:
                await matting_pb2_grpc.MattingServiceStub(ch).Matte(matting_pb2.MatteRequest(rgb=to_tensor(_image(1))))
            except grpc.RpcError as err:
                with_no_model = error_from_rpc(err).code
            await host.warm_up()
            after = [await health_status(ch, name) for name in ("", SERVICE_NAME)]
            return before, with_no_model, after, host.servicer.model, await reflected_services(ch)

    before, with_no_model, after, model, services = run(scenario())
    assert before == ["NOT_SERVING", "NOT_SERVING"] and with_no_model == "MODEL_NOT_READY"
    assert after == ["SERVING", "SERVING"]
    assert model.name == matting_model.name and model.calls == 0          # loaded and warmed (warm-up resets)
    assert {SERVICE_NAME, "grpc.health.v1.Health"} <= services


def test_matte_over_the_wire_equals_the_in_process_model(matting_model):
    region = astronaut()[0:320, 100:356]
    expected = matting_model.predict(region)

    async def scenario():
        host, port = create_server(MattingServiceConfig(metrics_port=0), model=matting_model)
        async with serving(host):
            ch = channel(f"127.0.0.1:{port}")
            try:
                matte = await MattingRpcClient(ch).matte(region)
                raw = await matting_pb2_grpc.MattingServiceStub(ch).Matte(
                    matting_pb2.MatteRequest(request_id="r1", rgb=to_tensor(region)))
            finally:
                await ch.close()
            return matte, raw, await scrape(host.metrics_port)

    matte, raw, text = run(scenario())
    assert matte.alpha.dtype == np.float32 and matte.alpha.shape == region.shape[:2]
    np.testing.assert_allclose(matte.alpha, expected.alpha, atol=0.5 / 255 + 1e-6)   # uint8 on the wire
    assert raw.alpha.dtype == "uint8"
    assert np.abs(matte.foreground.astype(int) - expected.foreground.astype(int)).max() <= 1
    assert (raw.request_id, raw.model) == ("r1", matting_model.name) and raw.inference_ms > 0
    assert metric_value(text, "idphoto_model_inference_seconds_count", service="matting",
                        model=matting_model.name) >= 2


def test_matte_rejects_a_tensor_that_is_not_rgb():
    async def scenario():
        host, port = create_server(MattingServiceConfig(metrics_port=-1), model=CountingModel(0))
        async with serving(host), insecure(f"127.0.0.1:{port}") as ch:
            try:
                await matting_pb2_grpc.MattingServiceStub(ch).Matte(
                    matting_pb2.MatteRequest(rgb=to_tensor(np.zeros((4, 4), np.float32))))
            except grpc.RpcError as err:
                return err.code(), error_from_rpc(err)

    code, error = run(scenario())
    assert code == grpc.StatusCode.INVALID_ARGUMENT and isinstance(error, InvalidImageError)


def test_matte_stream_is_bounded_in_flight_and_correlated():
    model = CountingModel(delay=0.1)

    async def scenario():
        host, port = create_server(MattingServiceConfig(metrics_port=-1, max_in_flight=2), model=model)
        async with serving(host), insecure(f"127.0.0.1:{port}") as ch:
            start = time.perf_counter()
            stream = matting_pb2_grpc.MattingServiceStub(ch).MatteStream(iter(_stream_requests(range(10, 16))))
            responses = [r async for r in stream]
            return responses, time.perf_counter() - start

    responses, took = run(scenario())
    assert len(responses) == 6 and model.calls == 6
    assert model.peak == 2                                        # never more than max_in_flight at once
    assert took >= 0.29                                           # 6 items x 0.1 s, two at a time
    for response in responses:
        value = int(response.request_id.split("-")[1])
        alpha = np.frombuffer(response.alpha.data, np.uint8)                 # alpha travels as uint8
        assert not response.HasField("error") and (alpha == value).all()
    assert sorted(r.request_id for r in responses) == [f"item-{v}" for v in range(10, 16)]


def test_a_failing_item_answers_with_its_error_and_the_stream_goes_on():
    model = CountingModel(delay=0.01)

    async def scenario():
        host, port = create_server(MattingServiceConfig(metrics_port=-1, max_in_flight=3), model=model)
        async with serving(host), insecure(f"127.0.0.1:{port}") as ch:
            requests = _stream_requests([1, 250, 2, 251, 3])
            requests.insert(2, matting_pb2.MatteRequest(request_id="bad-tensor"))
            stream = matting_pb2_grpc.MattingServiceStub(ch).MatteStream(iter(requests))
            responses = {r.request_id: r async for r in stream}
            ch2 = channel(f"127.0.0.1:{port}")
            try:
                batch = await MattingRpcClient(ch2).matte_many([_image(5), _image(250), _image(6)])
            finally:
                await ch2.close()
            return responses, batch

    with LogCapture() as logs:
        responses, batch = run(scenario())
    assert len(responses) == 6
    assert isinstance(error_from_proto(responses["item-250"].error), NoFaceError)
    assert responses["item-251"].error.code == "INTERNAL" and responses["item-251"].error.message == "internal error"
    assert responses["bad-tensor"].error.code == "INVALID_IMAGE"
    assert all(not responses[f"item-{v}"].HasField("error") for v in (1, 2, 3))
    assert "model exploded" in logs.events("matte stream item failed")[0]["exception"]
    assert isinstance(batch[0], Matte) and isinstance(batch[1], NoFaceError) and isinstance(batch[2], Matte)
    assert np.allclose(batch[2].alpha, 6 / 255.0)
    stream_lines = [line for line in logs.events("rpc") if line["method"].endswith("MatteStream")]
    assert [line["code"] for line in stream_lines] == ["OK", "OK"]


def test_event_loop_stays_responsive_while_the_model_works():
    model = CountingModel(delay=0.5)

    async def scenario():
        host, port = create_server(MattingServiceConfig(metrics_port=-1), model=model)
        async with serving(host), insecure(f"127.0.0.1:{port}") as ch:
            call = asyncio.ensure_future(matting_pb2_grpc.MattingServiceStub(ch).Matte(
                matting_pb2.MatteRequest(rgb=to_tensor(_image(9)))))
            await asyncio.sleep(0.1)
            start = time.perf_counter()
            status = await health_status(ch)
            health_took = time.perf_counter() - start
            await call
            return status, health_took

    status, health_took = run(scenario())
    assert status == "SERVING" and health_took < 0.2

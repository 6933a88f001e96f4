"""The compose service through a real channel: Render and Layout equal the in-process Stage B byte for byte."""

from __future__ import annotations

import json

import grpc
import numpy as np
import pytest

from idphoto.domain.specs import get_spec
from idphoto.domain.types import RenderOptions
from idphoto.errors import DeadlineExceededError, InvalidOptionError, PaperNotFoundError, SpecNotFoundError
from idphoto.pipeline.run import stage_a
from idphoto.rpc.client import ComposeRpcClient, channel
from idphoto.rpc.convert import cutout_to_proto, decode_rgb, options_to_proto
from idphoto.rpc.errors import error_from_rpc
from idphoto.v1 import compose_pb2
from services.compose.render import layout, render
from services.compose.server import SERVICE_NAME, ComposeServiceConfig, create_server
from tests.idphoto.rpc.support import health_status, insecure, reflected_services, run, serving
from tests.support.images import astronaut_bytes

CONFIG = ComposeServiceConfig(metrics_port=-1)
OPTIONS = RenderOptions(background="light-grey", brightness=5.0, contrast=-3.0, sheet="4r", sheet_gap_mm=1.5)


@pytest.fixture(scope="module")
def cutout(clients):
    return stage_a(astronaut_bytes(), get_spec("us-passport"), clients)


def _json(value):
    return json.loads(json.dumps(value))


async def _with_client(fn, timeout_s: float = 30.0):
    host, port = create_server(CONFIG)
    async with serving(host):
        ch = channel(f"127.0.0.1:{port}")
        try:
            return await fn(ComposeRpcClient(ch, timeout_s=timeout_s))
        finally:
            await ch.close()


def test_serving_only_after_warm_up_and_reflection():
    async def scenario():
        host, port = create_server(CONFIG)
        async with serving(host, warm=False), insecure(f"127.0.0.1:{port}") as ch:
            before = await health_status(ch, SERVICE_NAME)
            await host.warm_up()
            return before, await health_status(ch, SERVICE_NAME), await reflected_services(ch)

    before, after, services = run(scenario())
    assert (before, after) == ("NOT_SERVING", "SERVING") and SERVICE_NAME in services


def test_render_over_the_wire_equals_in_process_render(cutout):
    spec = get_spec("us-passport")
    expected = render(cutout, spec, OPTIONS)

    async def calls(client):
        by_spec = await client.render(cutout, spec, OPTIONS, include_photo_rgb=True)
        by_id = await client.render(cutout, "us-passport", OPTIONS)
        raw = await client.stub.Render(compose_pb2.RenderRequest(
            cutout=cutout_to_proto(cutout), spec_id="us-passport", options=options_to_proto(OPTIONS)))
        return by_spec, by_id, raw

    by_spec, by_id, raw = run(_with_client(calls))
    for result in (by_spec, by_id):
        assert result.photo_bytes == expected.photo_bytes
        assert result.sheet_bytes == expected.sheet_bytes
        assert result.content_type == expected.content_type == "image/jpeg"
        assert result.report == _json(expected.report)
        assert result.sheet.shape == expected.sheet.shape
    np.testing.assert_array_equal(by_spec.photo, expected.photo)          # the exact RGB before encoding
    assert by_id.photo.shape == expected.photo.shape                      # decoded from the JPEG
    assert not raw.HasField("photo_rgb")
    assert (raw.width_px, raw.height_px) == (spec.width_px, spec.height_px)
    assert raw.sheet_layout.paper == "4r" and len(raw.sheet_layout.positions) == expected.report["sheet"]["copies"]
    assert (raw.sheet_layout.width_px, raw.sheet_layout.height_px) == expected.sheet.shape[1::-1]


def test_render_errors_cross_the_wire(cutout):
    async def calls(client):
        errors = []
        for spec, options in (("xx-passport", RenderOptions()), ("us-passport", RenderOptions(brightness=500))):
            try:
                await client.render(cutout, spec, options)
            except Exception as exc:  # noqa: BLE001 - the typed errors are what is checked
                errors.append(exc)
        try:
            await client.stub.Render(compose_pb2.RenderRequest(cutout=cutout_to_proto(cutout)))
        except grpc.RpcError as err:
            errors.append((err.code(), error_from_rpc(err)))
        return errors

    unknown, bad_option, (code, no_spec) = run(_with_client(calls))
    assert isinstance(unknown, SpecNotFoundError) and unknown.details["spec"] == "xx-passport"
    assert isinstance(bad_option, InvalidOptionError)
    assert code == grpc.StatusCode.INVALID_ARGUMENT and isinstance(no_spec, InvalidOptionError)


def test_render_custom_spec_id(cutout):
    result = run(_with_client(lambda c: c.render(cutout, "custom:35x45mm@300", RenderOptions(format="png"))))
    assert result.content_type == "image/png" and result.photo.shape == (531, 413, 3)
    assert result.sheet is None and result.sheet_bytes is None


def test_layout_equals_in_process_layout(cutout):
    photo = render(cutout, get_spec("us-passport"), RenderOptions())
    _, expected_jpg = layout(decode_rgb(photo.photo_bytes), "4r", 300, None, None, True, "jpg")
    _, expected_png = layout(photo.photo, "5x7", 150, 1.0, 3.0, False, "png")

    async def calls(client):
        from_file = await client.layout(photo.photo_bytes, "4r")
        from_rgb = await client.layout(photo.photo, "5x7", dpi=150, gap_mm=1.0, cut_guides=False, fmt="png")
        with pytest.raises(PaperNotFoundError):
            await client.layout(photo.photo, "napkin")
        return from_file, from_rgb

    from_file, from_rgb = run(_with_client(calls))
    assert from_file.sheet_bytes == expected_jpg and from_file.content_type == "image/jpeg"
    assert from_rgb.sheet_bytes == expected_png and from_rgb.content_type == "image/png"
    assert from_file.layout.paper == "4r" and from_file.layout.count == from_file.layout.cols * from_file.layout.rows
    assert from_rgb.layout.dpi == 150


def test_deadline_shorter_than_the_render(cutout):
    async def call(client):
        with pytest.raises(DeadlineExceededError):
            await client.render(cutout, "us-passport", OPTIONS)

    run(_with_client(call, timeout_s=0.01))

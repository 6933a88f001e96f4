"""Hostile bytes and metadata at the rpc kit: every answer typed, none untyped or oversized (issue: hardening)."""

from __future__ import annotations

import grpc
import pytest

from idphoto.errors import InputError, SpecNotFoundError
from idphoto.rpc.errors import error_from_rpc, rich_status
from idphoto.v1 import face_pb2
from tests.idphoto.rpc.fake_face import DETECT, fake_host
from tests.idphoto.rpc.support import insecure, run, serving

BAD_BODIES = {
    "truncated varint": b"\x0a\xff",
    "random bytes": bytes(range(256)) * 3,
    "bad utf-8 in a string": b"\x0a\x04\x12\x02\xff\xfe",      # DetectRequest.image.dtype = b"\xff\xfe"
    "wrong wire type": b"\x0d\x00\x00",
}


async def _raw(port: int, body: bytes, metadata=()):
    async with insecure(f"127.0.0.1:{port}") as ch:
        call = ch.unary_unary("/" + DETECT, request_serializer=None, response_deserializer=None)
        try:
            return await call(body, metadata=metadata, timeout=10), None
        except grpc.RpcError as err:
            return None, err


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_a_body_that_is_not_protobuf_is_invalid_input(case):
    async def scenario():
        host, servicer = fake_host()
        async with serving(host):
            _, err = await _raw(host.port, BAD_BODIES[case])
            return err, servicer.started

    err, started = run(scenario())
    assert err is not None and err.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert isinstance(error_from_rpc(err), InputError) and error_from_rpc(err).code == "INVALID_INPUT"
    assert started == 0                          # the handler never saw it


def test_a_good_body_after_bad_ones_still_works():
    async def scenario():
        host, _ = fake_host()
        async with serving(host):
            await _raw(host.port, b"\x0a\xff")
            return await _raw(host.port, face_pb2.DetectRequest().SerializeToString())

    body, err = run(scenario())
    assert err is None and face_pb2.DetectResponse.FromString(body).face_count == 7


@pytest.mark.parametrize("value, kept", [("é" * 10, False), ("x" * 5000, False), ("tab\there", False), ("", False),
                                         ("req-123_a.b:c", True), ("x" * 128, True)])
def test_only_short_printable_ascii_ids_are_kept(value, kept):
    # grpc's own Python client refuses to send non-ASCII or control characters; other clients do not
    from idphoto.rpc.interceptors import clean_id

    assert clean_id(value) == (value if kept else "")


@pytest.mark.parametrize("request_id", ["x" * 5000, ""])
def test_an_unusable_request_id_is_replaced(request_id):
    async def scenario():
        host, _ = fake_host()
        async with serving(host), insecure(f"127.0.0.1:{host.port}") as ch:
            call = ch.unary_unary("/" + DETECT, request_serializer=None, response_deserializer=None)(
                face_pb2.DetectRequest().SerializeToString(),
                metadata=(("x-request-id", request_id), ("x-job-id", "j" * 500)), timeout=10)
            await call
            return dict(await call.trailing_metadata())

    trailing = run(scenario())
    echoed = trailing["x-request-id"]
    assert echoed != request_id and len(echoed) == 32 and echoed.isascii()


def test_a_long_echo_in_an_error_stays_typed_and_bounded():
    error = SpecNotFoundError("unknown document spec '" + "9" * 5000 + "'", spec="9" * 5000,
                              suggestions=[f"spec-{i}-" + "x" * 40 for i in range(400)])
    status = rich_status(error)
    assert len(status.SerializeToString()) < 8 * 1024
    info = status.details[0]
    assert info.TypeName() == "google.rpc.ErrorInfo"
    from google.rpc import error_details_pb2

    unpacked = error_details_pb2.ErrorInfo()
    info.Unpack(unpacked)
    assert unpacked.reason == "SPEC_NOT_FOUND" and int(unpacked.metadata["suggestions_omitted"]) > 0
    import json

    assert isinstance(json.loads(unpacked.metadata["suggestions"]), list)    # still a list, shorter


def test_a_long_echo_crosses_the_wire_typed(monkeypatch):
    from tests.idphoto.rpc import fake_face

    async def long_error(self, request, context):
        raise SpecNotFoundError("no such spec " + "z" * 20000, spec="z" * 20000, rows=["r" * 300] * 500)

    monkeypatch.setattr(fake_face.ScriptedFace, "Detect", long_error)

    async def scenario():
        host, _ = fake_host()
        async with serving(host):
            return await _raw(host.port, face_pb2.DetectRequest().SerializeToString())

    _, err = run(scenario())
    assert err.code() == grpc.StatusCode.NOT_FOUND and error_from_rpc(err).code == "SPEC_NOT_FOUND"



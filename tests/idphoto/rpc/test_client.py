import asyncio

import grpc
import numpy as np
import pytest

from idphoto.errors import (
    ConfigError,
    DeadlineExceededError,
    InternalError,
    NoFaceError,
    ServiceUnavailableError,
)
from idphoto.log import bind_ids, clear_ids
from idphoto.rpc import context
from idphoto.rpc.client import FaceRpcClient, _target, channel, outgoing_metadata
from idphoto.rpc.errors import error_from_rpc, rich_status
from tests.idphoto.rpc.fake_face import fake_host
from tests.idphoto.rpc.support import LogCapture, run, serving


def test_targets():
    assert _target("face:50051") == "face:50051"
    assert _target("dns:///face.idphoto:50051") == "dns:///face.idphoto:50051"
    assert _target(["127.0.0.1:1", "127.0.0.1:2"]) == "ipv4:127.0.0.1:1,127.0.0.1:2"
    assert _target("10.0.0.1:5, 10.0.0.2:5") == "ipv4:10.0.0.1:5,10.0.0.2:5"
    assert _target(["[::1]:7", "::1:8"]) == "ipv6:[::1]:7,[::1]:8"
    for bad in (["face:1", "compose:2"], ["127.0.0.1:1", "::1:2"], ["127.0.0.1", "127.0.0.2:1"], []):
        with pytest.raises(ConfigError):
            _target(bad)


def test_outgoing_metadata_and_timeout_follow_the_current_call():
    clear_ids()
    assert outgoing_metadata() == []
    bind_ids(request_id="r-1", job_id="j-2")
    try:
        assert outgoing_metadata() == [("x-request-id", "r-1"), ("x-job-id", "j-2")]
    finally:
        clear_ids()
    assert context.call_timeout(5.0) == 5.0 and context.call_timeout(None) is None
    token = context.set_deadline(1.0)
    try:
        assert 0.9 < context.call_timeout(5.0) <= 1.0 and context.call_timeout(0.5) == 0.5
        assert 0.9 < context.call_timeout(None) <= 1.0
    finally:
        context.reset_deadline(token)
    assert context.remaining_s() is None


class FakeRpcError(grpc.RpcError):
    def __init__(self, code, details="", trailing=()):
        self._code, self._details, self._trailing = code, details, trailing

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailing


def test_error_from_rpc_without_error_info_uses_the_transport_code():
    assert isinstance(error_from_rpc(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "refused")),
                      ServiceUnavailableError)
    assert isinstance(error_from_rpc(FakeRpcError(grpc.StatusCode.DEADLINE_EXCEEDED)), DeadlineExceededError)
    assert isinstance(error_from_rpc(FakeRpcError(grpc.StatusCode.UNKNOWN, "boom")), InternalError)
    trailing = (("grpc-status-details-bin", rich_status(NoFaceError()).SerializeToString()),)
    rebuilt = error_from_rpc(FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT, "x", trailing))
    assert isinstance(rebuilt, NoFaceError) and rebuilt.message == "no face found in the photo"


def test_client_sends_the_bound_ids_and_caps_the_timeout_by_the_current_deadline():
    async def scenario():
        host, servicer = fake_host()
        async with serving(host):
            ch = channel(f"127.0.0.1:{host.port}")
            try:
                bind_ids(request_id="outer-req", job_id="outer-job")
                token = context.set_deadline(0.5)      # as if handling a call with 0.5 s left
                response = await FaceRpcClient(ch, timeout_s=30).detect(np.zeros((2, 2, 3), np.uint8))
                context.reset_deadline(token)
            finally:
                clear_ids()
                await ch.close()
            return response, servicer.time_remaining[0]

    with LogCapture() as logs:
        response, remaining = run(scenario())
    assert response.face_count == 7 and 0 < remaining <= 0.5
    inside = logs.events("fake detect")[0]
    assert (inside["request_id"], inside["job_id"]) == ("outer-req", "outer-job")


def test_round_robin_channel_spreads_calls_over_two_servers():
    async def scenario():
        (a, _), (b, _) = fake_host(), fake_host()
        async with serving(a), serving(b):
            ch = channel([f"127.0.0.1:{a.port}", f"127.0.0.1:{b.port}"])
            try:
                await ch.channel_ready()
                client = FaceRpcClient(ch)
                await asyncio.sleep(0.2)
                for _ in range(6):
                    await client.detect(np.zeros((2, 2, 3), np.uint8))
            finally:
                await ch.close()
            return a.servicer.started, b.servicer.started

    counts = run(scenario())
    assert sum(counts) == 6 and min(counts) >= 2

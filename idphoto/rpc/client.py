"""Async clients for the internal services over one grpc.aio channel each.

``channel()`` spreads calls over several addresses with round_robin and retries UNAVAILABLE (4 attempts with
backoff; not waiting for readiness, so a dead backend fails fast). Every call sends the current request/job ids
and a timeout capped by what is left of the call being handled (see ``idphoto.rpc.context``); a failed call
raises the typed IdPhotoError the service raised (``error_from_rpc``).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence

import grpc
import numpy as np

from idphoto.domain.types import Cutout, Matte, RenderOptions, RenderResult
from idphoto.errors import ConfigError, IdPhotoError
from idphoto.rpc.context import call_timeout, outgoing_metadata
from idphoto.rpc.convert import (
    LayoutResult,
    cutout_to_proto,
    face_analysis_from_proto,
    layout_result_from_proto,
    matte_from_proto,
    options_to_proto,
    render_result_from_proto,
    spec_to_proto,
)
from idphoto.rpc.errors import error_from_proto, error_from_rpc
from idphoto.rpc.tensor import to_tensor
from idphoto.v1 import compose_pb2, compose_pb2_grpc, face_pb2, face_pb2_grpc, matting_pb2, matting_pb2_grpc

__all__ = ["ComposeRpcClient", "FaceRpcClient", "MattingRpcClient", "channel", "outgoing_metadata",
           "service_config"]


def service_config() -> dict:
    return {
        "loadBalancingConfig": [{"round_robin": {}}],
        "methodConfig": [{
            "name": [{}],
            "waitForReady": False,
            "retryPolicy": {"maxAttempts": 4, "initialBackoff": "0.1s", "maxBackoff": "2s",
                            "backoffMultiplier": 2, "retryableStatusCodes": ["UNAVAILABLE"]},
        }],
    }


def _address(target: str) -> tuple[int, str]:
    host, sep, port = target.strip().rpartition(":")
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ConfigError(f"{target!r}: several targets must be IP:port addresses (use dns:///name:port for a "
                          "DNS name with several addresses)", target=target) from None
    if not sep or not port.isdigit():
        raise ConfigError(f"{target!r} has no port", target=target)
    return ip.version, f"[{ip}]:{port}" if ip.version == 6 else f"{ip}:{port}"


def _target(targets: str | Sequence[str]) -> str:
    items = [t.strip() for t in (targets.split(",") if isinstance(targets, str) else targets) if t.strip()]
    if not items:
        raise ConfigError("no gRPC target given")
    if len(items) == 1:
        return items[0]
    addresses = [_address(t) for t in items]
    versions = {v for v, _ in addresses}
    if len(versions) > 1:
        raise ConfigError("several targets must all be IPv4 or all IPv6", targets=list(items))
    return f"ipv{versions.pop()}:" + ",".join(a for _, a in addresses)


def channel(targets: str | list[str], max_message_mb: int = 64) -> grpc.aio.Channel:
    """A channel to one target ("host:port", "dns:///name:port") or several IP:port addresses."""
    limit = max_message_mb * 1024 * 1024
    options = [("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit),
               ("grpc.enable_retries", 1), ("grpc.service_config", json.dumps(service_config())),
               # a request is only retried while it fits the retry buffer (default 256 KiB: one small image)
               ("grpc.per_rpc_retry_buffer_size", limit), ("grpc.retry_buffer_size", 4 * limit),
               # a replica that comes back is used within ~2 s (gRPC's default backoff grows towards 120 s)
               ("grpc.initial_reconnect_backoff_ms", 250), ("grpc.min_reconnect_backoff_ms", 250),
               ("grpc.max_reconnect_backoff_ms", 2000)]
    return grpc.aio.insecure_channel(_target(targets), options=options)


class _Client:
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float | None = 30.0) -> None:
        self.channel = channel
        self.timeout_s = timeout_s

    def _options(self, timeout_s: float | None) -> dict:
        return {"timeout": call_timeout(self.timeout_s if timeout_s is None else timeout_s),
                "metadata": outgoing_metadata()}

    async def _call(self, method, request, timeout_s: float | None):
        try:
            return await method(request, **self._options(timeout_s))
        except grpc.RpcError as err:
            raise error_from_rpc(err) from err


class FaceRpcClient(_Client):
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float | None = 30.0) -> None:
        super().__init__(channel, timeout_s)
        self.stub = face_pb2_grpc.FaceServiceStub(channel)

    async def detect(self, rgb: np.ndarray, policy: str = "",
                     timeout_s: float | None = None) -> face_pb2.DetectResponse:
        request = face_pb2.DetectRequest(image=to_tensor(rgb), options=face_pb2.DetectOptions(policy=policy))
        return await self._call(self.stub.Detect, request, timeout_s)

    async def analyze(self, rgb: np.ndarray, policy: str = "", timeout_s: float | None = None):
        """The FaceAnalysis of ``rgb`` (``policy`` "" = the service's configuration)."""
        return face_analysis_from_proto(await self.detect(rgb, policy, timeout_s))


class MattingRpcClient(_Client):
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float | None = 60.0) -> None:
        super().__init__(channel, timeout_s)
        self.stub = matting_pb2_grpc.MattingServiceStub(channel)

    async def matte(self, rgb: np.ndarray, timeout_s: float | None = None) -> Matte:
        response = await self._call(self.stub.Matte, matting_pb2.MatteRequest(rgb=to_tensor(rgb)), timeout_s)
        return matte_from_proto(response)

    async def matte_many(self, images: Sequence[np.ndarray],
                         timeout_s: float | None = None) -> list[Matte | IdPhotoError]:
        """All images over one MatteStream; a failed item is its typed error, in input order."""
        requests = [matting_pb2.MatteRequest(request_id=str(i), rgb=to_tensor(rgb)) for i, rgb in enumerate(images)]
        results: dict[str, Matte | IdPhotoError] = {}
        try:
            async for response in self.stub.MatteStream(iter(requests), **self._options(timeout_s)):
                results[response.request_id] = (error_from_proto(response.error) if response.HasField("error")
                                                else matte_from_proto(response))
        except grpc.RpcError as err:
            raise error_from_rpc(err) from err
        return [results[str(i)] for i in range(len(requests))]


class ComposeRpcClient(_Client):
    def __init__(self, channel: grpc.aio.Channel, timeout_s: float | None = 60.0) -> None:
        super().__init__(channel, timeout_s)
        self.stub = compose_pb2_grpc.ComposeServiceStub(channel)

    async def render(self, cutout: Cutout, spec, options: RenderOptions, timeout_s: float | None = None,
                     include_photo_rgb: bool = False) -> RenderResult:
        """``spec`` is a Spec or a catalogue/custom spec id. Without ``include_photo_rgb`` the result's ``photo``
        is the decoded photo file (JPEG pixels) instead of the exact RGB before encoding."""
        request = compose_pb2.RenderRequest(cutout=cutout_to_proto(cutout), options=options_to_proto(options),
                                            include_photo_rgb=include_photo_rgb)
        if isinstance(spec, str):
            request.spec_id = spec
        else:
            request.spec.CopyFrom(spec_to_proto(spec))
        return render_result_from_proto(await self._call(self.stub.Render, request, timeout_s))

    async def layout(self, photo: bytes | np.ndarray, paper: str, dpi: int = 300, gap_mm: float | None = None,
                     margin_mm: float | None = None, cut_guides: bool | None = None, fmt: str = "",
                     timeout_s: float | None = None) -> LayoutResult:
        request = compose_pb2.LayoutRequest(paper=paper, dpi=dpi, gap_mm=gap_mm, margin_mm=margin_mm,
                                            cut_guides=cut_guides, format=fmt)
        if isinstance(photo, (bytes, bytearray)):
            request.photo = bytes(photo)
        else:
            request.photo_rgb.CopyFrom(to_tensor(photo))
        return layout_result_from_proto(await self._call(self.stub.Layout, request, timeout_s))

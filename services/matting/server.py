"""MattingService over gRPC: Matte (unary) and MatteStream (bidi, bounded in flight), delegating to the matting
model (services.matting.loader) in worker threads. Health turns SERVING after the model is loaded and warmed.

MatteStream: at most ``max_in_flight`` items of a stream are processed (or waiting to be written) at once; the
next request is read only when a slot frees (back-pressure). Responses are correlated by request_id and may
come out of order; a failing item is answered with its ``error`` set and the stream goes on.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from idphoto.errors import IdPhotoError, ModelNotReadyError, as_idphoto_error
from idphoto.log import get_logger
from idphoto.rpc.context import check_time_left
from idphoto.rpc.convert import matte_to_proto
from idphoto.rpc.errors import error_to_proto
from idphoto.rpc.metrics import timed_inference
from idphoto.rpc.server import ServerConfig, ServiceHost, create_host, section
from idphoto.rpc.streams import bounded_map
from idphoto.rpc.tensor import rgb_from_tensor
from idphoto.v1 import matting_pb2, matting_pb2_grpc
from services.matting.config import MattingConfig

SERVICE_NAME = matting_pb2.DESCRIPTOR.services_by_name["MattingService"].full_name
log = get_logger("idphoto.matting.server")


@dataclass(frozen=True)
class MattingServiceConfig(MattingConfig, ServerConfig):
    """IDPHOTO_MATTING_*: the server fields, the model's MattingConfig and MatteStream's bound."""

    max_in_flight: int = 2        # MatteStream items processed at once per stream

    def validate(self) -> list[str]:
        problems = ServerConfig.validate(self)
        problems += list(getattr(MattingConfig, "validate", lambda _self: [])(self))
        if self.max_in_flight < 1:
            problems.append("IDPHOTO_MATTING_MAX_IN_FLIGHT must be at least 1")
        return problems


def load_model(config: MattingConfig, model_dir: Path | None = None):
    from services.matting.loader import load_matting_model

    return load_matting_model(config, model_dir)


class MattingServicer(matting_pb2_grpc.MattingServiceServicer):
    def __init__(self, config: MattingConfig, max_in_flight: int, model=None, model_dir: Path | None = None) -> None:
        self.config, self.max_in_flight = config, max_in_flight
        self.model, self.model_dir = model, model_dir

    async def load(self) -> None:
        """Load and warm the model (the host's warm-up); an injected model is used as it is."""
        if self.model is None:
            self.model = await asyncio.to_thread(load_model, self.config, self.model_dir)

    async def _matte(self, request: matting_pb2.MatteRequest) -> matting_pb2.MatteResponse:
        model = self.model
        if model is None:
            raise ModelNotReadyError("the matting model is still loading")
        rgb = rgb_from_tensor(request.rgb, "rgb")
        matte, seconds = await timed_inference("matting", model.name, model.predict, rgb)
        return matte_to_proto(matte, request.request_id, model.name, seconds * 1000.0)

    async def _matte_item(self, request: matting_pb2.MatteRequest) -> matting_pb2.MatteResponse:
        try:
            return await self._matte(request)
        except Exception as exc:
            if not isinstance(exc, IdPhotoError):
                log.error("matte stream item failed", item=request.request_id, exc_info=exc)
            error = error_to_proto(as_idphoto_error(exc))
            return matting_pb2.MatteResponse(request_id=request.request_id, error=error)

    async def Matte(self, request: matting_pb2.MatteRequest, context) -> matting_pb2.MatteResponse:
        check_time_left(context, "matte")
        return await self._matte(request)

    async def MatteStream(self, request_iterator, context):
        async for response in bounded_map(request_iterator, self._matte_item, self.max_in_flight):
            yield response


def create_server(config: MattingServiceConfig, model=None,
                  model_dir: Path | None = None) -> tuple[ServiceHost, int]:
    """The matting host (not started). ``model`` lets tests inject a loaded (or fake) MattingModel."""
    host = create_host([SERVICE_NAME], section(config, ServerConfig), "matting")
    servicer = MattingServicer(section(config, MattingConfig), config.max_in_flight, model, model_dir)
    matting_pb2_grpc.add_MattingServiceServicer_to_server(servicer, host.server)
    host.set_warmup(servicer.load)
    host.servicer = servicer
    return host, host.port

"""FaceService over gRPC: Detect converts the tensor, delegates to the face core in a worker thread and converts
the analysis back. Health turns SERVING only after the MTCNN models are loaded and warmed up."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from idphoto.errors import ModelNotReadyError
from idphoto.rpc.context import check_time_left
from idphoto.rpc.convert import face_analysis_to_proto
from idphoto.rpc.metrics import timed_inference
from idphoto.rpc.server import ServerConfig, ServiceHost, create_host, section
from idphoto.rpc.tensor import rgb_from_tensor
from idphoto.v1 import face_pb2, face_pb2_grpc
from services.face.config import FaceConfig
from services.face.core import FaceCore

SERVICE_NAME = face_pb2.DESCRIPTOR.services_by_name["FaceService"].full_name


@dataclass(frozen=True)
class FaceServiceConfig(FaceConfig, ServerConfig):
    """IDPHOTO_FACE_*: the server fields (host, port, metrics_port, ...) and the face core's FaceConfig."""

    def validate(self) -> list[str]:
        return ServerConfig.validate(self) + FaceConfig.validate(self)


class FaceServicer(face_pb2_grpc.FaceServiceServicer):
    def __init__(self, config: FaceConfig, core: FaceCore | None = None, model_dir: Path | None = None) -> None:
        self.config = config
        self.core = core
        self.model_dir = model_dir

    async def load(self) -> None:
        """Load and warm the models (the host's warm-up); an injected core is used as it is."""
        if self.core is None:
            self.core = await asyncio.to_thread(self._load)

    def _load(self) -> FaceCore:
        core = FaceCore(self.config, self.model_dir)
        core.warmup()
        return core

    async def Detect(self, request: face_pb2.DetectRequest, context) -> face_pb2.DetectResponse:
        core = self.core
        if core is None:
            raise ModelNotReadyError("the face models are still loading")
        rgb = rgb_from_tensor(request.image)
        check_time_left(context, "detect")
        analysis, _ = await timed_inference("face", "mtcnn", core.analyze, rgb, request.options.policy)
        return face_analysis_to_proto(analysis, analysis.faces)


def create_server(config: FaceServiceConfig, core: FaceCore | None = None,
                  model_dir: Path | None = None) -> tuple[ServiceHost, int]:
    """The face host (not started). ``core`` lets tests share an already warmed FaceCore."""
    host = create_host([SERVICE_NAME], section(config, ServerConfig), "face")
    servicer = FaceServicer(section(config, FaceConfig), core, model_dir)
    face_pb2_grpc.add_FaceServiceServicer_to_server(servicer, host.server)
    host.set_warmup(servicer.load)
    host.servicer = servicer
    return host, host.port

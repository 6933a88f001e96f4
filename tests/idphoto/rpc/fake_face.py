"""A scripted FaceService for kit tests (no models): behaviour chosen per test."""

from __future__ import annotations

import asyncio

from idphoto.errors import ModelNotReadyError, SpecNotFoundError
from idphoto.log import get_logger
from idphoto.rpc.server import ServerConfig, ServiceHost, create_host
from idphoto.v1 import face_pb2, face_pb2_grpc

FACE_SERVICE = face_pb2.DESCRIPTOR.services_by_name["FaceService"].full_name
DETECT = "idphoto.v1.FaceService/Detect"
log = get_logger("tests.fake_face")


class ScriptedFace(face_pb2_grpc.FaceServiceServicer):
    def __init__(self, mode: str = "ok", delay: float = 0.0) -> None:
        self.mode, self.delay = mode, delay
        self.time_remaining: list[float | None] = []
        self.started = 0
        self.finished = 0

    async def Detect(self, request, context):
        self.started += 1
        self.time_remaining.append(context.time_remaining())
        log.info("fake detect", mode=self.mode)
        if self.mode == "typed":
            raise SpecNotFoundError("unknown document spec 'xx'", spec="xx", suggestions=["us-passport", "uk"],
                                    score=0.5)
        if self.mode == "boom":
            raise RuntimeError("secret-internal-detail")
        if self.mode == "not-ready":
            raise ModelNotReadyError()
        await asyncio.sleep(self.delay)
        self.finished += 1
        return face_pb2.DetectResponse(face_count=7)


def fake_host(mode: str = "ok", delay: float = 0.0, **config) -> tuple[ServiceHost, ScriptedFace]:
    host = create_host([FACE_SERVICE], ServerConfig(**{"metrics_port": -1, **config}), "fake")
    servicer = ScriptedFace(mode, delay)
    face_pb2_grpc.add_FaceServiceServicer_to_server(servicer, host.server)
    host.servicer = servicer
    return host, servicer

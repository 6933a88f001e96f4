"""The one orchestration path: Stage A then Stage B through whatever clients are given.

The CLI and tests pass in-process adapters (``local_clients``); the gateway passes gRPC clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from idphoto.config import load_config
from idphoto.domain.types import Cutout, RenderOptions, RenderResult
from idphoto.imageio.decode import DecodeLimits
from idphoto.pipeline.clients import ComposeClient, FaceClient, LocalCompose, LocalFace, LocalMatting, MattingClient
from idphoto.pipeline.deadline import Deadline
from idphoto.pipeline.memory import keep_freed_memory
from idphoto.pipeline.stage_a import ProgressHook, StageAContext, run_stage_a
from idphoto.pipeline.stage_b import run_stage_b


@dataclass
class Clients:
    face: FaceClient
    matting: MattingClient
    compose: ComposeClient


@dataclass
class PhotoRun:
    cutout: Cutout
    result: RenderResult
    timings: dict[str, float] = field(default_factory=dict)


def local_clients(model_dir: Path | None = None) -> Clients:
    """Load the models in this process (typed config from IDPHOTO_FACE_* and IDPHOTO_MATTING_*), and keep freed
    frame-sized buffers in the heap (``idphoto.pipeline.memory``): this process is going to make photos."""
    keep_freed_memory()
    from services.face.config import FaceConfig
    from services.face.core import FaceCore
    from services.matting.config import MattingConfig
    from services.matting.loader import load_matting_model

    face = FaceCore(load_config(FaceConfig, "FACE"), model_dir)
    face.warmup()
    matting = load_matting_model(load_config(MattingConfig, "MATTING"), model_dir)
    return Clients(face=LocalFace(face), matting=LocalMatting(matting), compose=LocalCompose())


def stage_a(data: bytes, spec, clients: Clients, limits: DecodeLimits | None = None,
            deadline: Deadline | None = None, timings: dict[str, float] | None = None,
            on_stage: ProgressHook | None = None) -> Cutout:
    ctx = StageAContext(data=data, spec=spec, face=clients.face, matting=clients.matting,
                        limits=limits or load_config(DecodeLimits, "DECODE"))
    cutout = run_stage_a(ctx, deadline, on_stage)
    if timings is not None:
        timings.update(ctx.timings)
    return cutout


def make_id_photo(data: bytes, spec, options: RenderOptions, clients: Clients,
                  limits: DecodeLimits | None = None, deadline: Deadline | None = None) -> PhotoRun:
    timings: dict[str, float] = {}
    cutout = stage_a(data, spec, clients, limits, deadline, timings)
    result = run_stage_b(cutout, spec, options, clients.compose, deadline, timings)
    return PhotoRun(cutout=cutout, result=result, timings=timings)

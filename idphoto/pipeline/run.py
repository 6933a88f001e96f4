"""The one orchestration path: Stage A then Stage B through whatever clients are given.

The CLI and tests pass in-process adapters (``edges.inprocess.local_clients``); the gateway passes gRPC clients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from idphoto.config import load_config
from idphoto.domain.specs import Spec
from idphoto.domain.types import Cutout, RenderOptions, RenderResult
from idphoto.imageio.decode import DecodeLimits
from idphoto.pipeline.clients import ComposeClient, FaceClient, MattingClient
from idphoto.pipeline.deadline import Deadline
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


def stage_a(data: bytes, spec: Spec, clients: Clients, limits: DecodeLimits | None = None,
            deadline: Deadline | None = None, timings: dict[str, float] | None = None,
            on_stage: ProgressHook | None = None) -> Cutout:
    ctx = StageAContext(data=data, spec=spec, face=clients.face, matting=clients.matting,
                        limits=limits or load_config(DecodeLimits, "DECODE"))
    cutout = run_stage_a(ctx, deadline, on_stage)
    if timings is not None:
        timings.update(ctx.timings)
    return cutout


def make_id_photo(data: bytes, spec: Spec, options: RenderOptions, clients: Clients,
                  limits: DecodeLimits | None = None, deadline: Deadline | None = None) -> PhotoRun:
    timings: dict[str, float] = {}
    cutout = stage_a(data, spec, clients, limits, deadline, timings)
    result = run_stage_b(cutout, spec, options, clients.compose, deadline, timings)
    return PhotoRun(cutout=cutout, result=result, timings=timings)

"""Stage A: decode → detect/align → size check → region → matte → measure → cutout.

An ordered list of small stage functions over one context, with a deadline (and cancel) check between stages and
per-stage timings (``make bench`` reads them). Model calls happen only through the injected clients.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from idphoto.domain.types import Cutout, Matte, Region
from idphoto.errors import FaceTooSmallError
from idphoto.geometry.measure import measure_head
from idphoto.geometry.region import RegionSettings, cut_region
from idphoto.imageio.decode import DecodeLimits, Frame, decode_frame, working_copy
from idphoto.pipeline.clients import FaceClient, MattingClient
from idphoto.pipeline.deadline import Deadline

# Head height (crown to chin) in eye distances, a conservative low value used only for the early size check.
HEAD_IN_EYE_DISTANCES = 3.4
# Detection and alignment see at most this many pixels on the long side: the pupil windows are resampled to a
# fixed eye distance (160 px) anyway, and a 12 MP frame would cost 36 MB on the wire to the face service.
ALIGN_MAX_SIDE = 2048
# A JPEG is decoded at the smallest DCT scale (1/2, 1/4, 1/8) that keeps its longer side at least this long;
# when the face then has fewer than DRAFT_EYE_SHARE of the region's ``max_eye_distance`` px between the pupils,
# it is decoded again finer (in full if need be) and analysed again. So the region loses at most 10 % of its
# linear resolution to the draft (none when the face is large: the region is scaled down to 150 px anyway).
DRAFT_MIN_SIDE = 1024
DRAFT_EYE_SHARE = 0.9


@dataclass
class StageAContext:
    data: bytes
    spec: Any                                # idphoto.domain.specs.Spec
    face: FaceClient
    matting: MattingClient
    limits: DecodeLimits = DecodeLimits()
    max_upscale: float = 3.0
    region_settings: RegionSettings = RegionSettings()
    rgb: np.ndarray | None = None
    frame: Frame | None = None               # ``rgb`` with its scale to the photo's full resolution
    analysis: Any = None
    region: Region | None = None
    matte: Matte | None = None
    cutout: Cutout | None = None
    timings: dict[str, float] = field(default_factory=dict)


def decode(ctx: StageAContext) -> None:
    ctx.frame = decode_frame(ctx.data, ctx.limits, DRAFT_MIN_SIDE)
    ctx.rgb = ctx.frame.rgb


def _eye_distance(analysis) -> float:
    a = analysis.alignment
    return float(np.linalg.norm(np.subtract(a.right_pupil, a.left_pupil)))


def _analyze(ctx: StageAContext) -> None:
    small, _ = working_copy(ctx.rgb, ALIGN_MAX_SIDE)
    analysis = ctx.face.analyze(small)
    if small is not ctx.rgb:
        analysis = analysis.rescaled(ctx.rgb.shape[1] / small.shape[1], ctx.rgb.shape[0] / small.shape[0])
    ctx.analysis = analysis


def detect_and_align(ctx: StageAContext) -> None:
    frame = _frame(ctx)
    _analyze(ctx)
    wanted = DRAFT_EYE_SHARE * ctx.region_settings.max_eye_distance
    if frame.scale > 1 and _eye_distance(ctx.analysis) < wanted:
        full_eyes = _eye_distance(ctx.analysis) * frame.scale
        finer = next(s for s in (4, 2, 1) if s < frame.scale and (s == 1 or full_eyes / s >= wanted))
        ctx.frame = decode_frame(ctx.data, ctx.limits, 1, max_scale=finer)
        ctx.rgb = ctx.frame.rgb
        _analyze(ctx)


def _frame(ctx: StageAContext) -> Frame:
    if ctx.frame is None or ctx.frame.rgb is not ctx.rgb:     # pixels given directly: full resolution
        height, width = ctx.rgb.shape[:2]
        ctx.frame = Frame(ctx.rgb, (width, height), 1)
    return ctx.frame


def check_face_size(ctx: StageAContext) -> None:
    """Fail before matting when the face cannot reach the spec's head size without excessive upscaling."""
    head_px = HEAD_IN_EYE_DISTANCES * _eye_distance(ctx.analysis) * _frame(ctx).scale
    target = (ctx.spec.head_min_mm + ctx.spec.head_max_mm) / 2 * ctx.spec.dpi / 25.4
    if target / head_px > ctx.max_upscale * 1.15:
        raise FaceTooSmallError(f"the face is about {head_px:.0f} px tall; {ctx.spec.id} needs about {target:.0f} px",
                                head_px=round(head_px), needed_px=round(target))


def region(ctx: StageAContext) -> None:
    ctx.region = cut_region(ctx.rgb, ctx.analysis.face, ctx.analysis.alignment, ctx.region_settings,
                            ctx.analysis.mesh)


def matte(ctx: StageAContext) -> None:
    ctx.matte = ctx.matting.matte(ctx.region.image)


def measure_and_cut(ctx: StageAContext) -> None:
    head = measure_head(ctx.region, ctx.matte)
    rgba = cv2.cvtColor(ctx.matte.foreground, cv2.COLOR_RGB2RGBA)
    rgba[..., 3] = cv2.convertScaleAbs(ctx.matte.alpha, alpha=255.0)    # alpha in 0..1: rint(255 a), as uint8
    frame = _frame(ctx)
    to_region = ctx.region.matrix @ np.vstack([frame.from_full(), [0.0, 0.0, 1.0]])     # full-resolution -> region
    ctx.cutout = Cutout(rgba=rgba, valid=ctx.region.valid, head=head, face_count=ctx.analysis.face_count,
                        source_size=frame.full_size, roll_corrected_deg=ctx.analysis.alignment.angle_deg,
                        meta={"region_matrix": to_region.tolist()})


STAGES: tuple[tuple[str, Callable[[StageAContext], None]], ...] = (
    ("decode", decode), ("detect_align", detect_and_align), ("check_size", check_face_size),
    ("region", region), ("matte", matte), ("measure", measure_and_cut),
)


ProgressHook = Callable[[str, float], None]


def run_stages(ctx: Any, stages, deadline: Deadline | None, on_stage: ProgressHook | None = None) -> None:
    """Run ``stages`` in order; check the deadline (and cancellation) before each; report progress after each."""
    deadline = deadline or Deadline()
    for index, (name, stage) in enumerate(stages):
        deadline.check(name)
        start = time.perf_counter()
        stage(ctx)
        ctx.timings[name] = time.perf_counter() - start
        if on_stage is not None:
            on_stage(name, (index + 1) / len(stages))


def run_stage_a(ctx: StageAContext, deadline: Deadline | None = None, on_stage: ProgressHook | None = None
                ) -> Cutout:
    run_stages(ctx, STAGES, deadline, on_stage)
    assert ctx.cutout is not None
    return ctx.cutout

"""ComposeService over gRPC: Render and Layout convert the request, delegate to Stage B (services.compose.render)
in a worker thread and convert the result. No model; the warm-up is one tiny render (imports, spec catalogue,
ICC profile, encoders)."""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from idphoto.domain.options import check_options
from idphoto.domain.sheets import plan_best_sheet
from idphoto.domain.specs import list_specs, parse_spec
from idphoto.domain.types import Cutout, HeadGeometry, RenderOptions
from idphoto.errors import InvalidImageError, InvalidOptionError
from idphoto.rpc.context import check_time_left
from idphoto.rpc.convert import (
    cutout_from_proto,
    options_from_proto,
    render_result_to_proto,
    sheet_layout_to_proto,
    spec_from_proto,
)
from idphoto.rpc.server import ServerConfig, ServiceHost, create_host, section
from idphoto.rpc.tensor import rgb_from_tensor
from idphoto.v1 import compose_pb2, compose_pb2_grpc
from services.compose.export import CONTENT_TYPES, FORMATS
from services.compose.render import layout, render, sheet_plan

SERVICE_NAME = compose_pb2.DESCRIPTOR.services_by_name["ComposeService"].full_name
IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png"}


@dataclass(frozen=True)
class ComposeServiceConfig(ServerConfig):
    """IDPHOTO_COMPOSE_*: only the server fields (Stage B has no model to configure)."""


def render_with_plan(cutout: Cutout, spec, options: RenderOptions):
    """render() plus the sheet's layout (the same plan render() tiles with), or None without a sheet."""
    result = render(cutout, spec, options)
    plan = None
    if options.sheet:
        plan = sheet_plan(spec, options)
    return result, plan


def _cutout(request: compose_pb2.RenderRequest) -> Cutout:
    if not request.HasField("cutout"):
        raise InvalidOptionError("cutout is required", option="cutout")
    cutout = cutout_from_proto(request.cutout)
    rgba, valid = cutout.rgba, cutout.valid
    if rgba.dtype != np.uint8 or rgba.ndim != 3 or rgba.shape[2] != 4 or valid.shape != rgba.shape[:2]:
        raise InvalidOptionError("cutout.rgba must be HxWx4 uint8 and cutout.valid HxW bool",
                                 rgba_shape=list(rgba.shape), valid_shape=list(valid.shape))
    return cutout


def _spec(request: compose_pb2.RenderRequest):
    which = request.WhichOneof("spec_ref")
    if which == "spec":
        return spec_from_proto(request.spec)
    if which == "spec_id":
        return parse_spec(request.spec_id)
    raise InvalidOptionError("spec or spec_id is required", option="spec")


def _layout_photo(request: compose_pb2.LayoutRequest) -> tuple[np.ndarray, str]:
    """(RGB, default format) of the photo to tile."""
    if request.WhichOneof("photo_source") == "photo_rgb":
        return rgb_from_tensor(request.photo_rgb, "photo_rgb"), "jpg"
    if not request.photo:
        raise InvalidImageError("photo or photo_rgb is required", field="photo")
    try:
        with Image.open(io.BytesIO(request.photo)) as img:
            fmt = IMAGE_FORMATS.get(img.format or "", "jpg")
            return np.asarray(img.convert("RGB")), fmt
    except OSError as exc:
        raise InvalidImageError("photo is not a readable JPEG or PNG", field="photo") from exc


def _layout(request: compose_pb2.LayoutRequest) -> compose_pb2.LayoutResponse:
    rgb, own_format = _layout_photo(request)
    fmt = FORMATS.get((request.format or own_format).lower())
    if fmt is None:
        raise InvalidOptionError("format must be jpg or png", option="format", value=request.format)
    dpi = request.dpi or 300
    gap = request.gap_mm if request.HasField("gap_mm") else None
    margin = request.margin_mm if request.HasField("margin_mm") else None
    guides = request.cut_guides if request.HasField("cut_guides") else True
    _, data = layout(rgb, request.paper, dpi, gap, margin, guides, fmt)
    plan = plan_best_sheet(rgb.shape[1], rgb.shape[0], request.paper, dpi=dpi, gap_mm=gap, margin_mm=margin)
    return compose_pb2.LayoutResponse(sheet=data, content_type=CONTENT_TYPES[fmt], layout=sheet_layout_to_proto(plan))


def warmup_cutout() -> Cutout:
    """A synthetic 200x240 cutout (an ellipse "head") that renders to a small custom spec."""
    height, width = 240, 200
    ys, xs = np.mgrid[:height, :width]
    rgba = np.full((height, width, 4), 128, np.uint8)
    rgba[..., 3] = np.where(((xs - 100) / 40) ** 2 + ((ys - 110) / 55) ** 2 <= 1, 255, 0)
    head = HeadGeometry(crown_y=55, chin_y=165, eye_y=100, center_x=100, left_pupil=(85, 100),
                        right_pupil=(115, 100), residual_roll_deg=0.0, face_box=(65, 70, 135, 165))
    return Cutout(rgba=rgba, valid=np.ones((height, width), bool), head=head, source_size=(width, height))


def warm_up() -> None:
    list_specs()
    render_with_plan(warmup_cutout(), parse_spec("custom:160x200px@300"), RenderOptions(sheet="4r"))


class ComposeServicer(compose_pb2_grpc.ComposeServiceServicer):
    async def load(self) -> None:
        await asyncio.to_thread(warm_up)

    async def Render(self, request: compose_pb2.RenderRequest, context) -> compose_pb2.RenderResponse:
        cutout, spec = _cutout(request), _spec(request)
        options = check_options(options_from_proto(request.options))
        check_time_left(context, "render")
        result, plan = await asyncio.to_thread(render_with_plan, cutout, spec, options)
        return render_result_to_proto(result, plan, request.include_photo_rgb)

    async def Layout(self, request: compose_pb2.LayoutRequest, context) -> compose_pb2.LayoutResponse:
        check_time_left(context, "layout")
        return await asyncio.to_thread(_layout, request)


def create_server(config: ComposeServiceConfig) -> tuple[ServiceHost, int]:
    """The compose host (not started)."""
    host = create_host([SERVICE_NAME], section(config, ServerConfig), "compose")
    servicer = ComposeServicer()
    compose_pb2_grpc.add_ComposeServiceServicer_to_server(servicer, host.server)
    host.set_warmup(servicer.load)
    host.servicer = servicer
    return host, host.port

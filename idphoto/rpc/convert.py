"""Protobuf messages <-> idphoto.domain.types and core objects. Pure functions; no transport here.

Struct values are JSON numbers (doubles): ``struct_to_dict(..., integral_to_int=True)`` turns integral numbers
back into ints (used for reports, where ``"dpi": 300`` should stay an int); cutout ``meta`` keeps floats.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import numpy as np
from google.protobuf import struct_pb2

from idphoto.domain.face import FaceAnalysis
from idphoto.domain.sheets import SheetLayout
from idphoto.domain.specs import Spec
from idphoto.domain.types import Alignment, Cutout, Face, FaceMesh, HeadGeometry, Matte, RenderOptions, RenderResult
from idphoto.errors import InvalidImageError
from idphoto.rpc.tensor import from_tensor, to_tensor
from idphoto.v1 import common_pb2, compose_pb2, face_pb2, matting_pb2


# --- plain values ------------------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    """JSON-able Python values from numpy scalars/arrays, tuples and nested containers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    return value


def dict_to_struct(data: dict[str, Any] | None) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    if data:
        struct.update(_plain(data))
    return struct


def _unwrap(value: Any, integral_to_int: bool) -> Any:
    if isinstance(value, dict):
        return {k: _unwrap(v, integral_to_int) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v, integral_to_int) for v in value]
    if integral_to_int and isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def struct_to_dict(struct: struct_pb2.Struct, integral_to_int: bool = False) -> dict[str, Any]:
    return {key: _unwrap(_value(struct[key]), integral_to_int) for key in struct}


def _value(value: Any) -> Any:
    if isinstance(value, struct_pb2.Struct):
        return {k: _value(value[k]) for k in value}
    if isinstance(value, struct_pb2.ListValue):
        return [_value(v) for v in value]
    return value


# --- geometry ----------------------------------------------------------------------------------------------
def point_to_proto(xy) -> common_pb2.Point:
    return common_pb2.Point(x=float(xy[0]), y=float(xy[1]))


def point_from_proto(point: common_pb2.Point) -> tuple[float, float]:
    return (point.x, point.y)


def box_to_proto(box) -> common_pb2.Box:
    return common_pb2.Box(x0=float(box[0]), y0=float(box[1]), x1=float(box[2]), y1=float(box[3]))


def box_from_proto(box: common_pb2.Box) -> tuple[float, float, float, float]:
    return (box.x0, box.y0, box.x1, box.y1)


def range_to_proto(bounds: tuple[float, float] | None) -> common_pb2.Range | None:
    return None if bounds is None else common_pb2.Range(min=float(bounds[0]), max=float(bounds[1]))


def face_to_proto(face: Face) -> common_pb2.Face:
    return common_pb2.Face(box=box_to_proto(face.box), score=float(face.score),
                           landmarks=[point_to_proto(p) for p in np.asarray(face.landmarks)])


def face_from_proto(face: common_pb2.Face) -> Face:
    return Face(box=np.array(box_from_proto(face.box), dtype=np.float64), score=face.score,
                landmarks=np.array([point_from_proto(p) for p in face.landmarks], dtype=np.float64).reshape(-1, 2))


# --- stage A -----------------------------------------------------------------------------------------------
_OPTIONAL_HEAD = ("yaw_deg", "pitch_deg", "eye_openness", "mouth_openness", "mesh_score")


def head_to_proto(head: HeadGeometry) -> common_pb2.HeadGeometry:
    measured = {name: float(getattr(head, name)) for name in _OPTIONAL_HEAD if getattr(head, name) is not None}
    return common_pb2.HeadGeometry(
        crown_y=head.crown_y, chin_y=head.chin_y, eye_y=head.eye_y, center_x=head.center_x,
        left_pupil=point_to_proto(head.left_pupil), right_pupil=point_to_proto(head.right_pupil),
        residual_roll_deg=head.residual_roll_deg, face_box=box_to_proto(head.face_box),
        crown_at_edge=bool(head.crown_at_edge), chin_confidence=float(head.chin_confidence),
        crown_confidence=float(head.crown_confidence), **measured)


def head_from_proto(head: common_pb2.HeadGeometry) -> HeadGeometry:
    measured = {name: getattr(head, name) if head.HasField(name) else None for name in _OPTIONAL_HEAD}
    return HeadGeometry(crown_y=head.crown_y, chin_y=head.chin_y, eye_y=head.eye_y, center_x=head.center_x,
                        left_pupil=point_from_proto(head.left_pupil), right_pupil=point_from_proto(head.right_pupil),
                        residual_roll_deg=head.residual_roll_deg, face_box=box_from_proto(head.face_box),
                        crown_at_edge=head.crown_at_edge, chin_confidence=head.chin_confidence,
                        crown_confidence=head.crown_confidence, **measured)


def cutout_to_proto(cutout: Cutout) -> common_pb2.Cutout:
    width, height = cutout.source_size
    return common_pb2.Cutout(
        rgba=to_tensor(cutout.rgba), valid=to_tensor(np.asarray(cutout.valid, dtype=bool)),
        head=head_to_proto(cutout.head), face_count=int(cutout.face_count), source_width_px=int(width),
        source_height_px=int(height), roll_corrected_deg=float(cutout.roll_corrected_deg),
        meta=dict_to_struct(cutout.meta))


def cutout_from_proto(cutout: common_pb2.Cutout) -> Cutout:
    return Cutout(rgba=from_tensor(cutout.rgba), valid=from_tensor(cutout.valid).astype(bool),
                  head=head_from_proto(cutout.head), face_count=cutout.face_count,
                  source_size=(cutout.source_width_px, cutout.source_height_px),
                  roll_corrected_deg=cutout.roll_corrected_deg, meta=struct_to_dict(cutout.meta))


def alignment_to_proto(alignment: Alignment) -> face_pb2.Alignment:
    return face_pb2.Alignment(angle_deg=float(alignment.angle_deg), center=point_to_proto(alignment.center),
                              left_pupil=point_to_proto(alignment.left_pupil),
                              right_pupil=point_to_proto(alignment.right_pupil))


def alignment_from_proto(alignment: face_pb2.Alignment) -> Alignment:
    return Alignment(angle_deg=alignment.angle_deg, center=point_from_proto(alignment.center),
                     left_pupil=point_from_proto(alignment.left_pupil),
                     right_pupil=point_from_proto(alignment.right_pupil))


def mesh_to_proto(mesh: FaceMesh | None) -> face_pb2.FaceMesh | None:
    if mesh is None:
        return None
    return face_pb2.FaceMesh(points=to_tensor(np.asarray(mesh.points, np.float32)), score=float(mesh.score),
                             chin_spread_px=float(mesh.chin_spread_px))


def mesh_from_proto(mesh: face_pb2.FaceMesh) -> FaceMesh:
    return FaceMesh(points=from_tensor(mesh.points).astype(np.float64), score=mesh.score,
                    chin_spread_px=mesh.chin_spread_px)


def face_analysis_to_proto(analysis: FaceAnalysis, faces: list[Face]) -> face_pb2.DetectResponse:
    """``faces``: every confident face, largest first."""
    return face_pb2.DetectResponse(faces=[face_to_proto(f) for f in faces], face=face_to_proto(analysis.face),
                                   face_count=int(analysis.face_count),
                                   alignment=alignment_to_proto(analysis.alignment),
                                   mesh=mesh_to_proto(analysis.mesh))


def face_analysis_from_proto(response: face_pb2.DetectResponse) -> FaceAnalysis:
    return FaceAnalysis(face=face_from_proto(response.face), face_count=response.face_count,
                        alignment=alignment_from_proto(response.alignment),
                        mesh=mesh_from_proto(response.mesh) if response.HasField("mesh") else None)


def matte_to_proto(matte: Matte, request_id: str = "", model: str = "",
                   inference_ms: float = 0.0) -> matting_pb2.MatteResponse:
    """Alpha travels as uint8 (the cutout stores it so anyway): a quarter of the float32 bytes."""
    alpha8 = np.clip(np.rint(np.asarray(matte.alpha, np.float32) * 255.0), 0, 255).astype(np.uint8)
    return matting_pb2.MatteResponse(request_id=request_id, alpha=to_tensor(alpha8),
                                     foreground=to_tensor(matte.foreground), model=model, inference_ms=inference_ms)


def matte_from_proto(response: matting_pb2.MatteResponse) -> Matte:
    alpha = from_tensor(response.alpha)
    if alpha.dtype == np.uint8:
        alpha = alpha.astype(np.float32) / 255.0
    return Matte(alpha=alpha, foreground=from_tensor(response.foreground))


# --- stage B inputs ----------------------------------------------------------------------------------------
def options_to_proto(options: RenderOptions) -> common_pb2.RenderOptions:
    return common_pb2.RenderOptions(
        background=options.background, brightness=options.brightness, contrast=options.contrast,
        saturation=options.saturation, sharpness=options.sharpness, format=options.format,
        max_kb=options.max_kb, sheet=options.sheet, sheet_gap_mm=options.sheet_gap_mm,
        sheet_margin_mm=options.sheet_margin_mm, sheet_cut_guides=options.sheet_cut_guides, dpi=options.dpi)


def _opt(message, name: str, default):
    return getattr(message, name) if message.HasField(name) else default


def options_from_proto(options: common_pb2.RenderOptions) -> RenderOptions:
    return RenderOptions(
        background=options.background, brightness=options.brightness, contrast=options.contrast,
        saturation=options.saturation, sharpness=options.sharpness, format=options.format or "jpg",
        max_kb=_opt(options, "max_kb", None), sheet=options.sheet,
        sheet_gap_mm=_opt(options, "sheet_gap_mm", None), sheet_margin_mm=_opt(options, "sheet_margin_mm", None),
        sheet_cut_guides=_opt(options, "sheet_cut_guides", True), dpi=_opt(options, "dpi", None))


def spec_to_proto(spec: Spec) -> common_pb2.Spec:
    return common_pb2.Spec(
        id=spec.id, country=spec.country, country_name=spec.country_name, document=spec.document,
        width_mm=spec.width_mm, height_mm=spec.height_mm, width_px=spec.width_px, height_px=spec.height_px,
        dpi=spec.dpi, head_min_mm=spec.head_min_mm, head_max_mm=spec.head_max_mm,
        crown_margin_mm=range_to_proto(spec.crown_margin_mm), eye_line_mm=range_to_proto(spec.eye_line_mm),
        background=spec.background, backgrounds=list(spec.backgrounds), geometry=spec.geometry,
        source=spec.source, requirements=list(spec.requirements))


def spec_from_proto(spec: common_pb2.Spec) -> Spec:
    def bounds(name: str):
        return (getattr(spec, name).min, getattr(spec, name).max) if spec.HasField(name) else None

    return Spec(id=spec.id, country=spec.country, country_name=spec.country_name, document=spec.document,
                width_mm=spec.width_mm, height_mm=spec.height_mm, width_px=spec.width_px, height_px=spec.height_px,
                dpi=spec.dpi, head_min_mm=spec.head_min_mm, head_max_mm=spec.head_max_mm,
                crown_margin_mm=bounds("crown_margin_mm"), eye_line_mm=bounds("eye_line_mm"),
                background=spec.background, backgrounds=tuple(spec.backgrounds),
                geometry=spec.geometry or "custom", source=spec.source, requirements=tuple(spec.requirements))


# --- stage B outputs ---------------------------------------------------------------------------------------
@dataclass
class LayoutResult:
    """What ComposeService.Layout returns: the encoded sheet and where the copies are."""

    sheet_bytes: bytes
    content_type: str
    layout: SheetLayout


def decode_rgb(data: bytes) -> np.ndarray:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            return np.asarray(img.convert("RGB"))
    except OSError as exc:
        raise InvalidImageError("the photo is not a readable JPEG or PNG") from exc


def sheet_layout_to_proto(plan: SheetLayout) -> compose_pb2.SheetLayout:
    return compose_pb2.SheetLayout(paper=plan.paper, width_px=plan.width_px, height_px=plan.height_px,
                                   dpi=plan.dpi, cols=plan.cols, rows=plan.rows,
                                   positions=[point_to_proto(p) for p in plan.positions])


def sheet_layout_from_proto(layout: compose_pb2.SheetLayout) -> SheetLayout:
    return SheetLayout(paper=layout.paper, width_px=layout.width_px, height_px=layout.height_px, dpi=layout.dpi,
                       cols=layout.cols, rows=layout.rows,
                       positions=[(round(p.x), round(p.y)) for p in layout.positions])


def render_result_to_proto(result: RenderResult, plan: SheetLayout | None = None,
                           include_photo_rgb: bool = False) -> compose_pb2.RenderResponse:
    """``plan`` is the sheet's SheetLayout (None when no sheet was made)."""
    height, width = result.photo.shape[:2]
    response = compose_pb2.RenderResponse(
        photo=result.photo_bytes, content_type=result.content_type, width_px=width, height_px=height,
        report=dict_to_struct(result.report), sheet=result.sheet_bytes or b"")
    if plan is not None:
        response.sheet_layout.CopyFrom(sheet_layout_to_proto(plan))
    if include_photo_rgb:
        response.photo_rgb.CopyFrom(to_tensor(result.photo))
    return response


def render_result_from_proto(response: compose_pb2.RenderResponse,
                             photo_rgb: np.ndarray | None = None) -> RenderResult:
    """``photo`` is ``photo_rgb`` if given, else the response's photo_rgb tensor, else the decoded photo file
    (then JPEG-decoded pixels, not the exact pre-encoding RGB). A sheet is decoded from its file."""
    if photo_rgb is None:
        photo_rgb = from_tensor(response.photo_rgb) if response.HasField("photo_rgb") else decode_rgb(response.photo)
    sheet_bytes = response.sheet or None
    return RenderResult(photo=photo_rgb, photo_bytes=response.photo, content_type=response.content_type,
                        report=struct_to_dict(response.report, integral_to_int=True),
                        sheet=decode_rgb(sheet_bytes) if sheet_bytes else None, sheet_bytes=sheet_bytes)


def layout_result_from_proto(response: compose_pb2.LayoutResponse) -> LayoutResult:
    return LayoutResult(sheet_bytes=response.sheet, content_type=response.content_type,
                        layout=sheet_layout_from_proto(response.layout))

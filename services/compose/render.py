"""The compose service's transport-free core: Stage B, from a Stage A cutout to the finished photo (no model call).

crop_to_spec -> background + composite -> adjust -> export -> optional print sheet -> report.

* The background is ``options.background`` or else the spec's own colour.
* Adjustments are protected by the placed alpha (weight 0 on pure background), so the background colour stays
  exactly the requested one whatever brightness/contrast/saturation/sharpness the caller picks.
* The report measures the background on the DECODED exported file (what the caller actually gets, JPEG
  artefacts included; decoding a photo-sized image from memory costs a few milliseconds). ``RenderResult.photo``
  is the RGB before encoding.
* A sheet is encoded in the photo's format at the same dpi; ``max_kb`` applies to the photo only.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from idphoto.domain.colors import parse_background
from idphoto.domain.sheets import SheetLayout, plan_best_sheet
from idphoto.domain.specs import Spec
from idphoto.domain.types import Cutout, RenderOptions, RenderResult
from services.compose.adjust import adjust
from services.compose.background import composite, render_background
from services.compose.crop import crop_to_spec
from services.compose.export import export_image
from services.compose.report import build_report
from services.compose.sheet import render_sheet


def _decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB"))


def _sheet(photo_rgb: np.ndarray, plan: SheetLayout, cut_guides: bool, fmt: str) -> tuple[np.ndarray, bytes]:
    sheet = render_sheet(photo_rgb, plan, cut_guides=cut_guides)
    return sheet, export_image(sheet, fmt=fmt, dpi=plan.dpi).data


def layout(photo_rgb: np.ndarray, paper: str, dpi: int, gap_mm: float | None, margin_mm: float | None,
           cut_guides: bool, fmt: str) -> tuple[np.ndarray, bytes]:
    """Tile the photo on a sheet of ``paper`` at ``dpi``; returns (sheet RGB, encoded sheet)."""
    height, width = photo_rgb.shape[:2]
    plan = plan_best_sheet(width, height, paper, dpi=dpi, gap_mm=gap_mm, margin_mm=margin_mm)
    return _sheet(photo_rgb, plan, cut_guides, fmt)


def sheet_plan(spec: Spec, options: RenderOptions) -> SheetLayout:
    """The layout ``render`` tiles the photo with (requires ``options.sheet``)."""
    return plan_best_sheet(spec.width_px, spec.height_px, options.sheet, dpi=int(options.dpi or spec.dpi),
                           gap_mm=options.sheet_gap_mm, margin_mm=options.sheet_margin_mm)


def render(cutout: Cutout, spec: Spec, options: RenderOptions) -> RenderResult:
    placement = crop_to_spec(cutout, spec)
    background = parse_background(options.background, default=spec.background)
    canvas = render_background(background, spec.width_px, spec.height_px)
    photo = composite(placement.rgba, canvas)
    tone = {"brightness": options.brightness, "contrast": options.contrast, "saturation": options.saturation,
            "sharpness": options.sharpness}
    if any(v != 0 for v in tone.values()):     # all 0 is exactly the identity: no weights, no copy
        photo = adjust(photo, **tone, protect=placement.rgba[..., 3].astype(np.float32) / 255.0)
    dpi = int(options.dpi or spec.dpi)
    exported = export_image(photo, fmt=options.format, dpi=dpi, max_kb=options.max_kb)
    sheet = sheet_bytes = plan = None
    if options.sheet:
        plan = sheet_plan(spec, options)
        sheet, sheet_bytes = _sheet(photo, plan, options.sheet_cut_guides, exported.format)
    report = build_report(spec, placement, _decode(exported.data), background.reference, exported,
                          face_count=cutout.face_count, head=cutout.head)
    if plan is not None:
        report["sheet"] = {"paper": plan.paper, "width_px": plan.width_px, "height_px": plan.height_px,
                           "dpi": plan.dpi, "copies": plan.cols * plan.rows, "cols": plan.cols, "rows": plan.rows,
                           "bytes": len(sheet_bytes or b"")}
    return RenderResult(photo=photo, photo_bytes=exported.data, content_type=exported.content_type,
                        report=report, sheet=sheet, sheet_bytes=sheet_bytes)

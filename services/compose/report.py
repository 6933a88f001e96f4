"""The compliance report of one rendered photo: what was measured, and each rule with its limits and verdict.

Geometry (head height, crown margin, eye line) is the placement's own: ``crop_to_spec`` knows exactly where it put
the head, so nothing is re-detected. Millimetres use the spec's dpi (the photo's pixels are the spec's pixels).

Rules carry a ``severity``: ``error`` rules decide the overall ``pass``; ``warning`` rules are reported only.
Limits chosen here (not stated by the document sources):

* Pose (yaw, pitch, roll), eyes, mouth and ``geometry_confidence``: ``services.compose.face_rules`` (ICAO limits).
  ``roll_deg`` is the roll left in the photo, re-measured on the levelled face's mesh.
* ``background_delta_e`` <= 3 (CIEDE2000), error: mean over a 4 px border frame, only pixels where the placed
  person's alpha is 0 (pure background). About 1 is a just-noticeable difference; 3 leaves room for JPEG noise
  while catching a tinted or shaded background.
* ``crown_margin_mm``: the spec's range where it states one, otherwise only ">= 0" (the crown is in the frame).
* ``print_size_mm`` (warning): the photo's height printed at the output dpi stays within 0.5 mm of the spec; it
  only fails when a dpi override changes the print size.
* ``not_padded`` (warning): the crop window ran outside the source photo on some side (filled with background).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from idphoto.domain.specs import Spec
from idphoto.domain.types import HeadGeometry
from services.compose.colour_difference import mean_delta_e
from services.compose.crop import Placement
from services.compose.export import Exported
from services.compose.face_rules import face_measured, face_rules

BORDER_PX = 4
MAX_BACKGROUND_DELTA_E = 3.0
PRINT_SIZE_TOLERANCE_MM = 0.5
_EPS = 1e-6


def _rule(name: str, value: Any, lo: Any, hi: Any, unit: str, ok: bool, severity: str = "error") -> dict:
    return {"rule": name, "value": value, "min": lo, "max": hi, "unit": unit, "pass": bool(ok),
            "severity": severity}


def _within(value: float, lo: float | None, hi: float | None) -> bool:
    return (lo is None or value >= lo - _EPS) and (hi is None or value <= hi + _EPS)


def background_delta_e(photo_rgb: np.ndarray, alpha: np.ndarray, target_rgb: tuple[int, int, int],
                       border: int = BORDER_PX) -> float | None:
    """Mean CIEDE2000 of the pure-background pixels (alpha 0) of a ``border`` px frame; None if there are none."""
    frame = np.zeros(alpha.shape, dtype=bool)
    frame[:border, :] = frame[-border:, :] = True
    frame[:, :border] = frame[:, -border:] = True
    pick = frame & (alpha == 0)
    if not pick.any():
        return None
    return mean_delta_e(photo_rgb[pick], tuple(int(c) for c in target_rgb))


def _measure(spec: Spec, placement: Placement) -> dict[str, float]:
    mm = 25.4 / spec.dpi
    height = float(spec.height_px)
    return {
        "head_height_mm": placement.head_px * mm,
        "head_height_pct": placement.head_px / height * 100.0,
        "crown_margin_mm": placement.crown_y * mm,
        "chin_margin_mm": (height - placement.chin_y) * mm,
        "eye_line_mm": (height - placement.eye_y) * mm,
        "eye_line_pct": (height - placement.eye_y) / height * 100.0,
        "center_x_px": placement.center_x,
        "scale": placement.scale,
    }


def _geometry_rules(spec: Spec, m: dict[str, float]) -> list[dict]:
    head = m["head_height_mm"]
    rules = [_rule("head_height_mm", round(head, 2), spec.head_min_mm, spec.head_max_mm, "mm",
                   _within(head, spec.head_min_mm, spec.head_max_mm))]
    if spec.eye_line_mm is not None:
        lo, hi = spec.eye_line_mm
        rules.append(_rule("eye_line_mm", round(m["eye_line_mm"], 2), lo, hi, "mm",
                           _within(m["eye_line_mm"], lo, hi)))
    lo, hi = spec.crown_margin_mm if spec.crown_margin_mm else (0.0, None)
    rules.append(_rule("crown_margin_mm", round(m["crown_margin_mm"], 2), lo, hi, "mm",
                       _within(m["crown_margin_mm"], lo, hi)))
    return rules


def build_report(spec: Spec, placement: Placement, photo_rgb: np.ndarray,
                 background_rgb_reference: tuple[int, int, int], exported: Exported, face_count: int,
                 head: HeadGeometry) -> dict[str, Any]:
    m = _measure(spec, placement)
    roll = float(head.residual_roll_deg)
    delta_e = background_delta_e(np.asarray(photo_rgb), placement.rgba[..., 3], background_rgb_reference)
    print_h_mm = exported.height / exported.dpi * 25.4
    size_ok = (exported.width, exported.height) == (spec.width_px, spec.height_px)
    rules = [_rule("size_px", [exported.width, exported.height], [spec.width_px, spec.height_px],
                   [spec.width_px, spec.height_px], "px", size_ok)]
    rules += _geometry_rules(spec, m)
    rules += face_rules(spec.id, head)
    rules += [
        _rule("background_delta_e", None if delta_e is None else round(delta_e, 3), None, MAX_BACKGROUND_DELTA_E,
              "dE2000", delta_e is not None and delta_e <= MAX_BACKGROUND_DELTA_E),
        _rule("face_count", int(face_count), 1, 1, "faces", int(face_count) == 1),
        _rule("print_size_mm", round(print_h_mm, 2), round(spec.height_mm - PRINT_SIZE_TOLERANCE_MM, 2),
              round(spec.height_mm + PRINT_SIZE_TOLERANCE_MM, 2), "mm",
              abs(print_h_mm - spec.height_mm) <= PRINT_SIZE_TOLERANCE_MM, "warning"),
        _rule("not_padded", list(placement.padded_sides), None, None, "sides", not placement.padded_sides,
              "warning"),
    ]
    return {
        "spec": {"id": spec.id, "country": spec.country, "document": spec.document,
                 "width_mm": spec.width_mm, "height_mm": spec.height_mm, "width_px": spec.width_px,
                 "height_px": spec.height_px, "dpi": spec.dpi, "geometry": spec.geometry, "source": spec.source},
        "measured": {**{k: round(v, 3) for k, v in m.items()}, "residual_roll_deg": round(roll, 3),
                     **face_measured(head), "face_count": int(face_count),
                     "background_delta_e": None if delta_e is None else round(delta_e, 3)},
        "output": {"width_px": exported.width, "height_px": exported.height, "dpi": exported.dpi,
                   "bytes": len(exported.data), "format": exported.format, "content_type": exported.content_type,
                   "quality": exported.quality},
        "padded_sides": list(placement.padded_sides),
        "placement": {"aim": "middle of every range", "slack": placement.slack, "limited_by": placement.limited_by,
                      "gave_way": list(placement.gave_way)},
        "rules": rules,
        "warnings": [r["rule"] for r in rules if r["severity"] == "warning" and not r["pass"]],
        "pass": all(r["pass"] for r in rules if r["severity"] == "error"),
    }

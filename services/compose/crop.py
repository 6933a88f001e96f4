"""Stage B geometry: scale and place a Stage A cutout so its head lands where the spec wants it.

Coordinates are continuous pixel coordinates (pixel ``i`` covers ``[i, i + 1)``), in the cutout as in the output;
the photo's horizontal centre is therefore ``width / 2``. The cutout's head geometry (``HeadGeometry``) is read in
the same convention.

Placement rules, all derived from the spec's millimetres at its own dpi:

1. Size: the chin-to-crown distance lands at the MIDDLE of the spec's head range.
2. Vertical position, first rule that applies:
   a. the spec has an eye line: the eye line goes to the middle of its range;
   b. the spec has a crown margin: the crown goes to the middle of that margin;
   c. neither: the crown margin is 0.4 x (photo height - head height), i.e. the free height is split 40 % above
      the crown and 60 % below the chin.
3. Conflicts (only possible with an eye line): if the crown would leave the frame (or enter the spec's minimum
   crown margin), the face first moves down as far as the eye-line range allows, then the head shrinks as far as
   the head range allows; the same, mirrored, if the chin would leave the bottom. If that is still not enough
   the eye line gives way: priority is head fully in frame > head size in range > eye line in range.
4. Horizontal: the head's centre line (``HeadGeometry.center_x``) goes to the photo's centre.

The image is resampled ONCE (one ``cv2.warpAffine``), premultiplied by alpha so transparent pixels bleed no colour.
Upscaling uses bicubic; downscaling pre-filters the source with a Gaussian of sigma ``(1 / scale - 1) / 2`` and
then samples bilinearly, which matches area averaging without a second resampling pass. The ``valid`` mask is
mapped with the same matrix (nearest neighbour).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from idphoto.errors import FaceTooSmallError, HeadOutOfFrameError, InputError
from idphoto.types import Cutout
from services.compose.specs import Spec

DEFAULT_CROWN_SHARE = 0.4      # rule 2c: share of the free height above the crown


@dataclass
class Placement:
    rgba: np.ndarray          # spec px, HxWx4 uint8 (alpha 0 where nothing of the person / outside the photo)
    valid: np.ndarray         # HxW bool: came from the photo
    scale: float              # output px per cutout px
    crown_y: float            # output px (continuous coordinates)
    chin_y: float
    eye_y: float
    center_x: float
    head_px: float
    padded_sides: tuple[str, ...]   # "top", "bottom", "left", "right" where the window ran outside the photo


def _fit_eye_line(spec: Spec, size: float, eye_frac: float, top_min: float) -> tuple[float, float]:
    """Rule 2a and 3: (head size, crown y) with the eye line aimed at the middle of its range."""
    k, photo_h = spec.px_per_mm, float(spec.height_px)
    h_lo = spec.head_min_mm * k
    e_lo = photo_h - spec.eye_line_mm[1] * k        # highest allowed eye line (y grows downwards)
    e_hi = photo_h - spec.eye_line_mm[0] * k        # lowest allowed eye line
    eye = (e_lo + e_hi) / 2
    if eye - eye_frac * size < top_min:             # crown too high: move down, then shrink
        eye = min(e_hi, top_min + eye_frac * size)
        if eye - eye_frac * size < top_min:
            size = max(h_lo, (eye - top_min) / eye_frac)
    if eye + (1 - eye_frac) * size > photo_h:       # chin too low: move up, then shrink
        eye = max(e_lo, photo_h - (1 - eye_frac) * size)
        if eye + (1 - eye_frac) * size > photo_h:
            size = max(h_lo, (photo_h - eye) / (1 - eye_frac))
    crown = eye - eye_frac * size
    crown = max(min(crown, photo_h - size), top_min)   # last resort: the eye line gives way, crown stays in
    return size, crown


def vertical_layout(spec: Spec, eye_frac: float) -> tuple[float, float]:
    """Target (head height, crown y) in output px; ``eye_frac`` = (eye - crown) / (chin - crown) of the cutout."""
    k = spec.px_per_mm
    size = (spec.head_min_mm + spec.head_max_mm) / 2 * k
    top_min = spec.crown_margin_mm[0] * k if spec.crown_margin_mm else 0.0
    if spec.eye_line_mm is not None:
        return _fit_eye_line(spec, size, eye_frac, top_min)
    if spec.crown_margin_mm is not None:
        return size, (spec.crown_margin_mm[0] + spec.crown_margin_mm[1]) / 2 * k
    return size, DEFAULT_CROWN_SHARE * (spec.height_px - size)


def _source_window(inv: np.ndarray, out_w: int, out_h: int, margin: int,
                   src_shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    corners = np.array([[0, 0, 1], [out_w, 0, 1], [0, out_h, 1], [out_w, out_h, 1]], dtype=np.float64)
    pts = corners @ inv.T
    x0 = max(int(np.floor(pts[:, 0].min())) - margin, 0)
    y0 = max(int(np.floor(pts[:, 1].min())) - margin, 0)
    x1 = min(int(np.ceil(pts[:, 0].max())) + margin, src_shape[1])
    y1 = min(int(np.ceil(pts[:, 1].max())) + margin, src_shape[0])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _warp(cutout: Cutout, matrix: np.ndarray, scale: float, out_w: int, out_h: int
          ) -> tuple[np.ndarray, np.ndarray]:
    """Resample the cutout by ``matrix`` (continuous coords, source -> output) into ``out_w`` x ``out_h``."""
    sigma = max(0.0, (1.0 / scale - 1.0) / 2.0)
    # continuous -> index coordinates: out_i + 0.5 = A (in_i + 0.5) + t
    idx = matrix.copy()
    idx[:, 2] = matrix[:, 2] + matrix[:, :2] @ np.array([0.5, 0.5]) - 0.5
    inv = cv2.invertAffineTransform(idx)
    window = _source_window(inv, out_w, out_h, int(np.ceil(3 * sigma)) + 3, cutout.rgba.shape[:2])
    if window is None:
        return np.zeros((out_h, out_w, 4), np.uint8), np.zeros((out_h, out_w), bool)
    x0, y0, x1, y1 = window
    src = cutout.rgba[y0:y1, x0:x1].astype(np.float32)
    valid = cutout.valid[y0:y1, x0:x1]
    alpha = src[..., 3] / 255.0 * valid
    prem = np.dstack([src[..., :3] * alpha[..., None], alpha])
    if sigma > 0.05:
        prem = cv2.GaussianBlur(prem, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    idx[:, 2] += idx[:, :2] @ np.array([x0, y0], dtype=np.float64)
    flags = cv2.INTER_CUBIC if scale > 1.0 else cv2.INTER_LINEAR
    out = cv2.warpAffine(prem, idx, (out_w, out_h), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    valid_out = cv2.warpAffine(valid.astype(np.uint8), idx, (out_w, out_h), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0).astype(bool)
    a = np.clip(out[..., 3], 0.0, 1.0) * valid_out
    rgb = np.clip(out[..., :3], 0.0, 255.0 * a[..., None]) / np.maximum(a, 1e-6)[..., None]
    rgba = np.dstack([np.clip(rgb, 0, 255), a * 255.0])
    return np.rint(rgba).astype(np.uint8), valid_out


def _padded_sides(valid: np.ndarray) -> tuple[str, ...]:
    """Sides where output pixels did not come from the photo. Fully invalid bands are peeled off first, so a
    missing bottom band does not also flag the left and right edges it touches."""
    rows, cols = valid.any(axis=1), valid.any(axis=0)
    if not rows.any():
        return ("top", "bottom", "left", "right")
    top, bottom = int(np.argmax(rows)), int(np.argmax(rows[::-1]))
    left, right = int(np.argmax(cols)), int(np.argmax(cols[::-1]))
    inner = valid[top:valid.shape[0] - bottom, left:valid.shape[1] - right]
    padded = {"top": top > 0 or not inner[0].all(), "bottom": bottom > 0 or not inner[-1].all(),
              "left": left > 0 or not inner[:, 0].all(), "right": right > 0 or not inner[:, -1].all()}
    return tuple(side for side, flag in padded.items() if flag)


def crop_to_spec(cutout: Cutout, spec: Spec, max_upscale: float = 3.0) -> Placement:
    head = cutout.head
    if head.crown_at_edge:
        raise HeadOutOfFrameError(crown_y=float(head.crown_y))
    if not head.head_height > 0 or not head.crown_y < head.eye_y < head.chin_y:
        raise InputError("cutout head geometry is inconsistent: need crown < eye < chin",
                         crown_y=float(head.crown_y), eye_y=float(head.eye_y), chin_y=float(head.chin_y))
    eye_frac = (head.eye_y - head.crown_y) / head.head_height
    size, crown_top = vertical_layout(spec, eye_frac)
    scale = size / head.head_height
    if scale > max_upscale:
        raise FaceTooSmallError(needed_scale=round(scale, 3), max_upscale=max_upscale,
                                head_px=round(float(head.head_height), 1), target_head_px=round(size, 1))
    center_x = spec.width_px / 2.0
    matrix = np.array([[scale, 0.0, center_x - scale * head.center_x],
                       [0.0, scale, crown_top - scale * head.crown_y]], dtype=np.float64)
    rgba, valid = _warp(cutout, matrix, scale, spec.width_px, spec.height_px)
    return Placement(
        rgba=rgba, valid=valid, scale=float(scale), crown_y=float(crown_top), chin_y=float(crown_top + size),
        eye_y=float(crown_top + eye_frac * size), center_x=center_x, head_px=float(size),
        padded_sides=_padded_sides(valid),
    )

"""Stage B geometry: scale and place a Stage A cutout so its head lands where the spec wants it.

Coordinates are continuous pixel coordinates (pixel ``i`` covers ``[i, i + 1)``), in the cutout as in the output;
the photo's horizontal centre is therefore ``width / 2``. The cutout's head geometry (``HeadGeometry``) is read in
the same convention.

Placement rules, all derived from the spec's millimetres at its own dpi:

1. Size and vertical position aim at the MIDDLE of every range the spec states (head height, eye line, crown
   margin), so a measurement error of a few per cent still lands inside each. Each range's slack is 1 at its
   middle and 0 at its edge; the placement maximises the least slack, the head staying wholly in the frame and
   its size inside its range. The report names the range that limited the others (``limited_by``) and any that
   had to give way (``gave_way``, slack < 0) when the spec's ranges cannot all be met for this face.
2. With neither an eye line nor a crown margin, the head gets the middle of its range and the free height is
   split 40 % above the crown and 60 % below the chin.
3. Horizontal: the head's centre line (``HeadGeometry.center_x``) goes to the photo's centre.

The image is resampled ONCE (one ``cv2.warpAffine``), premultiplied by alpha so transparent pixels bleed no colour.
Upscaling uses bicubic; downscaling pre-filters the source with a Gaussian of sigma ``(1 / scale - 1) / 2`` and
then samples bilinearly, which matches area averaging without a second resampling pass. The ``valid`` mask is
mapped with the same matrix (nearest neighbour).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from idphoto.domain.specs import Spec
from idphoto.domain.types import Cutout
from idphoto.errors import FaceTooSmallError, HeadOutOfFrameError, InputError

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
    slack: dict[str, float] = field(default_factory=dict)
    limited_by: str | None = None
    gave_way: tuple[str, ...] = ()


def _slack(value: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """1 at the middle of ``bounds``, 0 at either end, negative outside."""
    mid, half = (bounds[0] + bounds[1]) / 2, max((bounds[1] - bounds[0]) / 2, 1e-9)
    return 1.0 - np.abs(value - mid) / half


@dataclass(frozen=True)
class VerticalLayout:
    size: float                          # head height, output px
    crown: float                         # crown y, output px
    slack: dict[str, float]              # per range rule: 1 = its middle, 0 = its edge, < 0 = outside
    limited_by: str | None               # the rule with the least slack when several ranges compete
    gave_way: tuple[str, ...]            # rules left outside their range (a conflict the spec cannot meet)


def _ranges(spec: Spec) -> dict[str, tuple[str, tuple[float, float]]]:
    """The spec's ranges in output px: rule -> (what it bounds, (lo, hi))."""
    k, photo_h = spec.px_per_mm, float(spec.height_px)
    ranges = {"head_height_mm": ("size", (spec.head_min_mm * k, spec.head_max_mm * k))}
    if spec.eye_line_mm is not None:
        ranges["eye_line_mm"] = ("eye", (photo_h - spec.eye_line_mm[1] * k, photo_h - spec.eye_line_mm[0] * k))
    if spec.crown_margin_mm is not None:
        ranges["crown_margin_mm"] = ("crown", (spec.crown_margin_mm[0] * k, spec.crown_margin_mm[1] * k))
    return ranges


def _candidate_crowns(ranges: dict, sizes: np.ndarray, eye_frac: float, photo_h: float) -> np.ndarray:
    """Per head size, the crown heights where the least slack can peak: each range's middle and ends, where two
    slopes (or a slope and the head's own slack) cross, and the frame's edges. The least slack is a concave
    piecewise-linear function of the crown, so its maximum is at one of these."""
    k = {"crown": 0.0, "eye": eye_frac}
    head_slack = _slack(sizes, ranges["head_height_mm"][1])
    levels = []                                             # (offset per size, fixed value) pairs: c = v - a*s
    for what, (lo, hi) in (r for r in ranges.values() if r[0] != "size"):
        mid, half = (lo + hi) / 2, (hi - lo) / 2
        levels += [(k[what], v) for v in (lo, mid, hi)]
        levels += [(k[what], mid + sign * (1 - head_slack) * half) for sign in (-1, 1)]
    crowns = [v - a * sizes for a, v in levels]
    position = [(k[w], (lo + hi) / 2, (hi - lo) / 2) for w, (lo, hi) in ranges.values() if w != "size"]
    for i, (a1, m1, h1) in enumerate(position):
        for a2, m2, h2 in position[i + 1:]:             # one slack rising meets the other falling:
            # (c + a1 s - m1) / h1 = -(c + a2 s - m2) / h2, solved for c
            crowns.append(((m1 - a1 * sizes) / h1 + (m2 - a2 * sizes) / h2) / (1 / h1 + 1 / h2))
    crowns += [0 * sizes, photo_h - sizes]
    return np.clip(np.hstack(crowns), 0.0, np.maximum(photo_h - sizes, 0.0))


def vertical_layout(spec: Spec, eye_frac: float) -> VerticalLayout:
    """Head size and crown height that keep every range as close to its middle as they can together (the least
    slack is maximised), with the head wholly in the frame. ``eye_frac`` = (eye - crown) / (chin - crown).
    Without an eye line or crown margin the free height is split 40 % above the crown, 60 % below the chin."""
    ranges = _ranges(spec)
    photo_h = float(spec.height_px)
    h_lo, h_hi = ranges["head_height_mm"][1]
    if len(ranges) == 1:
        size = (h_lo + h_hi) / 2
        return VerticalLayout(size, DEFAULT_CROWN_SHARE * (photo_h - size), {"head_height_mm": 1.0}, None, ())
    sizes = np.linspace(h_lo, h_hi, 161)[:, None]
    crowns = _candidate_crowns(ranges, sizes, eye_frac, photo_h)
    values = {"size": sizes + 0 * crowns, "crown": crowns, "eye": crowns + eye_frac * sizes}
    slacks = {rule: _slack(values[what], bounds) for rule, (what, bounds) in ranges.items()}
    stacked = np.stack(list(slacks.values()))
    score = stacked.min(axis=0) + 1e-3 * stacked.mean(axis=0)      # then as central as possible
    i, j = np.unravel_index(int(np.argmax(score)), score.shape)
    chosen = {rule: round(float(v[i, j]), 3) for rule, v in slacks.items()}
    limited = min(chosen, key=chosen.get) if min(chosen.values()) < 0.999 else None
    return VerticalLayout(float(sizes[i, 0]), float(crowns[i, j]), chosen, limited,
                          tuple(rule for rule, v in chosen.items() if v < 0))


def _source_window(inv: np.ndarray, out_w: int, out_h: int, margin: int,
                   src_shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    corners = np.array([[0, 0, 1], [out_w, 0, 1], [0, out_h, 1], [out_w, out_h, 1]], dtype=np.float64)
    pts = corners @ inv.T
    x0 = max(int(np.floor(pts[:, 0].min())) - margin, 0)
    y0 = max(int(np.floor(pts[:, 1].min())) - margin, 0)
    x1 = min(int(np.ceil(pts[:, 0].max())) + margin, src_shape[1])
    y1 = min(int(np.ceil(pts[:, 1].max())) + margin, src_shape[0])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _premultiplied(rgba: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """float32 premultiplied RGBA (alpha 0..1, colour 0..255·alpha), zero outside ``valid``."""
    src = rgba.astype(np.float32)
    alpha = src[..., 3] / 255.0
    if not valid.all():
        alpha *= valid
    prem = cv2.multiply(src, cv2.merge([alpha, alpha, alpha, np.ones_like(alpha)]))
    prem[..., 3] = alpha
    return prem


def _unpremultiplied(out: np.ndarray, valid_out: np.ndarray) -> np.ndarray:
    """uint8 straight RGBA from a warped premultiplied float32 image: colour clipped to 0..255·alpha, divided by
    alpha, rounded (cv2's multi-channel arithmetic: numpy on strided channel views is several times slower)."""
    a = np.clip(out[..., 3], 0.0, 1.0)
    a *= valid_out
    limit = 255.0 * a
    rgb = cv2.max(cv2.min(out, cv2.merge([limit, limit, limit, limit])), (0.0,) * 4)
    denominator = np.maximum(a, 1e-6)
    rgb = cv2.divide(rgb, cv2.merge([denominator, denominator, denominator, np.ones_like(a)]))
    rgb[..., 3] = limit
    return cv2.convertScaleAbs(cv2.min(rgb, (255.0,) * 4))     # all >= 0: round half to even, like np.rint


def _warp(cutout: Cutout, matrix: np.ndarray, scale: float, out_w: int, out_h: int
          ) -> tuple[np.ndarray, np.ndarray]:
    """Resample the cutout by ``matrix`` (continuous coords, source -> output) into ``out_w`` x ``out_h``.
    Only the source window the output sees is converted to float, and every float step works in place."""
    sigma = max(0.0, (1.0 / scale - 1.0) / 2.0)
    # continuous -> index coordinates: out_i + 0.5 = A (in_i + 0.5) + t
    idx = matrix.copy()
    idx[:, 2] = matrix[:, 2] + matrix[:, :2] @ np.array([0.5, 0.5]) - 0.5
    inv = cv2.invertAffineTransform(idx)
    window = _source_window(inv, out_w, out_h, int(np.ceil(3 * sigma)) + 3, cutout.rgba.shape[:2])
    if window is None:
        return np.zeros((out_h, out_w, 4), np.uint8), np.zeros((out_h, out_w), bool)
    x0, y0, x1, y1 = window
    valid = cutout.valid[y0:y1, x0:x1]
    prem = _premultiplied(cutout.rgba[y0:y1, x0:x1], valid)
    if sigma > 0.05:
        prem = cv2.GaussianBlur(prem, (0, 0), sigma, borderType=cv2.BORDER_REPLICATE)
    idx[:, 2] += idx[:, :2] @ np.array([x0, y0], dtype=np.float64)
    flags = cv2.INTER_CUBIC if scale > 1.0 else cv2.INTER_LINEAR
    out = cv2.warpAffine(prem, idx, (out_w, out_h), flags=flags, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    valid_out = cv2.warpAffine(valid.view(np.uint8), idx, (out_w, out_h), flags=cv2.INTER_NEAREST,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0).view(bool)
    return _unpremultiplied(out, valid_out), valid_out


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
    plan = vertical_layout(spec, eye_frac)
    size, crown_top = plan.size, plan.crown
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
        padded_sides=_padded_sides(valid), slack=plan.slack, limited_by=plan.limited_by, gave_way=plan.gave_way,
    )

"""Backgrounds (solid or gradient) and alpha compositing of the cut-out person over them."""

from __future__ import annotations

import cv2
import numpy as np

from idphoto.domain.colors import Background
from idphoto.errors import InternalError, InvalidOptionError


def _ramp(colors: tuple[tuple[int, int, int], ...], t: np.ndarray) -> np.ndarray:
    """Colours at positions ``t`` in [0, 1] along evenly spaced stops (linear between); float (..., 3)."""
    stops = np.asarray(colors, dtype=np.float64)
    pos = np.clip(t, 0.0, 1.0) * (len(stops) - 1)
    lo = np.minimum(np.floor(pos).astype(np.intp), len(stops) - 2)
    frac = (pos - lo)[..., None]
    return stops[lo] * (1.0 - frac) + stops[lo + 1] * frac


def render_background(bg: Background, width: int, height: int) -> np.ndarray:
    """The background as an HxWx3 uint8 image.

    Solid: every pixel is the colour. Vertical: the top row is the first stop and the bottom row the last.
    Radial: the centre of the image is the first stop, the four corners the last.
    """
    width, height = int(width), int(height)
    if width <= 0 or height <= 0:
        raise InvalidOptionError("background size must be positive", width=width, height=height)
    if bg.kind == "solid":        # one row, then whole rows (a per-pixel broadcast of 3 bytes is ~50x slower)
        row = np.tile(np.asarray(bg.colors[0], dtype=np.uint8), width)
        return np.ascontiguousarray(np.broadcast_to(row, (height, width * 3))).reshape(height, width, 3)
    if bg.kind == "vertical":
        t = np.arange(height, dtype=np.float64) / max(height - 1, 1)
        column = _ramp(bg.colors, t)                      # H x 3
        out = np.broadcast_to(column[:, None, :], (height, width, 3))
    else:  # radial
        cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
        ys = np.arange(height, dtype=np.float64)[:, None] - cy
        xs = np.arange(width, dtype=np.float64)[None, :] - cx
        corner = max(np.hypot(cx, cy), 1e-9)
        out = _ramp(bg.colors, np.hypot(xs, ys) / corner)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def composite(rgba: np.ndarray, background_rgb: np.ndarray) -> np.ndarray:
    """Alpha-blend an HxWx4 uint8 straight-alpha foreground over an HxWx3 uint8 background.

    The foreground colours are expected to be decontaminated (not premultiplied), so the blend is the plain
    ``fg * a + bg * (1 - a)`` in sRGB, rounded. Where alpha is 255 the foreground pixel is kept exactly and
    where it is 0 the background pixel is kept exactly.
    """
    rgba = np.asarray(rgba)
    bg = np.asarray(background_rgb)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise InternalError("composite needs an HxWx4 uint8 foreground", shape=list(rgba.shape),
                            dtype=str(rgba.dtype))
    if bg.shape != rgba.shape[:2] + (3,) or bg.dtype != np.uint8:
        raise InternalError("composite needs an HxWx3 uint8 background of the foreground's size",
                            foreground=list(rgba.shape), background=list(bg.shape))
    # Integer blend, rounded half up: (fg·a + bg·(255−a) + 127) // 255 is exactly fg at a = 255 and exactly bg
    # at a = 0, so no masking pass is needed (and uint16 holds 255·255 + 127). The division is exact shifts:
    # with z = y + 1, (z + (z >> 8)) >> 8 == y // 255 for every y <= 65535 − 256 (a test checks all of them).
    # Contiguous 3-channel operands throughout: numpy is slow on strided channel views and size-1 broadcasts.
    rgba = np.ascontiguousarray(rgba)
    alpha = np.ascontiguousarray(rgba[..., 3])
    alpha3 = cv2.merge([alpha, alpha, alpha])
    blended = cv2.cvtColor(rgba, cv2.COLOR_RGBA2RGB).astype(np.uint16)
    blended *= alpha3
    behind = bg.astype(np.uint16)
    behind *= cv2.bitwise_not(alpha3)
    blended += behind
    blended += 128
    blended += blended >> 8
    blended >>= 8
    return blended.astype(np.uint8)

"""Locate each pupil inside its eye window at full resolution.

MTCNN's eye points are coarse (a few pixels at passport scale, i.e. degrees of roll). The centre of the iris is
where the most image gradients point away from, on a dark spot: for each candidate centre c we score the mean of
max(0, d·g)² over strong gradients g (d = unit vector from c to the gradient's pixel), weighted by how dark the
smoothed image is at c. The window is resampled so the eye distance is a fixed number of pixels, which makes the
method scale-free; the best cell is refined to sub-pixel precision with a parabola fit.
"""

from __future__ import annotations

import cv2
import numpy as np

# Window geometry in units of the eye distance d (left/right of the eye point, above/below it).
_HALF_W = 0.24
_HALF_H = 0.16
_EYE_DISTANCE_PX = 160.0        # the eye distance in the resampled window
_MIN_HORIZONTAL = 0.85          # |gx| / |g| for a gradient to vote
_CANDIDATE_STEP = 2             # evaluate every 2nd resampled pixel, then refine


def _window(rgb: np.ndarray, center: np.ndarray, angle_deg: float, d: float) -> tuple[np.ndarray, np.ndarray]:
    """Grey eye window, levelled by ``angle_deg`` and resampled; returns (window, 2x3 matrix source→window)."""
    scale = _EYE_DISTANCE_PX / d
    w, h = int(round(2 * _HALF_W * _EYE_DISTANCE_PX)), int(round(2 * _HALF_H * _EYE_DISTANCE_PX))
    m = cv2.getRotationMatrix2D((float(center[0]), float(center[1])), angle_deg, scale)
    m[0, 2] += w / 2 - center[0]
    m[1, 2] += h / 2 - center[1]
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    win = cv2.warpAffine(grey, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return win.astype(np.float32), m


def _remove_catchlights(win: np.ndarray) -> np.ndarray:
    """Grey opening: small bright specular spots on the iris vanish, dark structures stay."""
    size = int(round(_EYE_DISTANCE_PX * 0.05)) | 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(win, cv2.MORPH_OPEN, kernel)


def _objective(win: np.ndarray) -> np.ndarray:
    """Score map (on the candidate grid) of how well each candidate explains the gradient field."""
    smooth = cv2.GaussianBlur(_remove_catchlights(win), (0, 0), 2.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.hypot(gx, gy)
    # Only near-horizontal gradients vote: the iris/sclera edges left and right of the iris. Eyelid and lash
    # edges run horizontally (vertical gradients) and would pull the centre up.
    strong = (mag > mag.mean() + 0.5 * mag.std()) & (np.abs(gx) > _MIN_HORIZONTAL * mag)
    ys, xs = np.nonzero(strong)
    gxn, gyn = gx[strong] / mag[strong], gy[strong] / mag[strong]
    cy, cx = np.mgrid[0:win.shape[0]:_CANDIDATE_STEP, 0:win.shape[1]:_CANDIDATE_STEP]
    cxf, cyf = cx.reshape(-1, 1).astype(np.float32), cy.reshape(-1, 1).astype(np.float32)
    dx, dy = xs[None, :] - cxf, ys[None, :] - cyf
    norm = np.hypot(dx, dy) + 1e-6
    dots = np.maximum(0.0, (dx * gxn[None, :] + dy * gyn[None, :]) / norm)
    score = (dots ** 2).mean(axis=1).reshape(cx.shape)
    dark = cv2.GaussianBlur(win, (0, 0), 6.0)[cy, cx]
    weight = (255.0 - dark) / 255.0
    return score * weight ** 2


def _edge_penalty(shape: tuple[int, int]) -> np.ndarray:
    """Down-weight candidates near the window border (eyebrows, hair, lashes live there)."""
    h, w = shape
    yy = np.linspace(-1.0, 1.0, h)[:, None]
    xx = np.linspace(-1.0, 1.0, w)[None, :]
    return np.clip(1.0 - 0.6 * (xx ** 2) - 0.8 * (yy ** 2), 0.05, 1.0)


def _subpixel_peak(score: np.ndarray) -> tuple[float, float]:
    r, c = np.unravel_index(int(np.argmax(score)), score.shape)

    def offset(a: float, b: float, cc: float) -> float:
        denom = a - 2 * b + cc
        return 0.0 if abs(denom) < 1e-12 else float(np.clip(0.5 * (a - cc) / denom, -0.5, 0.5))

    dc = offset(score[r, c - 1], score[r, c], score[r, c + 1]) if 0 < c < score.shape[1] - 1 else 0.0
    dr = offset(score[r - 1, c], score[r, c], score[r + 1, c]) if 0 < r < score.shape[0] - 1 else 0.0
    return (c + dc) * _CANDIDATE_STEP, (r + dr) * _CANDIDATE_STEP


def locate_pupil(rgb: np.ndarray, eye_xy: np.ndarray, eye_distance: float, angle_deg: float = 0.0
                 ) -> tuple[float, float]:
    """Refined pupil centre (source pixels) near the coarse ``eye_xy``; ``angle_deg`` levels the window."""
    eye_xy = np.asarray(eye_xy, dtype=np.float64)
    win, m = _window(rgb, eye_xy, angle_deg, eye_distance)
    score = _objective(win)
    score = score * _edge_penalty(score.shape)
    wx, wy = _subpixel_peak(score)
    inv = cv2.invertAffineTransform(m)
    x, y = inv @ np.array([wx, wy, 1.0])
    return float(x), float(y)

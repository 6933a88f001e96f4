"""Synthetic Stage A cutouts with exactly known head geometry (no photos of people).

Shapes are rasterised by supersampling, so edges carry fractional alpha and the geometry is exact in continuous
pixel coordinates (pixel i covers [i, i + 1)): an ellipse head centred at (cx, cy) with semi-axes (ax, ay) has its
crown at cy - ay, its chin at cy + ay and its centre line at cx. Two dark eye discs sit on the eye line.
"""

from __future__ import annotations

import numpy as np

from idphoto.domain.types import Cutout, HeadGeometry

SKIN = np.array([224.0, 172.0, 150.0])
BODY = np.array([40.0, 60.0, 160.0])
EYE = np.array([20.0, 20.0, 20.0])


def _coverage(width: int, height: int, inside, ss: int) -> np.ndarray:
    offsets = (np.arange(ss) + 0.5) / ss
    cover = np.zeros((height, width), dtype=np.float64)
    ys = np.arange(height, dtype=np.float64)[:, None]
    xs = np.arange(width, dtype=np.float64)[None, :]
    for oy in offsets:
        for ox in offsets:
            cover += inside(xs + ox, ys + oy)
    return cover / (ss * ss)


def make_cutout(width: int = 800, height: int = 1000, cx: float = 400.0, cy: float = 300.0, ax: float = 110.0,
                ay: float = 150.0, eye_frac: float = 0.47, ss: int = 4, roll: float = 0.0,
                crown_at_edge: bool = False, face_count: int = 1) -> Cutout:
    crown, chin = cy - ay, cy + ay
    eye_y = crown + eye_frac * 2 * ay
    eye_r, eye_dx = 0.08 * ax, 0.42 * ax

    def head(x, y):
        return ((x - cx) / ax) ** 2 + ((y - cy) / ay) ** 2 <= 1.0

    def body(x, y):
        neck = (np.abs(x - cx) <= 0.55 * ax) & (y >= chin - 0.3 * ay) & (y <= chin + 0.4 * ay)
        torso = (np.abs(x - cx) <= 2.7 * ax) & (y >= chin + 0.25 * ay)
        return neck | torso

    def eyes(x, y):
        return (((x - cx + eye_dx) ** 2 + (y - eye_y) ** 2) <= eye_r ** 2) | (
            ((x - cx - eye_dx) ** 2 + (y - eye_y) ** 2) <= eye_r ** 2)

    h = _coverage(width, height, head, ss)
    b = _coverage(width, height, body, ss) * (1.0 - h)
    e = _coverage(width, height, eyes, ss)
    alpha = h + b
    face = SKIN * (1.0 - e[..., None]) + EYE * e[..., None]
    colour = (face * h[..., None] + BODY * b[..., None]) / np.maximum(alpha, 1e-9)[..., None]
    rgba = np.dstack([np.where(alpha[..., None] > 0, colour, 0.0), alpha * 255.0])
    geometry = HeadGeometry(
        crown_y=crown, chin_y=chin, eye_y=eye_y, center_x=cx, left_pupil=(cx - eye_dx, eye_y),
        right_pupil=(cx + eye_dx, eye_y), residual_roll_deg=roll, face_box=(cx - ax, crown, cx + ax, chin),
        crown_at_edge=crown_at_edge, yaw_deg=0.5, pitch_deg=-1.0, eye_openness=0.3, mouth_openness=0.01,
        mesh_score=0.99, chin_confidence=0.9, crown_confidence=0.95,
    )
    return Cutout(rgba=np.rint(np.clip(rgba, 0, 255)).astype(np.uint8), valid=np.ones((height, width), bool),
                  head=geometry, face_count=face_count, source_size=(width, height))


def head_weight(rgba: np.ndarray) -> np.ndarray:
    """Per pixel 0..1: how much of the pixel is head (skin or eye), from alpha and the skin/body colour mix."""
    rgb = rgba[..., :3].astype(np.float64)
    alpha = rgba[..., 3].astype(np.float64) / 255.0
    direction = SKIN - BODY
    t = np.clip(((rgb - BODY) @ direction) / (direction @ direction), 0.0, 1.0)
    dark = np.all(rgb < 80, axis=-1) & (alpha > 0)        # eye pixels count as head
    return np.where(dark, alpha, alpha * t)


def measure_head(rgba: np.ndarray, column: int | None = None) -> tuple[float, float]:
    """(crown_y, chin_y) in continuous coordinates from the head weight along one column (default: centre)."""
    col = rgba.shape[1] // 2 if column is None else column
    w = head_weight(rgba)[:, col]
    rows = np.nonzero(w > 0.5)[0]
    mid = int((rows[0] + rows[-1]) // 2)
    crown = float(np.sum(1.0 - w[:mid]))
    chin = float(mid + np.sum(w[mid:]))
    return crown, chin


def measure_center_x(rgba: np.ndarray) -> float:
    """Horizontal centroid of the head weight (the ellipse is symmetric about its centre line)."""
    w = head_weight(rgba)
    xs = np.arange(w.shape[1]) + 0.5
    return float((w.sum(axis=0) * xs).sum() / w.sum())


def measure_eye_y(rgba: np.ndarray) -> float:
    """Vertical centroid of the dark eye discs (searched in the upper 80 % of the head)."""
    rgb = rgba[..., :3].astype(np.float64)
    alpha = rgba[..., 3].astype(np.float64) / 255.0
    darkness = np.clip((SKIN.mean() - rgb.mean(axis=-1)) / (SKIN.mean() - EYE.mean()), 0.0, 1.0) * alpha
    crown, chin = measure_head(rgba)
    darkness[int(crown + 0.8 * (chin - crown)):] = 0.0     # only the upper head: the body is dark too
    ys = np.arange(darkness.shape[0]) + 0.5
    return float((darkness.sum(axis=1) * ys).sum() / darkness.sum())

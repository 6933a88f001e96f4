"""How far the chin and crown measurements can be trusted, each a number in [0, 1] (product of soft factors).

Chin: the mesh's face score; the chin's stability between the mesh passes (a face the model is unsure of moves
between crops); and image evidence along the mesh's jaw line: across the lower jaw, the strongest brightness step
on a line normal to the contour should lie on the contour, not far above or below it.
Crown: the matte must cross 0.5 in most columns over the forehead, at nearly one height, sharply (clear background
above, person below), and above the top of the mesh's face oval (a crown below the forehead is a matting error).
"""

from __future__ import annotations

import cv2
import numpy as np

from idphoto.domain.types import FaceMesh
from idphoto.geometry import mesh_points as mp

LOWER_JAW = (148, 176, 149, 150, 152, 377, 400, 378, 379)
JAW_WINDOW = 0.06        # search ± this share of the head height along each jaw normal
JAW_TOLERANCE = 0.025    # the step counts as "on the contour" within ± this share
_SMOOTH = np.array([0.25, 0.5, 0.25])


def ramp(value: float, lo: float, hi: float) -> float:
    """0 at ``lo``, 1 at ``hi``, linear between (``lo`` > ``hi`` ramps down)."""
    if lo == hi:
        return float(value >= hi)
    return float(np.clip((value - lo) / (hi - lo), 0.0, 1.0))


def _jaw_normals(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = list(mp.JAW)
    centres, normals = [], []
    for index in LOWER_JAW:
        k = order.index(index)
        tangent = points[order[k + 1], :2] - points[order[k - 1], :2]
        normal = np.array([-tangent[1], tangent[0]]) / max(float(np.linalg.norm(tangent)), 1e-9)
        centres.append(points[index, :2])
        normals.append(normal if normal[1] > 0 else -normal)     # pointing down, out of the face
    return np.array(centres), np.array(normals)


def jaw_agreement(grey: np.ndarray, mesh: FaceMesh, head_height: float) -> float:
    """Share of lower-jaw points whose strongest brightness step along the normal lies on the contour."""
    centres, normals = _jaw_normals(mesh.points)
    reach = max(3.0, JAW_WINDOW * head_height)
    steps = np.linspace(-reach, reach, int(2 * reach) + 1)
    hits = 0
    for centre, normal in zip(centres, normals):
        line = centre[None, :] + steps[:, None] * normal[None, :]
        profile = cv2.remap(grey, line[:, 0:1].astype(np.float32), line[:, 1:2].astype(np.float32),
                            cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE).ravel()
        step = np.abs(np.gradient(np.convolve(profile, _SMOOTH, mode="same")))
        step[:2] = step[-2:] = 0.0                       # the smoothing's own edges
        hits += abs(float(steps[int(np.argmax(step))])) <= max(1.5, JAW_TOLERANCE * head_height)
    return hits / len(LOWER_JAW)


def chin_confidence(grey: np.ndarray, mesh: FaceMesh, head_height: float) -> tuple[float, dict[str, float]]:
    factors = {
        "mesh_score": ramp(mesh.score, 0.5, 0.9),
        "stability": ramp(mesh.chin_spread_px / max(head_height, 1.0), 0.06, 0.02),
        "jaw_evidence": ramp(jaw_agreement(grey, mesh, head_height), 0.3, 0.6),
    }
    return float(np.prod(list(factors.values()))), factors


def crown_confidence(band: np.ndarray, tops: list[float], crown_y: float, forehead_y: float,
                     head_height: float) -> tuple[float, dict[str, float]]:
    """``band``: the matte's columns over the forehead; ``tops``: the rows where those columns cross 0.5."""
    columns = band.shape[1] if band.ndim == 2 else 0
    if not tops or columns == 0:
        return 0.0, {"coverage": 0.0}
    h = max(head_height, 1.0)
    q1, q3 = np.percentile(tops, [25, 75])
    above = _band_mean(band, crown_y - 0.04 * h, crown_y - 0.015 * h)
    below = _band_mean(band, crown_y + 0.015 * h, crown_y + 0.04 * h)
    factors = {
        "coverage": ramp(len(tops) / columns, 0.5, 0.8),
        "flatness": ramp((q3 - q1) / h, 0.08, 0.03),
        "sharpness": ramp(below - above, 0.4, 0.7),
        "above_forehead": ramp((forehead_y - crown_y) / h, -0.01, 0.02),
    }
    return float(np.prod(list(factors.values()))), factors


def _band_mean(alpha: np.ndarray, y0: float, y1: float) -> float:
    r0, r1 = int(np.clip(np.floor(y0), 0, alpha.shape[0] - 1)), int(np.clip(np.ceil(y1), 1, alpha.shape[0]))
    return float(alpha[r0:max(r1, r0 + 1)].mean()) if alpha.size else 0.0

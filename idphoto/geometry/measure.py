"""Stage 6, measure: crown, chin, eye line, face centre, pose and their confidence, in region pixels.

Chin = the face mesh's chin point; eye line = the iris model's pupils; crown = the top of the matte over the mesh's
forehead band (between the face-oval points either side of the forehead top). No image heuristic picks a chin.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from idphoto.domain.types import HeadGeometry, Matte, Region
from idphoto.errors import InputError
from idphoto.geometry import mesh_points as mp
from idphoto.geometry.confidence import chin_confidence, crown_confidence
from idphoto.geometry.pose import eye_openness, head_pose, mouth_openness

ALPHA_EDGE = 0.5
MIN_BAND = 0.5           # the crown band is at least this many eye distances wide


def _first_crossing(column: np.ndarray, level: float) -> float | None:
    """Sub-pixel row where alpha first reaches ``level`` going down, or None."""
    hits = np.nonzero(column >= level)[0]
    if hits.size == 0:
        return None
    y = int(hits[0])
    if y == 0:
        return 0.0
    a, b = float(column[y - 1]), float(column[y])
    return y - 1 + (level - a) / max(b - a, 1e-6)


def crown_band(region: Region, eye_distance: float) -> tuple[int, int]:
    """Columns over the forehead: between the mesh's forehead-band points, at least MIN_BAND eye distances."""
    xs = region.mesh.points[list(mp.FOREHEAD_BAND), 0]
    centre, half = float(xs.mean()), max(float(abs(xs[1] - xs[0])) / 2, MIN_BAND * eye_distance / 2)
    width = region.image.shape[1]
    return int(max(0, round(centre - half))), int(min(width, round(centre + half)))


def find_crown(alpha: np.ndarray, valid: np.ndarray, band: tuple[int, int], forehead_y: float
               ) -> tuple[float, bool, list[float]]:
    """Top of the head (row) over ``band``, whether it touches the top of the photo, and each column's top."""
    x0, x1 = band
    top = int(max(1, math.floor(forehead_y)))
    tops: list[float] = []
    at_edge = False
    for x in range(x0, x1):
        inside = valid[:top, x]
        crossing = _first_crossing(np.where(inside, alpha[:top, x], 0.0), ALPHA_EDGE)
        if crossing is None:
            continue
        tops.append(crossing)
        if inside.any() and alpha[int(np.argmax(inside)), x] >= ALPHA_EDGE:
            at_edge = True
    if not tops:
        return 0.0, True, tops
    # A robust "highest" point: the 10th percentile ignores a stray strand or a speck in the matte.
    return float(np.percentile(tops, 10)), at_edge, tops


def measure_head(region: Region, matte: Matte) -> HeadGeometry:
    mesh = region.mesh
    if mesh is None:
        raise InputError("the region carries no face mesh: the face service did not run the mesh model")
    left, right = region.face.landmarks[0], region.face.landmarks[1]
    eye_distance = float(np.linalg.norm(right - left))
    eye_y = float((left[1] + right[1]) / 2)
    mouth = mesh.points[list(mp.MOUTH_CORNERS), :2].mean(axis=0)
    center_x = float(((left[0] + right[0]) / 2 + mouth[0]) / 2)
    chin_y = float(mesh.points[mp.CHIN, 1])
    forehead_y = float(mesh.points[mp.FOREHEAD_TOP, 1])
    band = crown_band(region, eye_distance)
    crown_y, at_edge, tops = find_crown(matte.alpha, region.valid, band, forehead_y)
    head_height = chin_y - crown_y
    grey = cv2.cvtColor(region.image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    chin_conf, _ = chin_confidence(grey, mesh, head_height)
    crown_conf, _ = crown_confidence(matte.alpha[:, band[0]:band[1]], tops, crown_y, forehead_y, head_height)
    pose = head_pose(mesh)
    box = region.face.box
    return HeadGeometry(
        crown_y=crown_y, chin_y=chin_y, eye_y=eye_y, center_x=center_x,
        left_pupil=(float(left[0]), float(left[1])), right_pupil=(float(right[0]), float(right[1])),
        residual_roll_deg=pose.roll_deg, face_box=tuple(float(v) for v in box), crown_at_edge=at_edge,
        yaw_deg=pose.yaw_deg, pitch_deg=pose.pitch_deg, eye_openness=eye_openness(mesh),
        mouth_openness=mouth_openness(mesh), mesh_score=mesh.score, chin_confidence=0.0 if at_edge else chin_conf,
        crown_confidence=0.0 if at_edge else crown_conf)

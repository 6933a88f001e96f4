"""Stage 6, measure: crown, chin, eye line and face centre in region pixels, from landmarks and the matte."""

from __future__ import annotations

import math

import numpy as np

from idphoto.types import HeadGeometry, Matte, Region
from services.face.chin import estimate_chin
from services.face.pupils import locate_pupil

CROWN_BAND = 0.45        # half-width of the column band searched for the top of the hair, in eye distances
ALPHA_EDGE = 0.5


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


def find_crown(alpha: np.ndarray, valid: np.ndarray, center_x: float, eye_y: float, eye_distance: float
               ) -> tuple[float, bool]:
    """Top of the head (row) in the band over the face, and whether it touches the top of the photo."""
    x0 = int(max(0, round(center_x - CROWN_BAND * eye_distance)))
    x1 = int(min(alpha.shape[1], round(center_x + CROWN_BAND * eye_distance)))
    top = int(max(1, math.floor(eye_y)))
    tops: list[float] = []
    at_edge = False
    for x in range(x0, x1):
        column = np.where(valid[:top, x], alpha[:top, x], 0.0)
        crossing = _first_crossing(column, ALPHA_EDGE)
        if crossing is None:
            continue
        tops.append(crossing)
        first_valid = int(np.argmax(valid[:top, x])) if valid[:top, x].any() else top
        if alpha[first_valid, x] >= ALPHA_EDGE and valid[:top, x].any():
            at_edge = True
    if not tops:
        return float(eye_y - 2.0 * eye_distance), True
    # A robust "highest" point: the 10th percentile ignores a stray strand or a speck in the matte.
    return float(np.percentile(tops, 10)), at_edge


def residual_roll(region: Region, left: np.ndarray, right: np.ndarray, eye_distance: float) -> float:
    """Roll left in the levelled region, re-measured: both pupils located again in the region's own pixels (not
    the rotation's prediction, which is zero by construction)."""
    new_left = np.array(locate_pupil(region.image, left, eye_distance))
    new_right = np.array(locate_pupil(region.image, right, eye_distance))
    return math.degrees(math.atan2(float(new_right[1] - new_left[1]), float(new_right[0] - new_left[0])))


def measure_head(region: Region, matte: Matte) -> HeadGeometry:
    marks = region.face.landmarks
    left, right = marks[0], marks[1]
    eye_distance = float(np.linalg.norm(right - left))
    eye_y = float((left[1] + right[1]) / 2)
    mouth_y = float((marks[3][1] + marks[4][1]) / 2)
    center_x = float(((left[0] + right[0]) / 2 + (marks[3][0] + marks[4][0]) / 2) / 2)
    crown_y, at_edge = find_crown(matte.alpha, region.valid, center_x, eye_y, eye_distance)
    chin = estimate_chin(region.image, eye_y, mouth_y, center_x, eye_distance)
    roll = residual_roll(region, left, right, eye_distance)
    box = region.face.box
    return HeadGeometry(crown_y=crown_y, chin_y=chin.y, eye_y=eye_y, center_x=center_x,
                        left_pupil=(float(left[0]), float(left[1])), right_pupil=(float(right[0]), float(right[1])),
                        residual_roll_deg=roll, face_box=tuple(float(v) for v in box), crown_at_edge=at_edge)

"""Stage 3, align: measure roll from the pupils and level the eye line.

MTCNN's eye points give a first angle; each pupil is then located in a window levelled by the current angle, and
the angle is re-measured from the refined pupils. Two rounds settle it (the second moves it by hundredths of a
degree on the sample).
"""

from __future__ import annotations

import math

import numpy as np

from idphoto.types import Alignment, Face
from services.face.pupils import locate_pupil

REFINE_ROUNDS = 2


def eye_line_angle(left: np.ndarray, right: np.ndarray) -> float:
    """Roll in degrees: positive when the right-hand eye (larger x) sits lower in the image."""
    return math.degrees(math.atan2(float(right[1] - left[1]), float(right[0] - left[0])))


def refine_pupils(rgb: np.ndarray, face: Face, rounds: int = REFINE_ROUNDS) -> tuple[np.ndarray, np.ndarray]:
    left, right = face.landmarks[0].astype(np.float64), face.landmarks[1].astype(np.float64)
    for _ in range(rounds):
        angle = eye_line_angle(left, right)
        distance = float(np.linalg.norm(right - left))
        new_left = np.array(locate_pupil(rgb, left, distance, angle))
        new_right = np.array(locate_pupil(rgb, right, distance, angle))
        # A refined point that wandered beyond a fifth of the eye distance is a failure, not a refinement.
        if np.linalg.norm(new_left - face.landmarks[0]) < 0.2 * distance:
            left = new_left
        if np.linalg.norm(new_right - face.landmarks[1]) < 0.2 * distance:
            right = new_right
    return left, right


def align(rgb: np.ndarray, face: Face) -> Alignment:
    """The rotation that levels the refined eye line, about the midpoint between the pupils."""
    left, right = refine_pupils(rgb, face)
    center = (left + right) / 2.0
    return Alignment(angle_deg=eye_line_angle(left, right), center=(float(center[0]), float(center[1])),
                     left_pupil=(float(left[0]), float(left[1])), right_pupil=(float(right[0]), float(right[1])))

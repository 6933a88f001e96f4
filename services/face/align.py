"""Stage 3b, align: level the eye line through the pupils the iris model found.

On the sample the iris model's pupils are 0.4 and 0.6 px from the marks, where the earlier gradient-voting
refinement was 0.8 px (docs/performance.md); so the iris points are the pupils, and the roll is measured from them.
"""

from __future__ import annotations

import math

import numpy as np

from idphoto.domain.types import Alignment


def eye_line_angle(left: np.ndarray, right: np.ndarray) -> float:
    """Roll in degrees: positive when the right-hand eye (larger x) sits lower in the image."""
    return math.degrees(math.atan2(float(right[1] - left[1]), float(right[0] - left[0])))


def align(left: np.ndarray, right: np.ndarray) -> Alignment:
    """The rotation that levels the pupils' line, about their midpoint."""
    center = (np.asarray(left, np.float64) + np.asarray(right, np.float64)) / 2.0
    return Alignment(angle_deg=eye_line_angle(left, right), center=(float(center[0]), float(center[1])),
                     left_pupil=(float(left[0]), float(left[1])), right_pupil=(float(right[0]), float(right[1])))

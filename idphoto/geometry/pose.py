"""Head pose and expression from a face mesh (pure geometry over its 3D points; no image, no model).

* Left-right axis: the mean difference of bilaterally symmetric point pairs. It needs no reference face: in any
  face the pairs differ along that axis. Yaw is its turn out of the image plane, roll its tilt in the image.
* Pitch: ICAO/ISO 19794-5 measure it against the Frankfurt horizontal (ear to lower orbit). The mesh has no ear
  canal or orbit-rim point, so the line runs from the face oval at the ears to the lower eyelids, and its angle
  in the head's mid-plane is taken against the view direction. The landmarks sit a few millimetres off the true
  ones, which tilts the line by a constant: ``PITCH_NEUTRAL_DEG`` is the median of that raw angle over the 97
  faces the mesh accepts in scikit-image's ``lfw_subset`` (news photos of 98 different people, by and large
  looking into the camera; see ``scripts/calibrate_pitch.py``, and a test re-measures it).
* Eyes: eye aspect ratio, the mean lid gap over the eye's corner distance (about 0.25–0.35 open, < 0.1 shut).
* Mouth: inner-lip gap over the mouth's corner distance (0 closed; a smile with teeth shows ~0.1–0.3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from idphoto.domain.types import FaceMesh
from idphoto.geometry import mesh_points as mp

PITCH_NEUTRAL_DEG = -12.1


@dataclass(frozen=True)
class HeadPose:
    yaw_deg: float      # positive: the face turned towards the image's right
    pitch_deg: float    # positive: the chin lowered (face tilted down)
    roll_deg: float     # positive: the right-hand eye lower


def _lateral_axis(points: np.ndarray) -> np.ndarray:
    pairs = np.array(mp.SYMMETRIC_PAIRS)
    axis = (points[pairs[:, 1]] - points[pairs[:, 0]]).mean(axis=0)
    return axis / max(float(np.linalg.norm(axis)), 1e-9)


def head_pose(mesh: FaceMesh) -> HeadPose:
    p = mesh.points
    lateral = _lateral_axis(p)
    yaw = math.degrees(math.atan2(float(lateral[2]), float(lateral[0])))
    roll = math.degrees(math.atan2(float(lateral[1]), math.hypot(float(lateral[0]), float(lateral[2]))))
    line = p[[mp.LEFT_EYE_LIDS[1][1], mp.RIGHT_EYE_LIDS[1][1]]].mean(axis=0) - p[list(mp.EAR_LEVEL)].mean(axis=0)
    line = line - float(np.dot(line, lateral)) * lateral            # into the head's mid-plane
    raw = math.degrees(math.atan2(float(line[1]), -float(line[2])))
    return HeadPose(yaw_deg=yaw, pitch_deg=raw - PITCH_NEUTRAL_DEG, roll_deg=roll)


def raw_pitch_deg(mesh: FaceMesh) -> float:
    """The Frankfurt-line angle before the neutral offset (what the calibration takes the median of)."""
    return head_pose(mesh).pitch_deg + PITCH_NEUTRAL_DEG


def _opening(points: np.ndarray, pairs: tuple[tuple[int, int], ...], corners: tuple[int, int]) -> float:
    gaps = [float(np.linalg.norm(points[u, :2] - points[d, :2])) for u, d in pairs]
    width = float(np.linalg.norm(points[corners[0], :2] - points[corners[1], :2]))
    return float(np.mean(gaps)) / max(width, 1e-9)


def eye_openness(mesh: FaceMesh) -> float:
    """The smaller of the two eye aspect ratios."""
    return min(_opening(mesh.points, mp.LEFT_EYE_LIDS, mp.LEFT_EYE_CORNERS),
               _opening(mesh.points, mp.RIGHT_EYE_LIDS, mp.RIGHT_EYE_CORNERS))


def mouth_openness(mesh: FaceMesh) -> float:
    return _opening(mesh.points, mp.INNER_LIPS, mp.MOUTH_CORNERS)

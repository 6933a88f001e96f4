"""Stage 4, region: a levelled head-and-shoulders window cut from the source with ONE affine warp.

The window is measured in eye distances d around the pupils' midpoint, generous enough for every spec in the
catalogue (the tallest, Canada's 50×70 mm, needs about 5.3 d below the eyes). Very large photos are scaled so the
eye distance is at most ``max_eye_distance`` px: plenty for a 300 DPI passport head, and it bounds matting cost.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from idphoto.domain.types import Alignment, Face, FaceMesh, Region, apply_affine


@dataclass(frozen=True)
class RegionSettings:
    half_width: float = 4.0       # in eye distances, each side of the eye midpoint
    above: float = 3.6            # above the eye line
    below: float = 6.5            # below the eye line
    max_eye_distance: float = 150.0


def region_matrix(alignment: Alignment, eye_distance: float, settings: RegionSettings
                  ) -> tuple[np.ndarray, tuple[int, int]]:
    """Source→region affine (rotate about the eye midpoint, scale, translate) and the region size (w, h)."""
    scale = min(1.0, settings.max_eye_distance / eye_distance)
    d = eye_distance * scale
    width, height = int(round(2 * settings.half_width * d)), int(round((settings.above + settings.below) * d))
    m = cv2.getRotationMatrix2D(alignment.center, alignment.angle_deg, scale)
    m[0, 2] += settings.half_width * d - alignment.center[0]
    m[1, 2] += settings.above * d - alignment.center[1]
    return m, (width, height)


def _prefilter(rgb: np.ndarray, matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For strong downscaling, shrink the source with area averaging first (a bilinear warp would alias)."""
    scale = float(np.hypot(matrix[0, 0], matrix[0, 1]))
    if scale >= 0.5:
        return rgb, matrix
    factor = 2.0 * scale
    small = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    sx, sy = small.shape[1] / rgb.shape[1], small.shape[0] / rgb.shape[0]
    pre = np.array([[sx, 0, 0], [0, sy, 0], [0, 0, 1]], dtype=np.float64)
    adjusted = np.vstack([matrix, [0, 0, 1]]) @ np.linalg.inv(pre)
    return small, adjusted[:2]


def cut_region(rgb: np.ndarray, face: Face, alignment: Alignment,
               settings: RegionSettings = RegionSettings(), mesh: FaceMesh | None = None) -> Region:
    """The levelled window (pixels outside the photo replicate its edge and are marked invalid)."""
    pupils = np.array([alignment.left_pupil, alignment.right_pupil])
    eye_distance = float(np.linalg.norm(pupils[1] - pupils[0]))
    matrix, size = region_matrix(alignment, eye_distance, settings)
    source, warp = _prefilter(rgb, matrix)
    image = cv2.warpAffine(source, warp, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    ones = np.ones(source.shape[:2], dtype=np.uint8)
    valid = cv2.warpAffine(ones, warp, size, flags=cv2.INTER_NEAREST, borderValue=0).astype(bool)
    region_face = face.transformed(matrix)
    region_face.landmarks[0:2] = apply_affine(matrix, pupils)
    return Region(image=image, valid=valid, matrix=matrix, face=region_face,
                  mesh=None if mesh is None else mesh.transformed(matrix))

"""Geometric variants of the astronaut paired with the matrix that carries the ground truth along
(thin wrappers over tests.support.variants, which builds the images)."""

from __future__ import annotations

import numpy as np

from tests.support import variants


def rotated(angle_deg: float, canvas: tuple[int, int] = (900, 800)) -> tuple[np.ndarray, np.ndarray]:
    """(image, 2x3 matrix astronaut→image); positive angle = counter-clockwise on screen, as OpenCV."""
    return variants.rotated_canvas(angle_deg, canvas), variants.rotated_canvas_matrix(angle_deg, canvas)


def scaled(factor: float) -> tuple[np.ndarray, np.ndarray]:
    image = variants.scaled(factor)
    f = image.shape[1] / 512.0
    # cv2.resize aligns pixel centres: x' = (x + 0.5) * f - 0.5
    return image, np.array([[f, 0, 0.5 * f - 0.5], [0, f, 0.5 * f - 0.5]])


def relit(gain: float, gamma: float) -> np.ndarray:
    return variants.lighting(gain, gamma)


def mapped(matrix: np.ndarray, point) -> np.ndarray:
    return np.asarray(matrix)[:, :2] @ np.asarray(point, dtype=float) + np.asarray(matrix)[:, 2]

"""Synthetic geometric variants of the astronaut with their ground truth transformed alongside."""

from __future__ import annotations

import cv2
import numpy as np

from tests.support.images import astronaut


def place(matrix: np.ndarray, canvas: tuple[int, int], fill=(200, 200, 200)) -> np.ndarray:
    return cv2.warpAffine(astronaut(), matrix, canvas, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=fill)


def rotated(angle_deg: float, canvas: tuple[int, int] = (900, 800)) -> tuple[np.ndarray, np.ndarray]:
    """The astronaut rotated by ``angle_deg`` (OpenCV sign: positive = counter-clockwise on screen), centred in
    a larger grey canvas. Returns (image, 2x3 matrix astronaut→image)."""
    m = cv2.getRotationMatrix2D((255.5, 255.5), angle_deg, 1.0)
    m[0, 2] += canvas[0] / 2 - 256
    m[1, 2] += canvas[1] / 2 - 256
    return place(m, canvas), m


def scaled(factor: float) -> tuple[np.ndarray, np.ndarray]:
    size = int(round(512 * factor))
    # pixel-centre convention: x' = (x + 0.5) * f - 0.5
    m = np.array([[factor, 0, 0.5 * factor - 0.5], [0, factor, 0.5 * factor - 0.5]])
    return place(m, (size, size)), m


def relit(gain: float, gamma: float) -> np.ndarray:
    img = astronaut().astype(np.float64) / 255.0
    return np.clip(255.0 * gain * img ** gamma, 0, 255).astype(np.uint8)


def mapped(matrix: np.ndarray, point) -> np.ndarray:
    return np.asarray(matrix)[:, :2] @ np.asarray(point, dtype=float) + np.asarray(matrix)[:, 2]

"""A turned head made in code: the astronaut's face re-rendered with its own face mesh rotated in 3D.

The mesh (468 points with depth) is triangulated in the image; every triangle is moved where the rotated,
orthographically projected mesh puts it (one affine warp per triangle, far triangles first so near ones cover
them). Hair, neck and background stay where they were. It is a crude render, but the nose, eyes and jaw move
the way they do when a head turns, which a flat warp of the photo does not show a landmark model.
"""

from __future__ import annotations

import math

import cv2
import numpy as np


def rotation(yaw_deg: float = 0.0, pitch_deg: float = 0.0) -> np.ndarray:
    """3x3 rotation in image axes (x right, y down, z away from the camera): yaw about y, then pitch about x."""
    y, p = math.radians(yaw_deg), math.radians(pitch_deg)
    ry = np.array([[math.cos(y), 0, -math.sin(y)], [0, 1, 0], [math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    return rx @ ry


def rotate_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    centre = points.mean(axis=0)
    return (points - centre) @ matrix.T + centre


def _triangles(xy: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    subdiv = cv2.Subdiv2D((0, 0, shape[1], shape[0]))
    for x, y in xy:
        subdiv.insert((float(x), float(y)))
    lookup = {(round(float(x), 3), round(float(y), 3)): i for i, (x, y) in enumerate(xy)}
    triangles = []
    for t in subdiv.getTriangleList():
        key = [(round(float(t[k]), 3), round(float(t[k + 1]), 3)) for k in (0, 2, 4)]
        if all(k in lookup for k in key):
            triangles.append([lookup[k] for k in key])
    return np.array(triangles)


def turned_head(rgb: np.ndarray, points: np.ndarray, yaw_deg: float = 0.0, pitch_deg: float = 0.0) -> np.ndarray:
    """``rgb`` with the face under ``points`` (its mesh, image pixels) turned by ``yaw_deg`` / ``pitch_deg``."""
    moved = rotate_points(points, rotation(yaw_deg, pitch_deg))
    triangles = _triangles(points[:, :2].astype(np.float32), rgb.shape[:2])
    out = rgb.copy()
    order = np.argsort(-moved[triangles].mean(axis=1)[:, 2])           # far (large z) first
    for tri in triangles[order]:
        src, dst = points[tri, :2].astype(np.float32), moved[tri, :2].astype(np.float32)
        x, y, w, h = cv2.boundingRect(dst)
        if w < 1 or h < 1:
            continue
        m = cv2.getAffineTransform(src, dst - np.float32([x, y]))
        patch = cv2.warpAffine(rgb, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillConvexPoly(mask, np.rint(dst - np.float32([x, y])).astype(np.int32), 1)
        y0, y1, x0, x1 = max(y, 0), min(y + h, rgb.shape[0]), max(x, 0), min(x + w, rgb.shape[1])
        sub = mask[y0 - y:y1 - y, x0 - x:x1 - x].astype(bool)
        out[y0:y1, x0:x1][sub] = patch[y0 - y:y1 - y, x0 - x:x1 - x][sub]
    return out

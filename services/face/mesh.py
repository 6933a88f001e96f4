"""Stage 3a, mesh: MediaPipe Face Mesh (468 points) and Iris on the chosen face, run with LiteRT.

The mesh model wants a square, levelled crop of the face with margin (its model card: the detection box enlarged
1.5×, rotated so the eyes are level, 192×192 RGB in [0, 1]). Pass 1 crops from the MTCNN box and eye points; pass 2
re-crops from pass 1's own points, as MediaPipe's tracking does; pass 3 crops the same centre tighter. The chin's
displacement between passes 2 and 3 is kept as a stability measure (a face the model is unsure of moves between
crops), and the mesh is their mean.
The iris model wants a 64×64 crop around each eye (2.3× the corner distance, levelled on the corners); it was
trained on one eye side, so the other is mirrored in and out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from idphoto.domain.types import Face, FaceMesh
from idphoto.geometry import mesh_points as mp
from idphoto.models.litert import TfliteModel
from idphoto.models.store import model_path

MESH_SIZE = 192
IRIS_SIZE = 64


@dataclass(frozen=True)
class MeshSettings:
    roi_scale: float = 1.5          # crop side / face extent (the model card's margin)
    tight_scale: float = 1.3        # pass 3: the same centre, tighter
    iris_scale: float = 2.3         # eye crop side / eye-corner distance


def crop_matrix(center: np.ndarray, side: float, angle_deg: float, out: int) -> np.ndarray:
    """Source→crop affine: rotate by ``angle_deg`` about ``center``, scale ``side`` to ``out`` px, centre it."""
    m = cv2.getRotationMatrix2D((float(center[0]), float(center[1])), angle_deg, out / side)
    m[0, 2] += out / 2 - center[0]
    m[1, 2] += out / 2 - center[1]
    return m


def _angle(a: np.ndarray, b: np.ndarray) -> float:
    return math.degrees(math.atan2(float(b[1] - a[1]), float(b[0] - a[0])))


def _warp(rgb: np.ndarray, matrix: np.ndarray, out: int) -> np.ndarray:
    crop = cv2.warpAffine(rgb, matrix, (out, out), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return crop.astype(np.float32) * np.float32(1.0 / 255.0)


def _to_source(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    inv = cv2.invertAffineTransform(matrix)
    return points[:, :2].astype(np.float64) @ inv[:, :2].T + inv[:, 2]


class MeshModel:
    """The Face Mesh and Iris models of one process; ``fit`` is safe from several threads (calls serialise)."""

    def __init__(self, model_dir: Path | None = None, settings: MeshSettings = MeshSettings()) -> None:
        self.settings = settings
        self.mesh = TfliteModel(model_path("face-mesh", model_dir))
        self.iris = TfliteModel(model_path("iris-landmark", model_dir))

    @property
    def calls(self) -> int:
        return self.mesh.calls

    def warmup(self) -> None:
        self.mesh.run(np.zeros((MESH_SIZE, MESH_SIZE, 3), np.float32))
        self.iris.run(np.zeros((IRIS_SIZE, IRIS_SIZE, 3), np.float32))

    def _pass(self, rgb: np.ndarray, center: np.ndarray, side: float, angle: float) -> tuple[np.ndarray, float]:
        matrix = crop_matrix(center, side, angle, MESH_SIZE)
        raw, flag = self.mesh.run(_warp(rgb, matrix, MESH_SIZE))
        raw = raw.reshape(468, 3)
        z = raw[:, 2].astype(np.float64) * side / MESH_SIZE
        score = 1.0 / (1.0 + math.exp(-float(np.clip(flag.ravel()[0], -50, 50))))
        return np.column_stack([_to_source(raw, matrix), z]), score

    def fit(self, rgb: np.ndarray, face: Face) -> FaceMesh:
        """The mesh of ``face`` in ``rgb``'s pixels."""
        box = face.box
        first, _ = self._pass(rgb, np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]),
                              max(face.width, face.height) * self.settings.roi_scale,
                              _angle(face.landmarks[0], face.landmarks[1]))
        lo, hi = first[:, :2].min(axis=0), first[:, :2].max(axis=0)
        center, extent = (lo + hi) / 2, float((hi - lo).max())
        angle = _angle(first[mp.LEFT_EYE_CORNERS[0]], first[mp.RIGHT_EYE_CORNERS[1]])
        wide, score = self._pass(rgb, center, extent * self.settings.roi_scale, angle)
        tight, tight_score = self._pass(rgb, center, extent * self.settings.tight_scale, angle)
        spread = float(np.linalg.norm(wide[mp.CHIN, :2] - tight[mp.CHIN, :2]))
        return FaceMesh(points=(wide + tight) / 2, score=min(score, tight_score), chin_spread_px=spread)

    def _iris_center(self, rgb: np.ndarray, corners: tuple[np.ndarray, np.ndarray], mirror: bool) -> np.ndarray:
        a, b = corners
        matrix = crop_matrix((a + b) / 2, float(np.linalg.norm(b - a)) * self.settings.iris_scale, _angle(a, b),
                             IRIS_SIZE)
        if mirror:
            matrix = np.array([[-1.0, 0.0, IRIS_SIZE], [0.0, 1.0, 0.0]]) @ np.vstack([matrix, [0, 0, 1]])
        _, iris = self.iris.run(_warp(rgb, matrix, IRIS_SIZE))
        return _to_source(iris.reshape(5, 3)[:1], matrix)[0]

    def pupils(self, rgb: np.ndarray, mesh: FaceMesh) -> tuple[np.ndarray, np.ndarray]:
        """Both pupil centres (iris model); a centre outside its eye's corners falls back to the eye's middle."""
        result = []
        for corners, mirror in ((mp.LEFT_EYE_CORNERS, True), (mp.RIGHT_EYE_CORNERS, False)):
            a, b = mesh.points[corners[0], :2], mesh.points[corners[1], :2]
            center = self._iris_center(rgb, (a, b), mirror)
            middle = (a + b) / 2
            result.append(center if np.linalg.norm(center - middle) < 0.5 * np.linalg.norm(b - a) else middle)
        return result[0], result[1]

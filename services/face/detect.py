"""Stage 2, detect: faces on a working-resolution copy, mapped back to full resolution; the face policy."""

from __future__ import annotations

import numpy as np

from idphoto.domain.types import Face
from idphoto.errors import MultipleFacesError, NoFaceError
from idphoto.imageio.decode import working_copy
from services.face.config import FaceConfig
from services.face.mtcnn import MTCNN


def detect_faces(detector: MTCNN, rgb: np.ndarray, config: FaceConfig = FaceConfig()) -> list[Face]:
    """Confident faces in full-resolution pixels, largest first."""
    small, scale = working_copy(rgb, config.detect_max_side)
    min_face = max(20, int(config.min_face_share * min(small.shape[:2])))
    faces = [f for f in detector.detect(small, min_face=min_face) if f.score >= config.min_score]
    if scale != 1.0:
        faces = [Face(box=f.box / scale, score=f.score, landmarks=f.landmarks / scale) for f in faces]
    return faces


def comparable_faces(faces: list[Face], config: FaceConfig = FaceConfig()) -> list[Face]:
    """Faces big enough next to the largest to count as another person (not a face on a badge or poster)."""
    if not faces:
        return []
    return [f for f in faces if f.width >= config.secondary_face_ratio * faces[0].width]


def choose_face(faces: list[Face], config: FaceConfig = FaceConfig()) -> Face:
    """Apply the policy: none → NoFaceError; several comparable faces → MultipleFacesError unless 'largest'."""
    if not faces:
        raise NoFaceError()
    comparable = comparable_faces(faces, config)
    if len(comparable) > 1 and config.multiple_faces == "error":
        raise MultipleFacesError(f"{len(comparable)} faces found; crop the photo to one person or use the "
                                 "'largest' policy", face_count=len(comparable))
    return faces[0]


def count_faces(faces: list[Face], config: FaceConfig = FaceConfig()) -> int:
    return len(comparable_faces(faces, config))

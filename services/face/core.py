"""The face service's transport-free core: detect → choose → align, models loaded once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from idphoto.models.runtime import RuntimeOptions
from idphoto.types import Alignment, Face
from services.face.align import align
from services.face.config import FaceConfig
from services.face.detect import choose_face, count_faces, detect_faces
from services.face.mtcnn import MTCNN


@dataclass
class FaceAnalysis:
    face: Face                 # full-resolution pixels; eye landmarks are MTCNN's, pupils are in alignment
    face_count: int
    alignment: Alignment


class FaceCore:
    def __init__(self, config: FaceConfig = FaceConfig(), model_dir: Path | None = None) -> None:
        self.config = config
        runtime = RuntimeOptions(providers=config.providers, intra_op_threads=config.intra_op_threads)
        self.detector = MTCNN(model_dir, runtime)

    def warmup(self) -> None:
        self.detector.warmup()

    @property
    def calls(self) -> int:
        return self.detector.calls

    def analyze(self, rgb: np.ndarray) -> FaceAnalysis:
        faces = detect_faces(self.detector, rgb, self.config)
        face = choose_face(faces, self.config)
        return FaceAnalysis(face=face, face_count=count_faces(faces, self.config), alignment=align(rgb, face))

"""The face service's transport-free core: detect (MTCNN) → choose → mesh + iris (MediaPipe) → align, models
loaded once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from idphoto.domain.face import FaceAnalysis
from idphoto.errors import InvalidOptionError
from idphoto.models.runtime import RuntimeOptions
from services.face.align import align
from services.face.config import FaceConfig
from services.face.detect import choose_face, count_faces, detect_faces
from services.face.mesh import MeshModel
from services.face.mtcnn import MTCNN

POLICIES = ("error", "largest")


class FaceCore:
    def __init__(self, config: FaceConfig = FaceConfig(), model_dir: Path | None = None) -> None:
        self.config = config
        runtime = RuntimeOptions(providers=config.providers, intra_op_threads=config.intra_op_threads)
        self.detector = MTCNN(model_dir, runtime)
        self.mesh = MeshModel(model_dir)

    def warmup(self) -> None:
        self.detector.warmup()
        self.mesh.warmup()

    @property
    def calls(self) -> int:
        return self.detector.calls

    def analyze(self, rgb: np.ndarray, policy: str = "") -> FaceAnalysis:
        """Detect, apply the face policy (``policy`` overrides the configured one: "error" or "largest"), align.
        Safe to call from several threads at once."""
        if policy and policy not in POLICIES:
            raise InvalidOptionError(f"policy must be one of {', '.join(POLICIES)}, not {policy!r}",
                                     option="policy", value=policy)
        config = replace(self.config, multiple_faces=policy) if policy else self.config
        faces = detect_faces(self.detector, rgb, config)
        face = choose_face(faces, config)
        mesh = self.mesh.fit(rgb, face)
        left, right = self.mesh.pupils(rgb, mesh)
        return FaceAnalysis(face=face, face_count=count_faces(faces, config), alignment=align(left, right),
                            faces=faces, mesh=mesh)

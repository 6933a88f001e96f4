"""The face service's transport-free core: detect (MTCNN) → choose → mesh + iris (MediaPipe) → align, models
loaded once."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from idphoto.domain.types import Alignment, Face, FaceMesh, apply_affine
from idphoto.errors import InvalidOptionError
from idphoto.models.runtime import RuntimeOptions
from services.face.align import align
from services.face.config import FaceConfig
from services.face.detect import choose_face, count_faces, detect_faces
from services.face.mesh import MeshModel
from services.face.mtcnn import MTCNN

POLICIES = ("error", "largest")


@dataclass
class FaceAnalysis:
    face: Face                 # full-resolution pixels; eye landmarks are MTCNN's, pupils are in alignment
    face_count: int
    alignment: Alignment
    faces: list[Face] = field(default_factory=list)     # every confident face, largest first
    mesh: FaceMesh | None = None                        # the chosen face's mesh, full-resolution pixels

    def rescaled(self, kx: float, ky: float) -> FaceAnalysis:
        """This analysis in the pixels of an image ``kx``×``ky`` times larger (pixel-centre convention)."""
        m = np.array([[kx, 0.0, 0.5 * kx - 0.5], [0.0, ky, 0.5 * ky - 0.5]])

        def point(p):
            x, y = apply_affine(m, np.asarray(p))[0]
            return (float(x), float(y))

        a = self.alignment
        alignment = Alignment(angle_deg=a.angle_deg, center=point(a.center), left_pupil=point(a.left_pupil),
                              right_pupil=point(a.right_pupil))
        return FaceAnalysis(face=self.face.transformed(m), face_count=self.face_count, alignment=alignment,
                            faces=[f.transformed(m) for f in self.faces],
                            mesh=None if self.mesh is None else self.mesh.transformed(m))


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

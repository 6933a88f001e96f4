"""The face analysis the face service returns and Stage A consumes: the chosen face, how many there were, the
eye-levelling alignment and the dense mesh — all in full-resolution pixels."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from idphoto.domain.types import Alignment, Face, FaceMesh, apply_affine


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

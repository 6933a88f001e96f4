"""Re-measure the face mesh's neutral pitch (``idphoto.geometry.pose.PITCH_NEUTRAL_DEG``) over many people.

The Frankfurt line the pose module draws runs between mesh points a few millimetres off the anatomical ones, so a
level head reads a constant angle. This takes the median of that raw angle over the faces of scikit-image's
``lfw_subset`` (100 grey 25×25 crops of news photos of different people, shipped inside scikit-image; faces the
mesh scores below 0.9 are left out). News portraits are, by and large, taken at eye level: the median of many people
is the neutral, where one face would carry its own tilt.

    python -m scripts.calibrate_pitch
"""

from __future__ import annotations

import cv2
import numpy as np

from idphoto.domain.types import Face
from idphoto.geometry.pose import PITCH_NEUTRAL_DEG, raw_pitch_deg
from services.face.mesh import MeshModel

UPSCALE = 200          # the 25 px crops are enlarged to this, then padded: the face fills the middle third
PAD = 100


def lfw_faces() -> list[np.ndarray]:
    from skimage import data

    return [np.asarray(face) for face in data.lfw_subset()[:100]]     # the first 100 are faces


def face_frame(grey: np.ndarray) -> tuple[np.ndarray, Face]:
    """One crop as an RGB frame and a face box around it, as the detector would give."""
    grey8 = np.clip(np.rint(grey * 255.0 if grey.max() <= 1.0 else grey), 0, 255).astype(np.uint8)
    big = cv2.resize(grey8, (UPSCALE, UPSCALE), interpolation=cv2.INTER_CUBIC)
    rgb = cv2.copyMakeBorder(cv2.cvtColor(big, cv2.COLOR_GRAY2RGB), PAD, PAD, PAD, PAD, cv2.BORDER_REPLICATE)
    lo, hi = PAD, PAD + UPSCALE
    landmarks = np.array([[lo + 0.3 * UPSCALE, lo + 0.4 * UPSCALE], [lo + 0.7 * UPSCALE, lo + 0.4 * UPSCALE],
                          [lo + 0.5 * UPSCALE] * 2, [lo + 0.35 * UPSCALE, lo + 0.75 * UPSCALE],
                          [lo + 0.65 * UPSCALE, lo + 0.75 * UPSCALE]])
    return rgb, Face(box=np.array([lo, lo, hi, hi], dtype=np.float64), score=1.0, landmarks=landmarks)


def raw_pitches(model: MeshModel, min_score: float = 0.9) -> list[float]:
    pitches = []
    for grey in lfw_faces():
        rgb, face = face_frame(grey)
        mesh = model.fit(rgb, face)
        if mesh.score >= min_score:
            pitches.append(raw_pitch_deg(mesh))
    return pitches


def main() -> None:
    model = MeshModel()
    pitches = raw_pitches(model)
    q1, median, q3 = np.percentile(pitches, [25, 50, 75])
    print(f"{len(pitches)} faces: raw pitch median {median:.2f}° (quartiles {q1:.1f}°, {q3:.1f}°); "
          f"PITCH_NEUTRAL_DEG is {PITCH_NEUTRAL_DEG}°")


if __name__ == "__main__":
    main()

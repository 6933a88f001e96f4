"""Data passed between pipeline stages. Arrays are numpy; coordinates are (x, y) floats in pixels.

Conventions: images are HxWx3 uint8 RGB; alpha is HxW float32 in [0, 1]; "left eye" is the eye with the smaller
x in the image (the person's right eye).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@dataclass
class Face:
    """One detected face: box (x0, y0, x1, y1), confidence and 5 landmarks (LANDMARK_NAMES order)."""

    box: np.ndarray
    score: float
    landmarks: np.ndarray

    @property
    def width(self) -> float:
        return float(self.box[2] - self.box[0])

    @property
    def height(self) -> float:
        return float(self.box[3] - self.box[1])

    def eye_distance(self) -> float:
        return float(np.linalg.norm(self.landmarks[1] - self.landmarks[0]))

    def transformed(self, matrix: np.ndarray) -> Face:
        """This face mapped by a 2x3 affine matrix (box becomes the bounds of its mapped corners)."""
        corners = np.array([[self.box[0], self.box[1]], [self.box[2], self.box[1]],
                            [self.box[0], self.box[3]], [self.box[2], self.box[3]]], dtype=np.float64)
        mc = apply_affine(matrix, corners)
        box = np.array([mc[:, 0].min(), mc[:, 1].min(), mc[:, 0].max(), mc[:, 1].max()])
        return Face(box=box, score=self.score, landmarks=apply_affine(matrix, self.landmarks))


def apply_affine(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return pts @ np.asarray(matrix, dtype=np.float64)[:, :2].T + np.asarray(matrix, dtype=np.float64)[:, 2]


@dataclass
class FaceMesh:
    """MediaPipe Face Mesh of one face: 468 points (x, y in image pixels; z relative depth in the same pixel scale,
    smaller = nearer the camera), the model's face score, and how far the chin point moved between crops."""

    points: np.ndarray               # 468x3 float64
    score: float                     # face presence probability of the final pass, 0..1
    chin_spread_px: float = 0.0      # largest chin displacement between the mesh passes (model stability)

    def transformed(self, matrix: np.ndarray) -> FaceMesh:
        """This mesh mapped by a 2x3 affine matrix; depth and spread scale with the matrix's scale."""
        scale = float(np.sqrt(abs(np.linalg.det(np.asarray(matrix, dtype=np.float64)[:, :2]))))
        points = np.column_stack([apply_affine(matrix, self.points[:, :2]), self.points[:, 2] * scale])
        return FaceMesh(points=points, score=self.score, chin_spread_px=self.chin_spread_px * scale)


@dataclass
class Alignment:
    """How the source was levelled: rotation (degrees, counter-clockwise positive as in OpenCV) about ``center``."""

    angle_deg: float
    center: tuple[float, float]
    left_pupil: tuple[float, float]    # refined, in source pixels
    right_pupil: tuple[float, float]


@dataclass
class Region:
    """A head-and-shoulders window of the aligned image, warped out of the source by one affine ``matrix``
    (source -> region pixels). ``valid`` marks region pixels that came from the photo (False = outside it)."""

    image: np.ndarray
    valid: np.ndarray
    matrix: np.ndarray
    face: Face                   # the face in region pixels
    mesh: FaceMesh | None = None  # the face mesh in region pixels


@dataclass
class Matte:
    alpha: np.ndarray            # HxW float32 0..1
    foreground: np.ndarray       # HxWx3 uint8, colours decontaminated at soft edges


@dataclass
class HeadGeometry:
    """Measurements in cutout (region) pixels."""

    crown_y: float
    chin_y: float
    eye_y: float
    center_x: float
    left_pupil: tuple[float, float]
    right_pupil: tuple[float, float]
    residual_roll_deg: float
    face_box: tuple[float, float, float, float]
    crown_at_edge: bool = False
    yaw_deg: float | None = None          # head pose from the face mesh (None: not measured)
    pitch_deg: float | None = None
    eye_openness: float | None = None     # the less open eye's lid gap / eye width (eye aspect ratio)
    mouth_openness: float | None = None   # inner-lip gap / mouth width
    mesh_score: float | None = None       # the face mesh's face probability
    chin_confidence: float = 0.0          # 0..1: how far the chin measurement can be trusted
    crown_confidence: float = 0.0         # 0..1: the same for the crown

    @property
    def head_height(self) -> float:
        return self.chin_y - self.crown_y

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HeadGeometry:
        data = dict(data)
        data["left_pupil"] = tuple(data["left_pupil"])
        data["right_pupil"] = tuple(data["right_pupil"])
        data["face_box"] = tuple(data["face_box"])
        return cls(**data)


@dataclass
class Cutout:
    """Stage A's product: everything Stage B needs, with no model call left to make."""

    rgba: np.ndarray             # HxWx4 uint8: decontaminated foreground + alpha
    valid: np.ndarray            # HxW bool: pixel came from the photo
    head: HeadGeometry
    face_count: int = 1
    source_size: tuple[int, int] = (0, 0)
    roll_corrected_deg: float = 0.0
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class RenderOptions:
    """Stage B options. Adjustments are in [-100, 100] with 0 exactly the identity (see services.compose.adjust).
    ``background`` empty means the spec's own background colour."""

    background: str = ""
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    sharpness: float = 0.0
    format: str = "jpg"
    max_kb: int | None = None
    sheet: str = ""                      # paper id ("4r", "5x7", "a4", "letter", "custom:WxH" in mm); "" = none
    sheet_gap_mm: float | None = None    # None (both): 2 mm gap, 3 mm margin, or edge to edge if more copies fit
    sheet_margin_mm: float | None = None
    sheet_cut_guides: bool = True
    dpi: int | None = None               # override the spec's dpi (sheet and file metadata)


@dataclass
class RenderResult:
    photo: np.ndarray                    # HxWx3 uint8, exactly the spec's pixel size
    photo_bytes: bytes
    content_type: str
    report: dict[str, Any]
    sheet: np.ndarray | None = None
    sheet_bytes: bytes | None = None

"""Crown and chin against the marks, on the sample and on variants whose truth is transformed with them."""

import numpy as np
import pytest

from services.face.align import align
from services.face.chin import estimate_chin
from services.face.detect import choose_face, detect_faces
from services.face.measure import measure_head
from services.face.region import cut_region
from tests.support import truth
from tests.support.geometry import mapped, relit, rotated, scaled
from tests.support.images import astronaut

IDENTITY = np.array([[1.0, 0, 0], [0, 1.0, 0]])


def _measure(face_core, matting_model, rgb):
    face = choose_face(detect_faces(face_core.detector, rgb))
    region = cut_region(rgb, face, align(rgb, face))
    return region, measure_head(region, matting_model.predict(region.image))


def _truth_in_region(region, matrix):
    full = np.vstack([region.matrix, [0, 0, 1]]) @ np.vstack([matrix, [0, 0, 1]])
    return mapped(full[:2], truth.CROWN)[1], mapped(full[:2], truth.CHIN)[1]


CASES = {
    "sample": lambda: (astronaut(), IDENTITY),
    "rotated-7": lambda: rotated(7.0),
    "scaled-0.75": lambda: scaled(0.75),
    "scaled-2": lambda: scaled(2.0),
    "dim": lambda: (relit(0.6, 1.3), IDENTITY),
    "bright": lambda: (relit(1.15, 0.8), IDENTITY),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_head_height_within_3_percent_of_the_marks(face_core, matting_model, case):
    rgb, matrix = CASES[case]()
    region, head = _measure(face_core, matting_model, rgb)
    crown, chin = _truth_in_region(region, matrix)
    true_height = chin - crown
    # Errors in % of the true head height. Measured (crown, chin, height): see the table in docs/performance.md;
    # on the sample: crown -0.3 %, chin -0.7 %, height -0.4 %.
    assert abs(head.crown_y - crown) / true_height <= 0.02
    assert abs(head.chin_y - chin) / true_height <= 0.03
    assert abs(head.head_height / true_height - 1.0) <= 0.03
    assert abs(head.residual_roll_deg) < 1.0 and not head.crown_at_edge


def test_chin_falls_back_to_the_prior_on_a_flat_image():
    flat = np.full((400, 300, 3), 180, dtype=np.uint8)
    est = estimate_chin(flat, eye_y=100.0, mouth_y=140.0, center_x=150.0, eye_distance=45.0)
    assert not est.from_evidence
    assert est.y == pytest.approx(140.0 + 1.15 * 40.0)


def test_chin_finds_a_synthetic_jaw_edge():
    img = np.full((400, 300, 3), 200, dtype=np.uint8)
    img[205:, :] = 60                    # lit face above row 205, shadowed neck below
    est = estimate_chin(img, eye_y=100.0, mouth_y=140.0, center_x=150.0, eye_distance=45.0)
    assert est.from_evidence
    assert abs(est.y - 204.5) <= 1.0


def test_crown_at_the_top_edge_is_flagged(face_core, matting_model):
    cropped = astronaut()[18:, :]        # the marked crown (y 15.5) is now above the photo's top edge
    _, head = _measure(face_core, matting_model, cropped)
    assert head.crown_at_edge

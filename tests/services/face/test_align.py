import numpy as np
import pytest

from services.face.align import align, eye_line_angle
from services.face.detect import choose_face, detect_faces
from tests.support import truth
from tests.support.geometry import mapped, relit, rotated, scaled
from tests.support.images import astronaut

MARKED_ROLL = eye_line_angle(np.array(truth.LEFT_PUPIL), np.array(truth.RIGHT_PUPIL))   # 2.90°


def _align(face_core, rgb):
    face = choose_face(detect_faces(face_core.detector, rgb))
    return face, align(rgb, face)


def test_refined_pupils_are_within_1_5_px_of_the_marks(face_core):
    _face, alignment = _align(face_core, astronaut())
    left = np.linalg.norm(np.array(alignment.left_pupil) - truth.LEFT_PUPIL)
    right = np.linalg.norm(np.array(alignment.right_pupil) - truth.RIGHT_PUPIL)
    # measured: 0.82 px and 0.78 px (MTCNN's own eye points: 2.1 and 1.2 px)
    assert left <= 1.5 and right <= 1.5, (left, right)


def test_residual_roll_against_the_marks_is_at_most_1_degree(face_core):
    face, alignment = _align(face_core, astronaut())
    mtcnn_roll = eye_line_angle(face.landmarks[0], face.landmarks[1])
    residual = abs(MARKED_ROLL - alignment.angle_deg)
    # measured: residual 0.14° after refinement (MTCNN's eye points alone: 0.19° here, 0.78° on the 7°
    # rotation and 1.11° at 0.75× scale; refined: ≤ 0.20° on every variant in this file)
    assert residual <= 1.0, (residual, mtcnn_roll)


@pytest.mark.parametrize("angle", [7.0, -7.0, 15.0])
def test_known_synthetic_rotation_is_levelled(face_core, angle):
    image, matrix = rotated(angle)
    _, alignment = _align(face_core, image)
    true_roll = eye_line_angle(mapped(matrix, truth.LEFT_PUPIL), mapped(matrix, truth.RIGHT_PUPIL))
    assert true_roll == pytest.approx(MARKED_ROLL - angle, abs=1e-6)
    assert abs(alignment.angle_deg - true_roll) <= 1.0


@pytest.mark.parametrize("factor", [0.75, 2.0])
def test_pupils_follow_the_scale(face_core, factor):
    image, matrix = scaled(factor)
    _, alignment = _align(face_core, image)
    for found, marked in ((alignment.left_pupil, truth.LEFT_PUPIL), (alignment.right_pupil, truth.RIGHT_PUPIL)):
        assert np.linalg.norm(np.array(found) - mapped(matrix, marked)) <= 1.5 * max(1.0, factor)
    assert abs(alignment.angle_deg - MARKED_ROLL) <= 1.0


def test_dim_lighting_keeps_the_roll(face_core):
    _, alignment = _align(face_core, relit(0.6, 1.3))
    assert abs(alignment.angle_deg - MARKED_ROLL) <= 1.0

"""Pupils (iris model) and the levelling roll against the marks, on the sample and its variants."""

import numpy as np
import pytest

from services.face.align import eye_line_angle
from tests.support import truth
from tests.support.geometry import mapped, relit, rotated, scaled
from tests.support.images import astronaut

MARKED_ROLL = eye_line_angle(np.array(truth.LEFT_PUPIL), np.array(truth.RIGHT_PUPIL))   # 2.90°


def test_iris_pupils_are_within_1_px_of_the_marks(face_core):
    alignment = face_core.analyze(astronaut()).alignment
    left = np.linalg.norm(np.array(alignment.left_pupil) - truth.LEFT_PUPIL)
    right = np.linalg.norm(np.array(alignment.right_pupil) - truth.RIGHT_PUPIL)
    # measured: 0.4 and 0.6 px (the gradient-voting refinement this replaced: 0.82 and 0.78 px; MTCNN: 2.1, 1.2)
    assert left <= 1.0 and right <= 1.0, (left, right)


def test_residual_roll_against_the_marks_is_at_most_half_a_degree(face_core):
    alignment = face_core.analyze(astronaut()).alignment
    assert abs(MARKED_ROLL - alignment.angle_deg) <= 0.5


@pytest.mark.parametrize("angle", [7.0, -7.0, 15.0])
def test_known_synthetic_rotation_is_levelled(face_core, angle):
    image, matrix = rotated(angle)
    alignment = face_core.analyze(image).alignment
    true_roll = eye_line_angle(mapped(matrix, truth.LEFT_PUPIL), mapped(matrix, truth.RIGHT_PUPIL))
    assert true_roll == pytest.approx(MARKED_ROLL - angle, abs=1e-6)
    assert abs(alignment.angle_deg - true_roll) <= 1.0


@pytest.mark.parametrize("factor", [0.75, 2.0])
def test_pupils_follow_the_scale(face_core, factor):
    image, matrix = scaled(factor)
    alignment = face_core.analyze(image).alignment
    for found, marked in ((alignment.left_pupil, truth.LEFT_PUPIL), (alignment.right_pupil, truth.RIGHT_PUPIL)):
        assert np.linalg.norm(np.array(found) - mapped(matrix, marked)) <= 1.0 * max(1.0, factor)
    assert abs(alignment.angle_deg - MARKED_ROLL) <= 1.0


def test_dim_lighting_keeps_the_roll(face_core):
    alignment = face_core.analyze(relit(0.6, 1.3)).alignment
    assert abs(alignment.angle_deg - MARKED_ROLL) <= 1.0


def test_the_mesh_comes_with_the_analysis(face_core):
    analysis = face_core.analyze(astronaut())
    assert analysis.mesh is not None and analysis.mesh.points.shape == (468, 3)
    assert analysis.mesh.score > 0.9

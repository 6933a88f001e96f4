"""Head pose and expression from the mesh: the geometry on exactly rotated meshes, the model on turned heads
rendered in code, and the neutral pitch re-measured over many people."""

import numpy as np
import pytest

from idphoto.domain.types import FaceMesh
from idphoto.geometry.pose import PITCH_NEUTRAL_DEG, eye_openness, head_pose, mouth_openness
from tests.support.images import astronaut
from tests.support.turned import rotate_points, rotation, turned_head


@pytest.fixture(scope="module")
def sample_mesh(face_core):
    return face_core.analyze(astronaut()).mesh


def test_the_sample_is_frontal_with_open_eyes_and_a_smile(sample_mesh):
    pose = head_pose(sample_mesh)
    assert abs(pose.yaw_deg) < 2.0 and abs(pose.pitch_deg) < 3.0      # measured: -0.5°, 0.9°
    assert abs(pose.roll_deg - 2.9) < 1.0                                # the marked eye line's 2.90°
    assert eye_openness(sample_mesh) > 0.25                              # measured 0.33
    assert mouth_openness(sample_mesh) > 0.1                             # she smiles with teeth: 0.16


@pytest.mark.parametrize("yaw, pitch", [(10, 0), (-20, 0), (0, 8), (0, -8), (12, 6)])
def test_an_exactly_rotated_mesh_gives_back_its_rotation(sample_mesh, yaw, pitch):
    level = head_pose(sample_mesh)
    moved = FaceMesh(points=rotate_points(sample_mesh.points, rotation(yaw, pitch)), score=1.0)
    pose = head_pose(moved)
    assert pose.yaw_deg - level.yaw_deg == pytest.approx(yaw, abs=1.5)
    assert pose.pitch_deg - level.pitch_deg == pytest.approx(pitch, abs=1.5)


@pytest.mark.parametrize("yaw", [-25, -15, 15, 25])
def test_a_turned_head_reads_beyond_the_icao_limit(face_core, sample_mesh, yaw):
    # The render turns only the face inside its outline (hair and ears stay), so the model reads less than the
    # render's angle (15° reads 6–8°, 25° reads ~10°); the direction and the failure of the 5° rule hold.
    mesh = face_core.analyze(turned_head(astronaut(), sample_mesh.points, yaw_deg=yaw)).mesh
    measured = head_pose(mesh).yaw_deg
    assert np.sign(measured) == np.sign(yaw) and abs(measured) > 5.0


def test_a_tilted_head_moves_the_pitch_its_way(face_core, sample_mesh):
    down = head_pose(face_core.analyze(turned_head(astronaut(), sample_mesh.points, pitch_deg=12)).mesh)
    up = head_pose(face_core.analyze(turned_head(astronaut(), sample_mesh.points, pitch_deg=-12)).mesh)
    level = head_pose(sample_mesh)
    assert down.pitch_deg > level.pitch_deg + 3 and up.pitch_deg < level.pitch_deg - 3


def test_shut_eyes_and_closed_lips_read_as_such(sample_mesh):
    points = sample_mesh.points.copy()
    for upper, lower in ((160, 144), (159, 145), (158, 153), (385, 380), (386, 374), (387, 373),
                         (82, 87), (13, 14), (312, 317)):
        points[[upper, lower], :2] = points[[upper, lower], :2].mean(axis=0)
    shut = FaceMesh(points=points, score=1.0)
    assert eye_openness(shut) < 0.02 and mouth_openness(shut) < 0.02


def test_the_neutral_pitch_is_the_median_over_many_people(face_core):
    from scripts.calibrate_pitch import raw_pitches

    pitches = raw_pitches(face_core.mesh)
    assert len(pitches) >= 90
    assert float(np.median(pitches)) == pytest.approx(PITCH_NEUTRAL_DEG, abs=1.0)

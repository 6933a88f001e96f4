import numpy as np
import pytest

from idphoto.errors import MultipleFacesError, NoFaceError
from services.face.config import FaceConfig
from services.face.detect import choose_face, detect_faces
from services.face.mtcnn import CascadeSettings, nms, pyramid_scales
from tests.support import truth
from tests.support.images import astronaut


def test_one_face_on_the_astronaut_with_landmarks_near_the_marks(face_core):
    faces = detect_faces(face_core.detector, astronaut())
    assert len(faces) == 1
    face = faces[0]
    assert face.score > 0.99
    errors = np.linalg.norm(face.landmarks - truth.LANDMARKS, axis=1)
    # measured: eyes 2.1 / 1.2 px, nose 0.7, mouth corners 2.9 / 0.7
    assert errors.max() <= 4.0, errors
    x0, y0, x1, y1 = face.box
    assert x0 < truth.LEFT_PUPIL[0] < truth.RIGHT_PUPIL[0] < x1
    assert y0 < truth.LEFT_PUPIL[1] < truth.MOUTH_LEFT[1] < y1


def test_detection_runs_on_a_working_copy_and_maps_back(face_core):
    import cv2

    big = cv2.resize(astronaut(), None, fx=3.0, fy=3.0, interpolation=cv2.INTER_CUBIC)
    faces = detect_faces(face_core.detector, big, FaceConfig(detect_max_side=512))
    assert len(faces) == 1
    expected = (truth.LANDMARKS + 0.5) * 3.0 - 0.5
    assert np.linalg.norm(faces[0].landmarks - expected, axis=1).max() <= 12.0


def test_no_face_in_a_landscape(face_core):
    from skimage import data

    faces = detect_faces(face_core.detector, data.coffee())
    with pytest.raises(NoFaceError):
        choose_face(faces)


def test_two_faces_policy(face_core):
    pair = np.concatenate([astronaut(), astronaut()[:, ::-1]], axis=1)
    faces = detect_faces(face_core.detector, pair)
    assert len(faces) == 2
    with pytest.raises(MultipleFacesError) as info:
        choose_face(faces)
    assert info.value.code == "MULTIPLE_FACES"
    chosen = choose_face(faces, FaceConfig(multiple_faces="largest"))
    assert chosen is faces[0]


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=float)
    kept = nms(boxes, np.array([0.9, 0.95, 0.5]), 0.5)
    assert list(kept) == [1, 2]


def test_pyramid_stops_at_the_cell_size():
    scales = pyramid_scales(100, 200, CascadeSettings(min_face=20))
    assert scales[0] == pytest.approx(0.6)
    assert 100 * scales[-1] >= 12 > 100 * scales[-1] * 0.709

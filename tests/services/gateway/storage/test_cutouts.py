import numpy as np
import pytest

from idphoto.domain.types import Cutout, HeadGeometry
from idphoto.errors import InvalidImageError
from services.gateway.storage.cutouts import cutout_from_files, cutout_png, cutout_state


def _cutout() -> Cutout:
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, (50, 40, 4), dtype=np.uint8)
    valid = rng.random((50, 40)) > 0.3
    head = HeadGeometry(crown_y=3.5, chin_y=40.25, eye_y=20.0, center_x=19.5, left_pupil=(12.0, 20.0),
                        right_pupil=(27.0, 20.1), residual_roll_deg=0.2, face_box=(5.0, 8.0, 35.0, 44.0))
    return Cutout(rgba=rgba, valid=valid, head=head, face_count=1, source_size=(400, 500), roll_corrected_deg=2.9,
                  meta={"region_matrix": [[1.0, 0.0, -3.0], [0.0, 1.0, -4.0]]})


def test_stored_cutout_round_trips_exactly():
    original = _cutout()
    back = cutout_from_files(cutout_png(original), cutout_state(original))
    assert np.array_equal(back.rgba, original.rgba) and np.array_equal(back.valid, original.valid)
    assert back.head == original.head and back.meta == original.meta
    assert (back.face_count, back.source_size, back.roll_corrected_deg) == (1, (400, 500), 2.9)


def test_damaged_files_are_a_typed_error():
    original = _cutout()
    with pytest.raises(InvalidImageError):
        cutout_from_files(b"not a png", cutout_state(original))
    with pytest.raises(InvalidImageError):
        cutout_from_files(cutout_png(original), b"nope")

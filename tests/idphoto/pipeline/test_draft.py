"""Stage A on JPEGs decoded at a DCT scale: the same head as from the full decode, in full-resolution pixels, and
a second, finer decode when the face is small in the drafted frame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from idphoto.domain.specs import get_spec
from idphoto.pipeline import stage_a
from idphoto.pipeline.stage_a import StageAContext, run_stage_a
from tests.support.images import astronaut, encode

pytestmark = pytest.mark.models

SPEC = get_spec("us-passport")


def _run(data: bytes, clients, draft: bool, monkeypatch) -> StageAContext:
    monkeypatch.setattr(stage_a, "DRAFT_MIN_SIDE", 1024 if draft else 0)
    ctx = StageAContext(data=data, spec=SPEC, face=clients.face, matting=clients.matting)
    run_stage_a(ctx)
    return ctx


def _in_source(ctx: StageAContext, point) -> np.ndarray:
    """A region point in full-resolution source pixels (through the cutout's region matrix)."""
    m = np.vstack([np.array(ctx.cutout.meta["region_matrix"]), [0.0, 0.0, 1.0]])
    return (np.linalg.inv(m) @ np.array([point[0], point[1], 1.0]))[:2]


@pytest.fixture(scope="module")
def big_jpeg() -> bytes:
    # 3200 px: 272 px between the pupils, so the half-scale frame keeps 136 (>= 90 % of the region's 150)
    return encode(cv2.resize(astronaut(), (3200, 3200), interpolation=cv2.INTER_CUBIC), "JPEG", quality=92)


def test_a_draft_decode_finds_the_same_head(big_jpeg, clients, monkeypatch):
    full, draft = _run(big_jpeg, clients, False, monkeypatch), _run(big_jpeg, clients, True, monkeypatch)
    assert full.frame.scale == 1 and draft.frame.scale == 2
    assert draft.cutout.source_size == full.cutout.source_size == (3200, 3200)
    a, b = full.cutout.head, draft.cutout.head
    head_px = a.head_height / np.hypot(*np.array(full.cutout.meta["region_matrix"])[:, 0])   # source px
    for name in ("left_pupil", "right_pupil"):
        gap = np.linalg.norm(_in_source(full, getattr(a, name)) - _in_source(draft, getattr(b, name)))
        assert gap <= 2.0, (name, gap)       # 1 px of the drafted frame; measured 0.39 / 0.50
    for name in ("chin_y", "crown_y"):
        pa = _in_source(full, (a.center_x, getattr(a, name)))
        pb = _in_source(draft, (b.center_x, getattr(b, name)))
        assert abs(pa[1] - pb[1]) <= 0.01 * head_px, (name, pa, pb)    # measured 0.08 % and 0.02 %
    assert abs(a.yaw_deg - b.yaw_deg) < 1.0 and abs(a.pitch_deg - b.pitch_deg) < 1.0


def test_a_small_face_is_decoded_again_in_full(clients, monkeypatch):
    canvas = np.full((2400, 2400, 3), 235, np.uint8)
    canvas[900:1412, 900:1412] = astronaut()              # 44 px between the pupils: 22 in a half-scale frame
    data = encode(canvas, "JPEG", quality=92)
    full, draft = _run(data, clients, False, monkeypatch), _run(data, clients, True, monkeypatch)
    assert draft.frame.scale == 1                          # decoded again, in full
    assert np.array_equal(draft.cutout.rgba, full.cutout.rgba)
    assert np.allclose(draft.cutout.meta["region_matrix"], full.cutout.meta["region_matrix"])

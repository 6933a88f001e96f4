"""The whole pipeline on the sample portrait and its variants, asserted against the hand-marked truth."""

import numpy as np
import pytest

from idphoto.domain.specs import get_spec
from idphoto.domain.types import RenderOptions
from idphoto.pipeline.run import make_id_photo
from services.compose.colour_difference import mean_delta_e
from tests.support import variants
from tests.support.geometry import rotated
from tests.support.images import astronaut_bytes, encode
from tests.support.outputs import decoded, true_geometry


@pytest.fixture(scope="module")
def us_run(clients):
    return make_id_photo(astronaut_bytes("PNG"), get_spec("us-passport"), RenderOptions(), clients)


def test_us_passport_geometry_against_the_marks(us_run, output_dir):
    photo, info = decoded(us_run.result.photo_bytes)
    (output_dir / "us-passport.jpg").write_bytes(us_run.result.photo_bytes)
    assert photo.shape == (600, 600, 3)
    assert tuple(round(v) for v in info["dpi"]) == (300, 300)
    geo = true_geometry(us_run)
    assert 50.0 <= geo["head_pct"] <= 69.0, geo
    assert 56.0 <= geo["eye_line_pct"] <= 69.0, geo
    assert abs(geo["roll_deg"]) <= 1.0, geo
    assert us_run.result.report["pass"], us_run.result.report["rules"]


def test_us_passport_background_is_white_where_nothing_of_the_person_is(us_run):
    photo, _ = decoded(us_run.result.photo_bytes)
    chin_row = int(true_geometry(us_run)["crown_y"]) + 150     # well above the shoulders
    border = np.concatenate([photo[:4].reshape(-1, 3), photo[:chin_row, :4].reshape(-1, 3),
                             photo[:chin_row, -4:].reshape(-1, 3)])
    assert mean_delta_e(border, (255, 255, 255)) <= 3.0
    assert us_run.result.report["measured"]["background_delta_e"] <= 3.0


def test_rotated_input_is_levelled_to_within_1_degree(clients):
    image, matrix = rotated(7.0)
    run = make_id_photo(encode(image), get_spec("us-passport"), RenderOptions(), clients)
    assert abs(true_geometry(run, matrix)["roll_deg"]) <= 1.0


def test_exif_orientation_6_gives_the_upright_result(clients, us_run):
    run = make_id_photo(variants.exif_rotated_jpeg(6), get_spec("us-passport"), RenderOptions(), clients)
    geo, base = true_geometry(run), true_geometry(us_run)
    assert abs(geo["roll_deg"]) <= 1.0
    assert abs(geo["head_pct"] - base["head_pct"]) <= 1.5
    diff = np.abs(run.result.photo.astype(int) - us_run.result.photo.astype(int)).mean()
    assert diff < 8.0, diff


@pytest.mark.parametrize("spec_id,size,head_mm", [
    ("schengen-visa", (413, 531), (32.0, 36.0)),
    ("canada-passport", (591, 827), (31.0, 36.0)),
    ("china-passport", (390, 567), (28.0, 33.0)),
])
def test_other_documents_meet_their_head_rule(clients, spec_id, size, head_mm):
    run = make_id_photo(astronaut_bytes("PNG"), get_spec(spec_id), RenderOptions(), clients)
    assert run.result.photo.shape[1::-1] == size
    geo = true_geometry(run)
    assert head_mm[0] <= geo["head_mm"] <= head_mm[1], geo


def test_4r_sheet_of_schengen_copies_are_identical(clients, output_dir):
    from services.compose.render import sheet_plan

    options = RenderOptions(format="png", sheet="4r")
    run = make_id_photo(astronaut_bytes("PNG"), get_spec("schengen-visa"), options, clients)
    sheet, info = decoded(run.result.sheet_bytes)
    photo, _ = decoded(run.result.photo_bytes)
    (output_dir / "schengen-4r.png").write_bytes(run.result.sheet_bytes)
    assert sheet.shape[:2] in ((1200, 1800), (1800, 1200))
    assert tuple(round(v) for v in info["dpi"]) == (300, 300)
    plan = sheet_plan(get_spec("schengen-visa"), options)
    assert len(plan.positions) >= 8
    boxes = [(x, y, x + 413, y + 531) for x, y in plan.positions]
    for i, a in enumerate(boxes):
        assert np.array_equal(sheet[a[1]:a[3], a[0]:a[2]], photo)
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]


def test_max_kb_is_honoured(clients):
    run = make_id_photo(astronaut_bytes("PNG"), get_spec("us-passport"), RenderOptions(max_kb=50), clients)
    assert len(run.result.photo_bytes) <= 50 * 1024


@pytest.mark.parametrize("make_input", [variants.cmyk_jpeg, variants.png16], ids=["cmyk-jpeg", "png16"])
def test_cmyk_and_16_bit_inputs_succeed_with_the_same_geometry(clients, us_run, make_input):
    run = make_id_photo(make_input(), get_spec("us-passport"), RenderOptions(), clients)
    geo, base = true_geometry(run), true_geometry(us_run)
    assert abs(geo["head_pct"] - base["head_pct"]) <= 1.0
    assert abs(geo["eye_line_pct"] - base["eye_line_pct"]) <= 1.0


def test_a_new_background_changes_no_opaque_pixel_and_calls_no_model(clients):
    from idphoto.pipeline.run import stage_a
    from idphoto.pipeline.stage_b import run_stage_b

    spec = get_spec("us-passport")
    cutout = stage_a(astronaut_bytes("PNG"), spec, clients)
    calls = clients.face.core.calls + clients.matting.model.calls
    white = run_stage_b(cutout, spec, RenderOptions(format="png"), clients.compose)
    blue = run_stage_b(cutout, spec, RenderOptions(background="blue", format="png"), clients.compose)
    assert clients.face.core.calls + clients.matting.model.calls == calls
    from services.compose.crop import crop_to_spec

    opaque = crop_to_spec(cutout, spec).rgba[..., 3] == 255
    assert opaque.sum() > 0.3 * opaque.size                      # the person fills much of the photo
    assert np.array_equal(white.photo[opaque], blue.photo[opaque])
    assert not np.array_equal(white.photo[~opaque], blue.photo[~opaque])

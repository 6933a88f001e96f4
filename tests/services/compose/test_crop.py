import numpy as np
import pytest

from idphoto.domain.specs import get_spec, parse_spec
from idphoto.errors import FaceTooSmallError, HeadOutOfFrameError, InputError
from services.compose.crop import crop_to_spec, vertical_layout
from tests.services.compose.synthetic import make_cutout, measure_center_x, measure_eye_y, measure_head

MM = 25.4 / 300          # every catalogue spec used here is 300 dpi


@pytest.fixture(scope="module")
def cutout():
    return make_cutout()          # 800x1000, head 300 px (crown 150, chin 450), eyes at 47 % of the head


def _place(cutout, spec_id):
    spec = get_spec(spec_id)
    placement = crop_to_spec(cutout, spec)
    crown, chin = measure_head(placement.rgba)
    return spec, placement, crown, chin


def test_us_passport(cutout):
    _spec, p, crown, chin = _place(cutout, "us-passport")
    assert p.rgba.shape == (600, 600, 4) and p.rgba.dtype == np.uint8 and p.valid.shape == (600, 600)
    mid_px = (25.4 + 34.925) / 2 / MM                                   # 356.25 px
    assert abs((chin - crown) - mid_px) <= 1.0
    assert p.head_px == pytest.approx(mid_px)
    assert 0.50 <= (chin - crown) / 600 <= 0.69
    eye_from_bottom = 600 - measure_eye_y(p.rgba)
    assert 0.56 <= eye_from_bottom / 600 <= 0.69
    assert abs(eye_from_bottom - (28.575 + 34.925) / 2 / MM) <= 1.0     # middle of the range: 375 px
    assert abs(measure_center_x(p.rgba) - 300) <= 0.5
    assert p.center_x == 300.0
    assert p.scale == pytest.approx(mid_px / 300)
    assert p.padded_sides == ()


@pytest.mark.parametrize("spec_id, size, head_mm", [
    ("schengen-visa", (413, 531), (32, 36)),
    ("canada-passport", (591, 827), (31, 36)),
    ("china-passport", (390, 567), (28, 33)),
    ("uk-passport", (413, 531), (29, 34)),
])
def test_head_lands_in_the_middle_of_the_range(cutout, spec_id, size, head_mm):
    _spec, p, crown, chin = _place(cutout, spec_id)
    assert p.rgba.shape[:2] == (size[1], size[0])
    measured_mm = (chin - crown) * MM
    assert head_mm[0] <= measured_mm <= head_mm[1]
    assert abs((chin - crown) - sum(head_mm) / 2 / MM) <= 1.0
    assert abs(measure_center_x(p.rgba) - size[0] / 2) <= 0.5
    assert abs(crown - p.crown_y) <= 0.5 and abs(chin - p.chin_y) <= 0.5
    assert abs(measure_eye_y(p.rgba) - p.eye_y) <= 0.5


def test_crown_margin_rule_china_and_japan(cutout):
    _, _china, crown, _ = _place(cutout, "china-passport")
    assert abs(crown - 4.0 / MM) <= 1.0                                   # middle of 3-5 mm
    assert 3.0 <= crown * MM <= 5.0
    _, _japan, crown, _ = _place(cutout, "japan-passport")
    assert abs(crown - 4.0 / MM) <= 1.0                                   # middle of 2-6 mm


def test_default_crown_rule_is_forty_percent_of_the_free_height(cutout):
    spec, p, crown, chin = _place(cutout, "schengen-visa")              # no eye line, no crown margin
    assert p.crown_y == pytest.approx(0.4 * (spec.height_px - p.head_px))
    assert abs(crown - 0.4 * (531 - (chin - crown))) <= 1.0
    below_chin = 531 - chin
    assert abs(crown / below_chin - 0.4 / 0.6) < 0.02


def test_downscaling_keeps_the_geometry():
    big = make_cutout(width=1400, height=1800, cx=700.0, cy=560.0, ax=260.0, ay=350.0, ss=2)
    _spec, p, crown, chin = _place(big, "schengen-visa")
    assert p.scale < 0.6
    assert abs((chin - crown) - 34.0 / MM) <= 1.0
    assert abs(crown - p.crown_y) <= 0.5
    assert abs(measure_center_x(p.rgba) - 206.5) <= 0.5


def test_background_stays_transparent_and_person_opaque(cutout):
    _, p, _, _ = _place(cutout, "us-passport")
    alpha = p.rgba[..., 3]
    assert alpha[0, 0] == alpha[0, -1] == 0                               # corners above the shoulders
    assert alpha[300, 300] == 255                                         # middle of the face
    assert alpha[-1, 300] == 255                                          # the body reaches the bottom edge
    assert p.valid.all()


def test_invalid_source_pixels_become_transparent():
    cut = make_cutout()
    cut.valid[:, :200] = False                                            # left strip "not from the photo"
    p = crop_to_spec(cut, get_spec("us-passport"))
    assert not p.valid[:, 0].any() and p.valid[:, -1].all()
    assert (p.rgba[..., 3][~p.valid] == 0).all()
    assert "left" in p.padded_sides


def test_cutout_that_stops_above_the_waist_is_padded_at_the_bottom():
    short = make_cutout(height=480)                                       # ends 30 px below the chin
    p = crop_to_spec(short, get_spec("schengen-visa"))
    assert p.padded_sides == ("bottom",)
    assert not p.valid[-1].any() and (p.rgba[-1, :, 3] == 0).all()


def test_face_too_small():
    tiny = make_cutout(width=200, height=260, cx=100.0, cy=80.0, ax=35.0, ay=45.0)   # head 90 px
    with pytest.raises(FaceTooSmallError) as err:
        crop_to_spec(tiny, get_spec("us-passport"))
    assert err.value.details["needed_scale"] == pytest.approx(356.25 / 90, abs=1e-3)
    assert crop_to_spec(tiny, get_spec("us-passport"), max_upscale=4.0).scale == pytest.approx(356.25 / 90)


def test_crown_at_edge_is_head_out_of_frame():
    with pytest.raises(HeadOutOfFrameError):
        crop_to_spec(make_cutout(width=200, height=260, cx=100.0, cy=80.0, ax=35.0, ay=45.0,
                                 crown_at_edge=True), get_spec("us-passport"))


def test_inconsistent_geometry_is_rejected(cutout):
    from dataclasses import replace
    bad = replace(cutout, head=replace(cutout.head, eye_y=cutout.head.chin_y + 5))
    with pytest.raises(InputError):
        crop_to_spec(bad, get_spec("us-passport"))


def test_every_range_is_aimed_at_its_middle_when_they_agree():
    us = get_spec("us-passport")
    plan = vertical_layout(us, 0.47)                            # ordinary face: no conflict
    assert plan.size == pytest.approx(356.25, abs=0.5)
    assert plan.crown + 0.47 * plan.size == pytest.approx(225.0, abs=0.5)
    assert min(plan.slack.values()) >= 0.99 and plan.limited_by is None and plan.gave_way == ()


def test_a_conflict_keeps_the_most_slack_for_every_range_and_says_which_limited():
    us = get_spec("us-passport")
    plan = vertical_layout(us, 0.75)                            # eyes low in the head: the crown would leave
    assert plan.crown >= 0.0 and plan.crown + plan.size <= 600
    assert 0.0 < min(plan.slack.values()) < 0.99 and plan.gave_way == ()
    assert plan.slack["head_height_mm"] == pytest.approx(plan.slack["eye_line_mm"], abs=0.02)   # balanced
    assert plan.limited_by in ("head_height_mm", "eye_line_mm")
    plan = vertical_layout(us, 0.95)                            # impossible: the eye line gives way
    assert plan.crown == pytest.approx(0.0, abs=0.5) and plan.gave_way == ("eye_line_mm",)
    assert 25.4 * us.px_per_mm <= plan.size <= 34.925 * us.px_per_mm


def test_eye_line_and_crown_margin_together_maximise_the_least_slack():
    from dataclasses import replace

    from services.compose.crop import _ranges, _slack
    spec = replace(get_spec("us-passport"), crown_margin_mm=(6.0, 9.0))
    plan = vertical_layout(spec, 0.45)
    best = -np.inf                                             # brute force on a finer grid
    ranges = _ranges(spec)
    for size in np.linspace(*ranges["head_height_mm"][1], 400):
        for crown in np.linspace(0, 600 - size, 400):
            values = {"size": size, "crown": crown, "eye": crown + 0.45 * size}
            best = max(best, min(float(_slack(np.array(values[w]), b)) for w, b in ranges.values()))
    assert min(plan.slack.values()) >= best - 0.02
    assert set(plan.slack) == {"head_height_mm", "eye_line_mm", "crown_margin_mm"}


def test_custom_spec_placement(cutout):
    spec = parse_spec("custom:600x600px@300,head=0.6")
    p = crop_to_spec(cutout, spec)
    crown, chin = measure_head(p.rgba)
    assert abs((chin - crown) - 0.6 * 600) <= 1.0
    assert p.crown_y == pytest.approx(0.4 * (600 - 360))


def test_missing_corner_flags_both_sides_it_touches():
    cut = make_cutout()
    ys, xs = np.mgrid[0:1000, 0:800]
    cut.valid[xs + (1000 - ys) < 600] = False             # a bottom-left triangle, as a levelling rotation leaves
    p = crop_to_spec(cut, get_spec("us-passport"))
    assert set(p.padded_sides) == {"bottom", "left"}
    assert not p.valid[-1, 0] and p.valid[0, 0] and p.valid[-1, -1]

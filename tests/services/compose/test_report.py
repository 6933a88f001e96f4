import json
from dataclasses import replace

import numpy as np
import pytest

from idphoto.domain.specs import get_spec
from services.compose.background import composite
from services.compose.crop import crop_to_spec
from services.compose.export import Exported
from services.compose.report import background_delta_e, build_report
from tests.services.compose.synthetic import make_cutout

WHITE = (255, 255, 255)


@pytest.fixture(scope="module")
def us():
    spec = get_spec("us-passport")
    placement = crop_to_spec(make_cutout(), spec)
    photo = composite(placement.rgba, np.full((600, 600, 3), 255, np.uint8))
    return spec, placement, photo


def _exported(width=600, height=600, dpi=300):
    return Exported(b"\0" * 2048, "image/jpeg", "jpg", 95, width, height, dpi)


HEAD = replace(make_cutout().head, residual_roll_deg=0.3)


def _report(spec, placement, photo, **kw):
    head = replace(HEAD, **kw.pop("head", {}))
    args = {"background_rgb_reference": WHITE, "exported": _exported(), "face_count": 1, "head": head}
    args.update(kw)
    return build_report(spec, placement, photo, **args)


def _rules(report):
    return {r["rule"]: r for r in report["rules"]}


def test_good_photo_passes_and_is_json(us):
    spec, placement, photo = us
    report = _report(spec, placement, photo)
    json.dumps(report)
    assert report["pass"] is True and report["warnings"] == []
    rules = _rules(report)
    assert set(rules) == {"size_px", "head_height_mm", "eye_line_mm", "crown_margin_mm", "yaw_deg", "pitch_deg",
                          "roll_deg", "eyes_open", "mouth_closed", "geometry_confidence", "background_delta_e",
                          "face_count", "print_size_mm", "not_padded"}
    assert all(r["pass"] for r in rules.values())
    assert all(r["severity"] in ("error", "warning") for r in rules.values())
    m = report["measured"]
    assert m["head_height_mm"] == pytest.approx((25.4 + 34.925) / 2, abs=0.01)
    assert m["head_height_pct"] == pytest.approx(356.25 / 6, abs=0.01)
    assert m["eye_line_mm"] == pytest.approx((28.575 + 34.925) / 2, abs=0.01)
    assert m["eye_line_pct"] == pytest.approx(62.5, abs=0.01)
    assert m["crown_margin_mm"] == pytest.approx(placement.crown_y * 25.4 / 300, abs=0.001)
    assert m["background_delta_e"] == pytest.approx(0.0, abs=1e-6)
    assert report["spec"]["id"] == "us-passport" and report["spec"]["dpi"] == 300
    assert report["output"] == {"width_px": 600, "height_px": 600, "dpi": 300, "bytes": 2048, "format": "jpg",
                                "content_type": "image/jpeg", "quality": 95}
    assert rules["head_height_mm"]["min"] == 25.4 and rules["head_height_mm"]["max"] == 34.925
    assert rules["crown_margin_mm"]["min"] == 0.0 and rules["crown_margin_mm"]["max"] is None


def test_head_too_big_fails(us):
    spec, placement, photo = us
    report = _report(spec, replace(placement, head_px=35.5 / 25.4 * 300), photo)
    assert not _rules(report)["head_height_mm"]["pass"] and report["pass"] is False
    report = _report(spec, replace(placement, head_px=34.8 / 25.4 * 300), photo)
    assert _rules(report)["head_height_mm"]["pass"] and report["pass"] is True


def test_eye_line_out_of_range_fails(us):
    spec, placement, photo = us
    low = replace(placement, eye_y=600 - 28.0 / 25.4 * 300)
    assert not _rules(_report(spec, low, photo))["eye_line_mm"]["pass"]
    inside = replace(placement, eye_y=600 - 28.7 / 25.4 * 300)
    assert _rules(_report(spec, inside, photo))["eye_line_mm"]["pass"]


def test_crown_outside_the_frame_fails(us):
    spec, placement, photo = us
    report = _report(spec, replace(placement, crown_y=-2.0), photo)
    assert not _rules(report)["crown_margin_mm"]["pass"] and report["pass"] is False


def test_spec_crown_margin_range_is_checked():
    spec = get_spec("china-passport")
    placement = crop_to_spec(make_cutout(), spec)
    photo = composite(placement.rgba, np.full((567, 390, 3), 255, np.uint8))
    exported = _exported(390, 567)
    rule = _rules(_report(spec, placement, photo, exported=exported))["crown_margin_mm"]
    assert (rule["min"], rule["max"], rule["pass"]) == (3.0, 5.0, True)
    assert rule["value"] == pytest.approx(4.0, abs=0.01)
    assert "eye_line_mm" not in _rules(_report(spec, placement, photo, exported=exported))
    moved = replace(placement, crown_y=5.5 / 25.4 * 300)
    assert not _rules(_report(spec, moved, photo, exported=exported))["crown_margin_mm"]["pass"]


def test_face_count_and_size_are_errors(us):
    spec, placement, photo = us
    assert _report(spec, placement, photo, face_count=2)["pass"] is False
    assert _report(spec, placement, photo, face_count=0)["pass"] is False
    report = _report(spec, placement, photo, exported=_exported(599, 600))
    assert not _rules(report)["size_px"]["pass"] and report["pass"] is False


def test_roll_beyond_the_icao_limit_is_an_error(us):
    spec, placement, photo = us
    report = _report(spec, placement, photo, head={"residual_roll_deg": -8.5})
    assert not _rules(report)["roll_deg"]["pass"] and report["pass"] is False
    assert _rules(_report(spec, placement, photo, head={"residual_roll_deg": 7.9}))["roll_deg"]["pass"]


@pytest.mark.parametrize("rule, field, bad", [("yaw_deg", "yaw_deg", 12.0), ("pitch_deg", "pitch_deg", -6.0),
                                              ("yaw_deg", "yaw_deg", None), ("pitch_deg", "pitch_deg", None)])
def test_a_turned_or_unmeasured_head_fails_with_the_rule_named(us, rule, field, bad):
    spec, placement, photo = us
    report = _report(spec, placement, photo, head={field: bad})
    assert report["pass"] is False and not _rules(report)[rule]["pass"]
    assert _rules(report)[rule]["severity"] == "error"


@pytest.mark.parametrize("rule, field, bad", [("eyes_open", "eye_openness", 0.05),
                                              ("mouth_closed", "mouth_openness", 0.2)])
def test_shut_eyes_and_an_open_mouth_are_warnings(us, rule, field, bad):
    spec, placement, photo = us
    report = _report(spec, placement, photo, head={field: bad})
    assert report["pass"] is True and report["warnings"] == [rule]


@pytest.mark.parametrize("field", ["chin_confidence", "crown_confidence"])
def test_low_geometry_confidence_fails_the_report(us, field):
    spec, placement, photo = us
    report = _report(spec, placement, photo, head={field: 0.3})
    assert report["pass"] is False and not _rules(report)["geometry_confidence"]["pass"]
    assert report["measured"][field] == 0.3
    assert _report(spec, placement, photo, head={field: 0.5})["pass"] is True


def test_the_report_says_how_the_crop_was_aimed(us):
    spec, placement, photo = us
    aim = _report(spec, placement, photo)["placement"]
    assert aim["limited_by"] is None and aim["gave_way"] == []
    assert set(aim["slack"]) == {"head_height_mm", "eye_line_mm"} and min(aim["slack"].values()) >= 0.99

def test_background_delta_e_flips_with_a_tinted_background(us):
    spec, placement, _photo = us
    tinted = composite(placement.rgba, np.full((600, 600, 3), (250, 244, 236), np.uint8))
    report = _report(spec, placement, tinted)
    rule = _rules(report)["background_delta_e"]
    assert rule["value"] > 3.0 and not rule["pass"] and report["pass"] is False
    slight = composite(placement.rgba, np.full((600, 600, 3), (252, 252, 252), np.uint8))
    assert _rules(_report(spec, placement, slight))["background_delta_e"]["value"] < 1.0


def test_background_delta_e_uses_only_pure_background_border_pixels(us):
    _, placement, photo = us
    alpha = placement.rgba[..., 3]
    assert background_delta_e(photo, alpha, WHITE) == pytest.approx(0.0, abs=1e-6)
    opaque = np.full_like(alpha, 255)
    assert background_delta_e(photo, opaque, WHITE) is None


def test_no_background_pixels_on_the_border_fails_the_rule(us):
    spec, placement, photo = us
    rgba = placement.rgba.copy()
    rgba[..., 3] = 255
    rule = _rules(_report(spec, replace(placement, rgba=rgba), photo))["background_delta_e"]
    assert rule["value"] is None and not rule["pass"]


def test_padding_is_a_warning(us):
    spec, placement, photo = us
    report = _report(spec, replace(placement, padded_sides=("bottom",)), photo)
    rule = _rules(report)["not_padded"]
    assert rule["value"] == ["bottom"] and not rule["pass"] and rule["severity"] == "warning"
    assert report["pass"] is True and report["padded_sides"] == ["bottom"]


def test_dpi_override_changes_the_print_size(us):
    spec, placement, photo = us
    report = _report(spec, placement, photo, exported=_exported(dpi=600))
    rule = _rules(report)["print_size_mm"]
    assert rule["value"] == pytest.approx(25.4) and not rule["pass"]
    assert report["pass"] is True and "print_size_mm" in report["warnings"]

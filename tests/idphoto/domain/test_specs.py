import passport_photo_specs
import pytest

from idphoto.domain.colors import parse_color
from idphoto.domain.spec_geometry import OFFICIAL
from idphoto.domain.specs import custom_spec, get_spec, list_specs, parse_spec
from idphoto.errors import InvalidOptionError, SpecNotFoundError

NINE = ["us-passport", "schengen-visa", "uk-passport", "canada-passport", "china-passport", "india-passport",
        "germany-passport", "japan-passport", "australia-passport"]


def test_catalogue_has_every_library_document():
    ids = {s.id for s in list_specs()}
    assert len(ids) == len(passport_photo_specs.documents()) == 248
    assert set(NINE) <= ids


@pytest.mark.parametrize("spec", list_specs(), ids=lambda s: s.id)
def test_every_spec_is_geometrically_sane(spec):
    assert spec.width_mm > 0 and spec.height_mm > 0 and spec.width_px > 0 and spec.height_px > 0
    assert spec.dpi > 0
    assert abs(spec.width_mm / 25.4 * spec.dpi - spec.width_px) <= 1.0
    assert abs(spec.height_mm / 25.4 * spec.dpi - spec.height_px) <= 1.0
    assert 0 < spec.head_min_mm < spec.head_max_mm < spec.height_mm
    if spec.eye_line_mm is not None:
        lo, hi = spec.eye_line_mm
        assert 0 < lo < hi < spec.height_mm
    if spec.crown_margin_mm is not None:
        lo, hi = spec.crown_margin_mm
        assert 0 <= lo < hi and hi + spec.head_max_mm < spec.height_mm
    assert spec.geometry in ("official", "icao-default")
    assert spec.source
    parse_color(spec.background)
    for name in spec.backgrounds:
        parse_color(name)


def test_nine_documents_carry_official_geometry():
    for spec_id in NINE:
        spec = get_spec(spec_id)
        assert spec.geometry == "official", spec_id
        assert spec.source == OFFICIAL[spec_id].source


def test_official_numbers():
    us = get_spec("us-passport")
    assert (us.width_px, us.height_px, us.dpi) == (600, 600, 300)
    assert us.width_mm == us.height_mm == pytest.approx(50.8)             # 2 in, not the catalogue's 51
    assert (us.head_min_mm, us.head_max_mm) == pytest.approx((25.4, 34.925))
    assert us.eye_line_mm == pytest.approx((28.575, 34.925))
    assert (get_spec("uk-passport").head_min_mm, get_spec("uk-passport").head_max_mm) == (29.0, 34.0)
    canada = get_spec("canada-passport")
    assert (canada.width_px, canada.height_px, canada.head_min_mm, canada.head_max_mm) == (591, 827, 31.0, 36.0)
    china = get_spec("china-passport")
    assert (china.width_px, china.height_px) == (390, 567)
    assert (china.head_min_mm, china.head_max_mm, china.crown_margin_mm) == (28.0, 33.0, (3.0, 5.0))
    assert get_spec("japan-passport").crown_margin_mm == (2.0, 6.0)
    for spec_id in ("schengen-visa", "germany-passport", "japan-passport", "australia-passport"):
        spec = get_spec(spec_id)
        assert (spec.width_mm, spec.height_mm, spec.head_min_mm, spec.head_max_mm) == (35, 45, 32.0, 36.0)
    assert (get_spec("india-passport").head_min_mm, get_spec("india-passport").head_max_mm) == (36.0, 38.25)


def test_other_documents_get_the_icao_default():
    spec = get_spec("portugal-passport")
    assert spec.geometry == "icao-default"
    assert spec.source == "ICAO Doc 9303 / ISO/IEC 19794-5 default"
    assert spec.head_min_mm == pytest.approx(0.70 * spec.height_mm)
    assert spec.head_max_mm == pytest.approx(0.80 * spec.height_mm)
    assert spec.eye_line_mm is None and spec.crown_margin_mm is None


def test_backgrounds_and_metadata_come_from_the_library():
    uk = get_spec("uk-passport")
    assert uk.background == "#f0ede8" and uk.backgrounds == ("cream", "light-grey")
    assert uk.country == "uk" and uk.country_name == "United Kingdom" and uk.document == "Passport"
    assert get_spec("us-passport").backgrounds == ("white", "off-white")
    assert any("2×2" in r for r in get_spec("us-passport").requirements)


def test_get_spec_is_case_and_space_tolerant():
    assert get_spec("  US-Passport ").id == "us-passport"


def test_unknown_spec_suggests_close_ids():
    with pytest.raises(SpecNotFoundError) as err:
        get_spec("us-pasport")
    assert "us-passport" in err.value.details["suggestions"]
    assert "us-passport" in err.value.message
    assert err.value.http_status == 404


def test_list_specs_by_country():
    us = list_specs("us")
    assert {s.id for s in us} == {"us-passport", "us-visa", "us-green-card"}
    assert {s.id for s in list_specs("United States")} == {s.id for s in us}
    assert list_specs("atlantis") == []


def test_custom_spec_in_mm_and_px():
    spec = custom_spec(35, 45)
    assert (spec.width_px, spec.height_px, spec.dpi) == (413, 531, 300)
    assert (spec.head_min_mm, spec.head_max_mm) == pytest.approx((0.70 * 45, 0.80 * 45))
    assert spec.geometry == "custom" and spec.backgrounds == ()
    px = custom_spec(600, 600, unit="px", dpi=300, head_ratio=0.6)
    assert (px.width_px, px.height_px) == (600, 600)
    assert px.height_mm == pytest.approx(50.8)
    assert (px.head_min_mm, px.head_max_mm) == pytest.approx((0.55 * 50.8, 0.65 * 50.8))


def test_parse_spec_forms():
    assert parse_spec("schengen-visa").id == "schengen-visa"
    mm = parse_spec("custom:35x45mm@300")
    assert (mm.width_px, mm.height_px, mm.dpi, mm.id) == (413, 531, 300, "custom:35x45mm@300")
    px = parse_spec("custom:600x600px@300,head=0.6")
    assert (px.width_px, px.height_px) == (600, 600)
    assert px.head_min_mm / px.height_mm == pytest.approx(0.55)
    assert parse_spec("custom:30x40").dpi == 300                      # mm and 300 dpi by default
    assert parse_spec("custom:2x2mm@600").width_px == 47
    assert parse_spec(parse_spec("custom:600x600px@300,head=0.6").id).height_px == 600   # ids round-trip


@pytest.mark.parametrize("text", ["custom:35x", "custom:35x45in", "custom:35x45mm@10", "custom:0x45mm",
                                  "custom:35x45mm,head=0.99"])
def test_parse_spec_rejects_bad_custom_forms(text):
    with pytest.raises(InvalidOptionError):
        parse_spec(text)


def test_parse_spec_unknown_id():
    with pytest.raises(SpecNotFoundError):
        parse_spec("mars-passport")

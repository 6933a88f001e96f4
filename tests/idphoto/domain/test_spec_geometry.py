"""The official geometry table: every entry is self-consistent, the US documents follow the State Department rule,
displayed requirement text agrees with the geometry, and docs/specs.md lists exactly the code's table."""

import re
from pathlib import Path

import pytest

from idphoto.domain.spec_geometry import INCH_MM, OFFICIAL
from idphoto.domain.specs import HEAD_LINE_PREFIX, get_spec, list_specs
from scripts import spec_geometry_doc
from services.compose.crop import crop_to_spec
from tests.services.compose.synthetic import make_cutout

ROOT = Path(__file__).resolve().parents[3]

# Documents (and catalogue countries) that had official geometry before issue #11 item 3.
BEFORE_IDS = {"us-passport", "us-visa", "schengen-visa", "uk-passport", "canada-passport", "china-passport",
              "germany-passport", "germany-id-card", "japan-passport", "australia-passport", "india-passport"}
EYE_SHARE = 0.5          # crown-to-eye distance as a share of chin-to-crown, for the "does it fit" check


@pytest.mark.parametrize("doc_id", sorted(OFFICIAL))
def test_official_entry_is_self_consistent(doc_id):
    geo, spec = OFFICIAL[doc_id], get_spec(doc_id)
    height = spec.height_mm
    lo, hi = geo.head_mm
    assert 0 < lo <= hi < height, "head range must fit inside the photo height"
    if geo.crown_margin_mm is not None:
        c_lo, c_hi = geo.crown_margin_mm
        assert 0 <= c_lo <= c_hi
        assert c_lo + lo <= height and c_hi + hi <= height, "crown margin + head must fit"
    if geo.eye_line_mm is not None:
        e_lo, e_hi = geo.eye_line_mm
        assert 0 < e_lo <= e_hi < height
        assert e_lo + EYE_SHARE * lo <= height, "eye line + the head above the eyes must fit under the top edge"
        assert e_hi - (1 - EYE_SHARE) * lo >= 0, "eye line - the head below the eyes must stay above the bottom"
    assert geo.source and geo.verified
    assert geo.evidence in ("official", "quoted", "third-party")
    if geo.evidence == "third-party":
        assert "not read" in geo.verified.lower(), "third-party entries must say the official page was not read"
    assert spec.geometry == "official" and spec.source == geo.source
    assert (spec.head_min_mm, spec.head_max_mm) == (lo, hi)


@pytest.fixture(scope="module")
def cutout():
    return make_cutout()


@pytest.mark.parametrize("doc_id", sorted(OFFICIAL))
def test_the_crop_meets_each_official_geometry(cutout, doc_id):
    spec = get_spec(doc_id)
    placement, k = crop_to_spec(cutout, spec), spec.px_per_mm
    assert spec.head_min_mm - 0.2 <= placement.head_px / k <= spec.head_max_mm + 0.2
    if spec.crown_margin_mm is not None:
        assert spec.crown_margin_mm[0] - 0.2 <= placement.crown_y / k <= spec.crown_margin_mm[1] + 0.2
    if spec.eye_line_mm is not None:
        eye = (spec.height_px - placement.eye_y) / k
        assert spec.eye_line_mm[0] - 0.2 <= eye <= spec.eye_line_mm[1] + 0.2


@pytest.mark.parametrize("doc_id", ["us-passport", "us-visa", "us-green-card"])
def test_us_documents_follow_the_state_department_rule(doc_id):
    spec = get_spec(doc_id)
    assert spec.geometry == "official"
    assert spec.width_mm == spec.height_mm == pytest.approx(2 * INCH_MM)
    assert (spec.head_min_mm, spec.head_max_mm) == pytest.approx((1.0 * INCH_MM, 1.375 * INCH_MM))
    assert spec.eye_line_mm == pytest.approx((1.125 * INCH_MM, 1.375 * INCH_MM))


def test_green_card_no_longer_uses_the_icao_head_size():
    spec = get_spec("us-green-card")
    assert spec.head_max_mm < 0.70 * spec.height_mm        # the ICAO default would start at 35.6 mm


def test_us_passport_requirement_text_agrees_with_its_geometry():
    reqs = get_spec("us-passport").requirements
    assert not any("70 - 80" in r or "70-80" in r for r in reqs)
    head = [r for r in reqs if r.startswith(HEAD_LINE_PREFIX)]
    assert head == ["Head (chin to crown): 25.4–34.9 mm, 50–69 % of the 50.8 mm photo height (official source)"]
    assert "Eye line 28.6–34.9 mm above the bottom edge" in reqs
    assert reqs[0] == "Size: 2×2 inches (50.8×50.8 mm)"


_NUMBERS = re.compile(r"(\d+(?:\.\d+)?)–(\d+(?:\.\d+)?) mm, (\d+)–(\d+) %")


@pytest.mark.parametrize("spec", list_specs(), ids=lambda s: s.id)
def test_every_head_size_line_matches_the_geometry(spec):
    claims = [r for r in spec.requirements if re.search(r"\b(face|head)\b.*\d.*(%|\bmm\b)", r, re.IGNORECASE)
              and not r.startswith(("Top of the head ", "Eye line "))]
    assert len(claims) == 1 and claims[0].startswith(HEAD_LINE_PREFIX), claims
    lo, hi, p_lo, p_hi = _NUMBERS.search(claims[0]).groups()
    assert float(lo) == pytest.approx(spec.head_min_mm, abs=0.05)
    assert float(hi) == pytest.approx(spec.head_max_mm, abs=0.05)
    assert int(p_lo) == round(spec.head_min_mm / spec.height_mm * 100)
    assert int(p_hi) == round(spec.head_max_mm / spec.height_mm * 100)


def test_at_least_40_documents_from_30_more_countries_have_official_geometry():
    official = [s for s in list_specs() if s.geometry == "official"]
    assert len(official) == len(OFFICIAL) >= 40
    before = {get_spec(i).country for i in BEFORE_IDS}
    assert BEFORE_IDS <= set(OFFICIAL)
    assert len({s.country for s in official} - before) >= 30


def test_every_official_id_is_in_the_catalogue():
    ids = {s.id for s in list_specs()}
    assert set(OFFICIAL) <= ids


def test_docs_table_matches_the_code():
    text = (ROOT / "docs" / "specs.md").read_text()
    assert spec_geometry_doc.table_in(text) == spec_geometry_doc.render_table()
    listed = re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.MULTILINE)
    assert sorted(listed) == sorted(OFFICIAL)


def test_readme_states_the_official_count():
    text = (ROOT / "README.md").read_text()
    assert f"{len(OFFICIAL)} documents" in text and "docs/specs.md" in text

import io
import json

import numpy as np
import pytest
from PIL import Image

from idphoto.domain.sheets import plan_sheet
from idphoto.domain.specs import get_spec
from idphoto.domain.types import RenderOptions
from idphoto.errors import OutputTooLargeError, PaperNotFoundError
from services.compose.colour_difference import mean_delta_e
from services.compose.crop import crop_to_spec
from services.compose.render import layout, render
from tests.services.compose.synthetic import make_cutout


@pytest.fixture(scope="module")
def cutout():
    return make_cutout()


def _open(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def _border(rgb: np.ndarray, alpha: np.ndarray, width: int = 4) -> np.ndarray:
    frame = np.zeros(alpha.shape, bool)
    frame[:width], frame[-width:], frame[:, :width], frame[:, -width:] = True, True, True, True
    return rgb[frame & (alpha == 0)]


@pytest.mark.parametrize("spec_id", ["us-passport", "schengen-visa", "canada-passport", "china-passport"])
def test_jpeg_decodes_to_the_exact_spec_pixels_and_dpi(cutout, spec_id):
    spec = get_spec(spec_id)
    result = render(cutout, spec, RenderOptions())
    img = _open(result.photo_bytes)
    assert img.format == "JPEG" and result.content_type == "image/jpeg"
    assert img.size == (spec.width_px, spec.height_px)
    assert tuple(round(v) for v in img.info["dpi"]) == (spec.dpi, spec.dpi)
    assert result.photo.shape == (spec.height_px, spec.width_px, 3) and result.photo.dtype == np.uint8
    assert result.report["pass"] is True, [r for r in result.report["rules"] if not r["pass"]]
    assert result.sheet is None and result.sheet_bytes is None
    json.dumps(result.report)


def test_white_border_delta_e_below_one(cutout):
    spec = get_spec("us-passport")
    result = render(cutout, spec, RenderOptions(background="white"))
    alpha = crop_to_spec(cutout, spec).rgba[..., 3]
    decoded = np.asarray(_open(result.photo_bytes).convert("RGB"))
    assert mean_delta_e(_border(decoded, alpha), (255, 255, 255)) < 1.0
    assert result.report["measured"]["background_delta_e"] < 1.0


def test_spec_background_is_the_default(cutout):
    spec = get_spec("uk-passport")                                            # cream #f0ede8
    result = render(cutout, spec, RenderOptions(format="png"))
    assert tuple(result.photo[0, 0]) == (0xF0, 0xED, 0xE8)
    assert result.report["measured"]["background_delta_e"] == pytest.approx(0.0, abs=1e-6)


def test_changing_only_the_background_keeps_the_person(cutout):
    spec = get_spec("us-passport")
    alpha = crop_to_spec(cutout, spec).rgba[..., 3]
    white = render(cutout, spec, RenderOptions(background="white", format="png"))
    blue = render(cutout, spec, RenderOptions(background="#438edb", format="png"))
    person = alpha == 255
    assert person.sum() > 50_000
    assert np.array_equal(white.photo[person], blue.photo[person])
    decoded_white = np.asarray(_open(white.photo_bytes).convert("RGB"))
    decoded_blue = np.asarray(_open(blue.photo_bytes).convert("RGB"))
    assert np.array_equal(decoded_white[person], decoded_blue[person])       # PNG is lossless
    assert (blue.photo[alpha == 0] == (0x43, 0x8E, 0xDB)).all()
    assert blue.report["measured"]["background_delta_e"] == pytest.approx(0.0, abs=1e-6)


def test_adjustments_leave_the_background_exact(cutout):
    spec = get_spec("schengen-visa")
    alpha = crop_to_spec(cutout, spec).rgba[..., 3]
    plain = render(cutout, spec, RenderOptions(format="png"))
    adjusted = render(cutout, spec, RenderOptions(format="png", brightness=30, contrast=20, saturation=-40,
                                                  sharpness=50))
    assert (adjusted.photo[alpha == 0] == 255).all()
    assert not np.array_equal(plain.photo[alpha == 255], adjusted.photo[alpha == 255])
    assert adjusted.report["pass"] is True


def test_sheet_in_the_same_format_and_dpi(cutout):
    spec = get_spec("us-passport")
    result = render(cutout, spec, RenderOptions(sheet="4r", format="jpg"))
    img = _open(result.sheet_bytes)
    assert img.format == "JPEG" and tuple(round(v) for v in img.info["dpi"]) == (300, 300)
    assert sorted(img.size) == [1200, 1800]                                   # 4 x 6 in at 300 dpi
    assert result.sheet.shape[:2] == (img.size[1], img.size[0])
    sheet = result.report["sheet"]
    # 2x2 in on 4x6 in: with the default 2 mm gap and 3 mm margin only 2 fit; edge to edge, 6 (2 x 3) do
    assert sheet["copies"] == sheet["cols"] * sheet["rows"] == 6
    assert (sheet["dpi"], sheet["bytes"]) == (300, len(result.sheet_bytes))


def test_layout_tiles_the_photo(cutout):
    photo = render(cutout, get_spec("schengen-visa"), RenderOptions(format="png")).photo
    sheet, data = layout(photo, "4r", 300, 2.0, 3.0, True, "png")
    assert np.array_equal(np.asarray(_open(data).convert("RGB")), sheet)
    plan = plan_sheet(413, 531, "4r", dpi=300, gap_mm=2.0, margin_mm=3.0)
    assert sheet.shape == (plan.height_px, plan.width_px, 3)
    for x, y in plan.positions:
        assert np.array_equal(sheet[y:y + 531, x:x + 413], photo)
    with pytest.raises(PaperNotFoundError):
        layout(photo, "napkin", 300, 2.0, 3.0, True, "png")


def test_dpi_override_and_max_kb(cutout):
    spec = get_spec("us-passport")
    result = render(cutout, spec, RenderOptions(dpi=600, max_kb=30))
    img = _open(result.photo_bytes)
    assert img.size == (600, 600) and tuple(round(v) for v in img.info["dpi"]) == (600, 600)
    assert len(result.photo_bytes) <= 30 * 1024
    assert result.report["output"]["dpi"] == 600 and "print_size_mm" in result.report["warnings"]
    with pytest.raises(OutputTooLargeError):
        render(cutout, spec, RenderOptions(format="png", max_kb=1))


def test_report_reflects_the_cutout(cutout):
    from dataclasses import replace
    tilted = replace(cutout, head=replace(cutout.head, residual_roll_deg=9.0), face_count=2)
    report = render(tilted, get_spec("us-passport"), RenderOptions()).report
    failed = {r["rule"] for r in report["rules"] if not r["pass"]}
    assert report["pass"] is False and {"roll_deg", "face_count"} <= failed
    assert report["measured"]["face_count"] == 2

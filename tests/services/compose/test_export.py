import io

import cv2
import numpy as np
import pytest
from PIL import Image, ImageCms

from idphoto.errors import InvalidOptionError, OutputTooLargeError
from services.compose.export import MIN_JPEG_QUALITY, export_image
from tests.support.images import astronaut


def _photo(size: int = 600) -> np.ndarray:
    return cv2.resize(astronaut(), (size, size), interpolation=cv2.INTER_CUBIC)


def _open(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.mark.parametrize("fmt,pil_format,content_type", [("jpg", "JPEG", "image/jpeg"),
                                                         ("JPEG", "JPEG", "image/jpeg"),
                                                         ("png", "PNG", "image/png")])
@pytest.mark.parametrize("dpi", [300, 600])
def test_dpi_icc_and_size_written(fmt, pil_format, content_type, dpi):
    rgb = _photo()[:531, :413]
    out = export_image(rgb, fmt, dpi=dpi)
    im = _open(out.data)
    assert im.format == pil_format and out.content_type == content_type
    assert im.size == (413, 531) and (out.width, out.height) == (413, 531) and im.mode == "RGB"
    assert tuple(round(v) for v in im.info["dpi"]) == (dpi, dpi)
    assert out.dpi == dpi
    icc = im.info.get("icc_profile")
    assert icc
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    assert "srgb" in ImageCms.getProfileDescription(profile).lower()


def test_jpeg_defaults_quality_95_full_chroma():
    out = export_image(_photo(), "jpg")
    assert out.format == "jpg" and out.quality == 95
    im = _open(out.data)
    assert [c[1] for c in im.layer] == [1, 1, 1] and [c[2] for c in im.layer] == [1, 1, 1]  # 4:4:4 sampling
    diff = np.abs(np.asarray(im).astype(int) - _photo()).mean()
    assert diff < 2.0


def test_png_is_lossless():
    rgb = _photo(200)
    out = export_image(rgb, "png", dpi=300)
    assert out.quality is None and out.format == "png"
    assert np.array_equal(np.asarray(_open(out.data)), rgb)


def test_max_kb_picks_the_highest_quality_that_fits():
    rgb = _photo()
    assert len(export_image(rgb, "jpg").data) > 50 * 1024          # the cap really has to bite
    out = export_image(rgb, "jpg", dpi=300, max_kb=50)
    assert len(out.data) <= 50 * 1024
    assert MIN_JPEG_QUALITY <= out.quality < 95
    assert out.data == export_image(rgb, "jpg", dpi=300, quality=out.quality).data
    assert len(export_image(rgb, "jpg", dpi=300, quality=out.quality + 1).data) > 50 * 1024
    im = _open(out.data)
    assert im.size == (600, 600) and round(im.info["dpi"][0]) == 300 and im.info.get("icc_profile")


def test_max_kb_that_already_fits_keeps_quality():
    out = export_image(_photo(100), "jpg", max_kb=500)
    assert out.quality == 95


def test_impossible_max_kb_is_output_too_large():
    with pytest.raises(OutputTooLargeError) as info:
        export_image(_photo(), "jpg", max_kb=1)
    details = info.value.details
    assert details["max_kb"] == 1 and details["smallest_kb"] > 1 and details["format"] == "jpg"


def test_png_over_max_kb_says_use_jpg():
    with pytest.raises(OutputTooLargeError) as info:
        export_image(_photo(), "png", max_kb=50)
    assert "jpg" in info.value.message and info.value.details["smallest_kb"] > 50
    flat = np.full((600, 600, 3), 240, np.uint8)
    out = export_image(flat, "png", max_kb=50)
    assert len(out.data) <= 50 * 1024


@pytest.mark.parametrize("kwargs", [{"fmt": "gif"}, {"fmt": "webp"}, {"dpi": 0}, {"dpi": 72.5},
                                    {"max_kb": 0}, {"max_kb": -5}, {"quality": 0}, {"quality": 101}])
def test_invalid_options(kwargs):
    with pytest.raises(InvalidOptionError):
        export_image(_photo(50), **kwargs)

"""sniff_format, declared header sizes, DecodeLimits (+ env config) and working_copy."""

from __future__ import annotations

import numpy as np
import pytest

from idphoto.config import config_keys, load_config
from idphoto.errors import ConfigError
from idphoto.imageio.decode import DecodeLimits, sniff_format, working_copy
from idphoto.imageio.header import declared_size
from idphoto.imageio.sniff import sniff_unsupported
from tests.support import variants
from tests.support.images import astronaut, astronaut_bytes, encode


@pytest.mark.parametrize("fmt, name", [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp"), ("TIFF", "tiff"),
                                       ("BMP", "bmp")])
def test_sniff_pillow_files(fmt, name):
    assert sniff_format(astronaut_bytes(fmt)) == name


def test_sniff_heic_and_big_endian_tiff():
    assert sniff_format(variants.heic()) == "heif"
    assert sniff_format(b"MM\x00*\x00\x00\x00\x08") == "tiff"


@pytest.mark.parametrize("data", [b"", b"hello", variants.text_file(), astronaut_bytes("GIF"),
                                  b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf"])
def test_sniff_unknown_is_none(data):
    assert sniff_format(data) is None


def test_sniff_unsupported_names():
    assert sniff_unsupported(astronaut_bytes("GIF")) == "gif"
    assert sniff_unsupported(b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1avifmiaf") == "avif"
    assert sniff_unsupported(variants.text_file()) is None
    assert sniff_unsupported(astronaut_bytes("PNG")) is None


EMPTY_EXIF = b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x00\x00"


@pytest.mark.parametrize("fmt, save_args", [("JPEG", {}), ("JPEG", {"progressive": True}), ("PNG", {}),
                                            ("WEBP", {}), ("WEBP", {"lossless": True}),
                                            ("WEBP", {"exif": EMPTY_EXIF})])
def test_declared_size_matches_the_image(fmt, save_args):
    rgb = np.ascontiguousarray(astronaut()[:300, :450])
    assert declared_size(encode(rgb, fmt, **save_args), fmt.lower()) == (450, 300)


def test_declared_size_of_exif_jpeg_and_huge_headers():
    assert declared_size(variants.exif_rotated_jpeg(6), "jpeg") == (512, 512)
    assert declared_size(variants.huge_png_header(30000, 20000), "png") == (30000, 20000)
    assert declared_size(variants.huge_header("webp", 16000, 9000), "webp") == (16000, 9000)
    assert declared_size(variants.huge_header("jpeg", 30000, 20000), "jpeg") == (30000, 20000)


@pytest.mark.parametrize("data, fmt", [(b"\xff\xd8\xff", "jpeg"), (b"\xff\xd8\xff\xda\x00\x02", "jpeg"),
                                       (b"\x89PNG\r\n\x1a\n", "png"),
                                       (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
                                       (astronaut_bytes("TIFF"), "tiff")])
def test_declared_size_unreadable_is_none(data, fmt):
    assert declared_size(data, fmt) is None


def test_default_limits_are_valid_and_match_the_api():
    limits = DecodeLimits()
    assert (limits.max_bytes, limits.max_pixels, limits.min_side, limits.detect_max_side) == (
        25_000_000, 40_000_000, 200, 1024)
    assert limits.validate() == []


def test_bad_limits_are_all_reported():
    problems = DecodeLimits(max_bytes=0, max_pixels=10, detect_max_side=8).validate()
    assert len(problems) == 3          # max_bytes, max_pixels < 200 x 200, detect_max_side
    assert len(DecodeLimits(min_side=0).validate()) == 1
    assert any("MAX_IMAGE_PIXELS" in p for p in DecodeLimits(max_pixels=10**12).validate())


def test_limits_load_from_the_environment():
    env = {"IDPHOTO_DECODE_MAX_BYTES": "10_000_000", "IDPHOTO_DECODE_MIN_SIDE": "300"}
    limits = load_config(DecodeLimits, "DECODE", env)
    assert limits == DecodeLimits(max_bytes=10_000_000, min_side=300)
    assert "IDPHOTO_DECODE_DETECT_MAX_SIDE" in config_keys(DecodeLimits, "DECODE")
    with pytest.raises(ConfigError):
        load_config(DecodeLimits, "DECODE", {"IDPHOTO_DECODE_MAX_PIXELS": "100"})


def test_working_copy_small_image_is_returned_as_is():
    rgb = astronaut()
    small, scale = working_copy(rgb, 1024)
    assert small is rgb and scale == 1.0
    same, scale = working_copy(rgb, 512)
    assert same is rgb and scale == 1.0


def test_working_copy_downscales_the_longer_side():
    full = np.zeros((1000, 2000, 3), np.uint8)
    full[400:420, 1200:1220] = 255                         # a 20x20 white square centred at (1209.5, 409.5)
    small, scale = working_copy(full, 1024)
    assert small.shape == (512, 1024, 3) and small.dtype == np.uint8
    assert scale == pytest.approx(0.512)
    ys, xs = np.nonzero(small[..., 0] > 128)
    assert xs.mean() == pytest.approx(1209.5 * scale, abs=1.0)      # small = full * scale
    assert ys.mean() == pytest.approx(409.5 * scale, abs=1.0)
    assert full.max() == 255 and full[0, 0, 0] == 0        # the input is untouched


def test_working_copy_portrait_and_area_averaging():
    full = np.full((3000, 1500, 3), 77, np.uint8)
    small, scale = working_copy(full, 1000)
    assert small.shape == (1000, 500, 3) and scale == pytest.approx(1 / 3)
    assert (small == 77).all()
    with pytest.raises(ValueError):
        working_copy(full, 0)

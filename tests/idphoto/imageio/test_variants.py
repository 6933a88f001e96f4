"""The shared test-image builders do what they say (others rely on them in end-to-end tests)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image, ImageCms

from tests.support import variants
from tests.support.images import astronaut


def test_huge_png_header_has_valid_crcs():
    data = variants.huge_png_header(30000, 30000)
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, payload = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + payload)
        pos += 12 + length
    assert struct.unpack(">II", data[16:24]) == (30000, 30000)


def test_matrix_trc_profile_is_a_valid_rgb_profile():
    profile = ImageCms.ImageCmsProfile(io.BytesIO(variants.matrix_trc_profile()))
    assert "Adobe RGB" in ImageCms.getProfileDescription(profile)
    to_srgb = ImageCms.buildTransform(profile, ImageCms.createProfile("sRGB"), "RGB", "RGB")
    white = ImageCms.applyTransform(Image.new("RGB", (1, 1), (255, 255, 255)), to_srgb)
    assert all(v >= 253 for v in white.getpixel((0, 0)))


def test_with_icc_embeds_the_profile():
    embedded = Image.open(io.BytesIO(variants.with_icc("adobe"))).info["icc_profile"]
    assert embedded == variants.matrix_trc_profile()
    with pytest.raises(ValueError):
        variants.with_icc("nonsense")


def test_rotated_canvas_size_background_and_matrix():
    canvas = variants.rotated_canvas(30, canvas=(900, 800), bg=(10, 20, 30))
    assert canvas.shape == (800, 900, 3)
    assert tuple(canvas[0, 0]) == (10, 20, 30)
    matrix = variants.rotated_canvas_matrix(30, canvas=(900, 800))
    centre = matrix @ np.array([256.0, 256.0, 1.0])
    assert centre == pytest.approx([450.0, 400.0])
    right = matrix @ np.array([512.0, 256.0, 1.0])      # +30 deg is counter-clockwise: the right edge goes up
    assert right[1] < 400.0 and right[0] > 450.0
    upright = variants.rotated_canvas(0)
    assert np.array_equal(upright[144:656, 194:706], astronaut())


def test_scaled_lighting_background():
    assert variants.scaled(0.5).shape == (256, 256, 3)
    assert variants.scaled(2.0).shape == (1024, 1024, 3)
    assert np.array_equal(variants.lighting(1.0, 1.0), astronaut())
    assert variants.lighting(0.5, 1.0).mean() == pytest.approx(astronaut().mean() / 2, abs=0.5)
    assert variants.lighting(1.0, 2.0).mean() < astronaut().mean()
    green = variants.on_background((0, 255, 0))
    assert tuple(green[0, 0]) == (0, 255, 0) and green.shape == (800, 900, 3)


@pytest.mark.parametrize("fmt", ["jpeg", "bmp", "tiff", "webp"])
def test_huge_header_declares_the_size(fmt):
    image = Image.open(io.BytesIO(variants.huge_header(fmt, 9000, 8000)))    # under Pillow's bomb limit
    assert image.size == (9000, 8000)

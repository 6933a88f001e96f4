"""Stage B's fast paths give the same pixels as the plain numpy arithmetic they replaced."""

from __future__ import annotations

import io

import cv2
import numpy as np
from PIL import Image

from idphoto.domain.colors import parse_background
from services.compose.background import composite, render_background
from services.compose.crop import _premultiplied, _unpremultiplied
from services.compose.export import export_image
from tests.support.images import astronaut


def test_composite_equals_the_rounded_division_for_every_triple():
    fg, bg, a = np.meshgrid(np.arange(256), np.arange(256), np.arange(256), indexing="ij")
    rgba = np.stack([fg, fg, fg, a], axis=-1).reshape(4096, 4096, 4).astype(np.uint8)
    background = np.stack([bg, bg, bg], axis=-1).reshape(4096, 4096, 3).astype(np.uint8)
    expected = (fg.astype(np.uint32) * a + bg.astype(np.uint32) * (255 - a) + 127) // 255
    assert np.array_equal(composite(rgba, background)[..., 0], expected.reshape(4096, 4096))


def test_solid_background_is_the_colour_everywhere():
    out = render_background(parse_background("#102030"), 7, 5)
    assert out.shape == (5, 7, 3) and out.flags.c_contiguous and out.flags.writeable
    assert (out == (16, 32, 48)).all()


def _reference_premultiplied(rgba, valid):
    src = rgba.astype(np.float32)
    alpha = src[..., 3] / 255.0 * valid
    return np.dstack([src[..., :3] * alpha[..., None], alpha])


def _reference_unpremultiplied(out, valid_out):
    a = np.clip(out[..., 3], 0.0, 1.0) * valid_out
    rgb = np.clip(out[..., :3], 0.0, 255.0 * a[..., None]) / np.maximum(a, 1e-6)[..., None]
    return np.rint(np.dstack([np.clip(rgb, 0, 255), a * 255.0])).astype(np.uint8)


def test_warp_arithmetic_is_bit_identical_to_numpy():
    rng = np.random.default_rng(7)
    rgba = rng.integers(0, 256, (97, 131, 4), dtype=np.uint8)
    rgba[::5, :, 3] = 255
    rgba[::7, :, 3] = 0
    valid = rng.random((97, 131)) > 0.1
    prem = _premultiplied(rgba, valid)
    assert np.array_equal(prem, _reference_premultiplied(rgba, valid))
    m = np.array([[1.37, 0.21, -9.0], [-0.2, 1.41, 4.0]])
    warped = cv2.warpAffine(prem, m, (150, 140), flags=cv2.INTER_CUBIC)      # cubic overshoots: clips matter
    valid_out = cv2.warpAffine(valid.view(np.uint8), m, (150, 140), flags=cv2.INTER_NEAREST).view(bool)
    expected = _reference_unpremultiplied(warped.copy(), valid_out)
    assert np.array_equal(_unpremultiplied(warped, valid_out), expected)


def test_fast_jpeg_has_the_pixels_of_the_optimised_one():
    rgb = cv2.resize(astronaut(), (600, 600), interpolation=cv2.INTER_CUBIC)
    fast = export_image(rgb, "jpg")
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=95, subsampling=0, optimize=True)
    with Image.open(io.BytesIO(fast.data)) as a, Image.open(buf) as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))        # only the Huffman tables differ
    assert len(fast.data) < 1.08 * len(buf.getvalue())

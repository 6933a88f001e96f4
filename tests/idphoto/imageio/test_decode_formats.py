"""decode_image on good inputs: every accepted format, orientation, colour conversion; compared in numbers."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageOps

from idphoto.imageio.decode import decode_image
from tests.support import variants
from tests.support.images import astronaut, astronaut_bytes, encode

# Upright, non-square crop so that a swapped width/height would show in the shape, not only in the pixels.
PORTRAIT = np.ascontiguousarray(astronaut()[:, 40:440])     # 512 high, 400 wide


def diff(decoded: np.ndarray, reference: np.ndarray) -> tuple[float, int]:
    """(mean, max) absolute difference in 8-bit levels."""
    d = np.abs(decoded.astype(np.int16) - reference.astype(np.int16))
    return float(d.mean()), int(d.max())


def assert_rgb8(array: np.ndarray, shape: tuple[int, int]) -> None:
    assert array.shape == (*shape, 3)
    assert array.dtype == np.uint8
    assert array.flags.c_contiguous and array.flags.writeable


@pytest.mark.parametrize("fmt, save_args", [
    ("PNG", {}), ("BMP", {}), ("TIFF", {}), ("TIFF", {"compression": "tiff_lzw"}),
    ("WEBP", {"lossless": True}),
])
def test_lossless_formats_are_exact(fmt, save_args):
    decoded = decode_image(astronaut_bytes(fmt, **save_args))
    assert_rgb8(decoded, (512, 512))
    assert np.array_equal(decoded, astronaut())


@pytest.mark.parametrize("fmt, save_args, max_mean", [
    ("JPEG", {"quality": 95}, 2.5),           # measured 1.95
    ("WEBP", {"quality": 95}, 2.5),           # measured 1.81
    ("TIFF", {"compression": "jpeg"}, 3.5),
])
def test_lossy_formats_are_close(fmt, save_args, max_mean):
    decoded = decode_image(astronaut_bytes(fmt, **save_args))
    assert_rgb8(decoded, (512, 512))
    assert diff(decoded, astronaut())[0] < max_mean


def test_heic_round_trip():
    decoded = decode_image(variants.heic())
    assert_rgb8(decoded, (512, 512))
    assert diff(decoded, astronaut())[0] < 2.0            # measured 1.39 at quality 90


def test_heic_orientation_is_applied():
    import pillow_heif

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = np.ascontiguousarray(np.rot90(PORTRAIT, k=1))   # viewer turns it clockwise back to upright
    decoded = decode_image(encode(stored, "HEIF", quality=90, exif=exif.tobytes()))
    assert decoded.shape == PORTRAIT.shape
    assert diff(decoded, PORTRAIT)[0] < 2.5


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_exif_orientation_gives_the_upright_image(orientation):
    data = variants.exif_rotated_jpeg(orientation, PORTRAIT)
    reference = np.asarray(ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB"))
    assert diff(reference, PORTRAIT)[0] < 3.0             # the builder is right (checked with Pillow's own)
    decoded = decode_image(data)
    assert_rgb8(decoded, PORTRAIT.shape[:2])
    mean, _ = diff(decoded, PORTRAIT)
    assert mean < 3.0                                     # measured 2.15 for every orientation (q95)
    if orientation != 1:
        stored = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
        if stored.shape == PORTRAIT.shape:
            assert diff(stored, PORTRAIT)[0] > 20         # the stored pixels really were turned


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_orientation_in_other_containers(fmt):
    stored = np.ascontiguousarray(np.rot90(PORTRAIT, k=-1))  # stored turned clockwise: orientation 8
    if fmt == "TIFF":
        data = encode(stored, fmt, tiffinfo={0x0112: 8})
    else:
        exif = Image.Exif()
        exif[0x0112] = 8
        data = encode(stored, fmt, exif=exif.tobytes(), **({"lossless": True} if fmt == "WEBP" else {}))
    assert np.array_equal(decode_image(data), PORTRAIT)


def test_cmyk_jpeg_is_close_to_the_original():
    assert Image.open(io.BytesIO(variants.cmyk_jpeg())).mode == "CMYK"
    decoded = decode_image(variants.cmyk_jpeg())
    assert_rgb8(decoded, (512, 512))
    mean, peak = diff(decoded, astronaut())
    assert mean < 1.5 and peak <= 20                      # measured mean 1.04, max 11


@pytest.mark.parametrize("builder", [variants.png16, variants.tiff16])
def test_48_bit_rgb_decodes_within_one_level(builder):
    decoded = decode_image(builder())
    assert_rgb8(decoded, (512, 512))
    assert diff(decoded, astronaut())[1] <= 1             # measured 0


def test_16_bit_grey_png_is_scaled_not_clipped():
    decoded = decode_image(variants.png16(grey=True))
    expected = np.repeat(astronaut()[..., :1], 3, axis=2)
    assert diff(decoded, expected)[1] <= 1


def test_16_bit_grey_with_arbitrary_values_rounds_to_nearest():
    wide = np.tile(np.arange(0, 65536, 64, dtype=np.uint16).reshape(32, 32), (8, 8))   # 256x256
    decoded = decode_image(encode(wide, "TIFF"))
    expected = np.rint(wide / 257.0).astype(np.uint8)
    assert np.array_equal(decoded[..., 0], expected) and np.array_equal(decoded[..., 2], expected)


def test_float_grey_tiff_in_unit_range():
    grey = astronaut()[..., 1]
    decoded = decode_image(encode((grey / 255.0).astype(np.float32), "TIFF"))
    assert diff(decoded, np.repeat(grey[..., None], 3, axis=2))[1] <= 1


@pytest.mark.parametrize("fmt", ["PNG", "TIFF"])
def test_adobe_rgb_profile_is_converted_to_srgb(fmt):
    data = variants.with_icc("adobe", fmt)
    raw = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert diff(raw, astronaut())[0] > 3                  # the stored values really are not sRGB (4.47)
    mean, peak = diff(decode_image(data), astronaut())
    assert mean < 0.5 and peak <= 2                       # measured 0.11, max 1


def test_adobe_rgb_profile_in_a_jpeg():
    data = variants.with_icc("adobe", "JPEG")
    raw = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    decoded = decode_image(data)
    assert diff(decoded, astronaut())[0] < diff(raw, astronaut())[0] - 2   # measured 3.24 vs 5.94


def test_embedded_srgb_profile_keeps_pixels_exact():
    assert np.array_equal(decode_image(variants.with_icc("srgb", "PNG")), astronaut())


def test_damaged_icc_profile_is_ignored():
    data = encode(astronaut(), "PNG", icc_profile=b"not a profile at all" * 10)
    assert np.array_equal(decode_image(data), astronaut())


def test_lab_tiff_is_converted_to_srgb():
    srgb, lab_profile = ImageCms.createProfile("sRGB"), ImageCms.createProfile("LAB")
    to_lab = ImageCms.buildTransform(srgb, lab_profile, "RGB", "LAB")
    lab = ImageCms.applyTransform(Image.fromarray(astronaut()), to_lab)
    buf = io.BytesIO()
    lab.save(buf, "TIFF")
    mean, _ = diff(decode_image(buf.getvalue()), astronaut())
    assert mean < 1.0                                     # measured 0.47


def test_greyscale_and_bilevel():
    grey = np.asarray(Image.fromarray(astronaut()).convert("L"))
    decoded = decode_image(encode(grey, "PNG"))
    assert np.array_equal(decoded, np.repeat(grey[..., None], 3, axis=2))
    bilevel = decode_image(encode(np.asarray(Image.fromarray(grey).convert("1")), "PNG"))
    assert set(np.unique(bilevel)) <= {0, 255}


def test_palette_png():
    palette_image = Image.fromarray(astronaut()).quantize(256)
    buf = io.BytesIO()
    palette_image.save(buf, "PNG")
    assert np.array_equal(decode_image(buf.getvalue()), np.asarray(palette_image.convert("RGB")))


def test_palette_transparency_becomes_white():
    palette_image = Image.fromarray(astronaut()).quantize(16)
    buf = io.BytesIO()
    palette_image.save(buf, "PNG", transparency=0)
    decoded = decode_image(buf.getvalue())
    index = np.asarray(palette_image)
    assert (decoded[index == 0] == 255).all()
    assert np.array_equal(decoded[index != 0], np.asarray(palette_image.convert("RGB"))[index != 0])


def _alpha_ramp() -> np.ndarray:
    return np.tile(np.linspace(0, 255, 512).round().astype(np.uint8), (512, 1))


def _over_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    a = alpha.astype(np.float64)[..., None] / 255.0
    return rgb.astype(np.float64) * a + 255.0 * (1.0 - a)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "TIFF"])
def test_rgba_is_composited_over_white(fmt):
    rgba = np.dstack([astronaut(), _alpha_ramp()])
    decoded = decode_image(encode(rgba, fmt, **({"lossless": True} if fmt == "WEBP" else {})))
    expected = _over_white(astronaut(), _alpha_ramp())
    assert np.abs(decoded - expected).max() <= 0.5 + 1e-9
    assert (decoded[:, 0] == 255).all()                   # fully transparent column is pure white


def test_grey_alpha_is_composited_over_white():
    grey = astronaut()[..., 0]
    decoded = decode_image(_encode_la(grey, _alpha_ramp()))
    expected = _over_white(np.repeat(grey[..., None], 3, axis=2), _alpha_ramp())
    assert np.abs(decoded - expected).max() <= 0.5 + 1e-9


def _encode_la(grey: np.ndarray, alpha: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.merge("LA", [Image.fromarray(grey), Image.fromarray(alpha)]).save(buf, "PNG")
    return buf.getvalue()


def test_mpo_gives_the_first_picture():
    first, second = Image.fromarray(astronaut()), Image.fromarray(255 - astronaut())
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second], quality=95)
    assert diff(decode_image(buf.getvalue()), astronaut())[0] < 2.5


def test_animated_webp_gives_the_first_frame():
    first, second = Image.fromarray(astronaut()), Image.fromarray(255 - astronaut())
    buf = io.BytesIO()
    first.save(buf, "WEBP", save_all=True, append_images=[second], lossless=True)
    assert np.array_equal(decode_image(buf.getvalue()), astronaut())


def test_bytearray_and_memoryview_are_accepted():
    data = astronaut_bytes("PNG")
    assert np.array_equal(decode_image(bytearray(data)), astronaut())
    assert np.array_equal(decode_image(memoryview(data)), astronaut())

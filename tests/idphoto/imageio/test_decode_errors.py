"""decode_image on bad inputs: each one gets its exact typed error, quickly, with a one-line message."""

from __future__ import annotations

import random
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from PIL import Image, ImageFile

from idphoto import errors
from idphoto.imageio import decode
from idphoto.imageio.decode import DecodeLimits, decode_image
from tests.support import variants
from tests.support.images import astronaut_bytes, encode

DEFAULT_LIMITS = DecodeLimits()


def raises(data, error_class, limits: DecodeLimits = DEFAULT_LIMITS) -> errors.IdPhotoError:
    with pytest.raises(errors.IdPhotoError) as info:
        decode_image(data, limits)
    assert type(info.value) is error_class
    assert "\n" not in info.value.message and "Traceback" not in info.value.message
    return info.value


def test_empty_input():
    assert raises(b"", errors.EmptyInputError).code == "EMPTY_INPUT"
    raises(bytearray(), errors.EmptyInputError)


def test_file_too_large_is_checked_before_parsing():
    limits = DecodeLimits(max_bytes=1000)
    err = raises(b"\x00garbage" * 200, errors.FileTooLargeError, limits)     # garbage, but too big first
    assert err.code == "FILE_TOO_LARGE" and err.http_status == 413
    assert err.details == {"size_bytes": 1600, "max_bytes": 1000}
    raises(astronaut_bytes("PNG"), errors.FileTooLargeError, limits)


def test_text_is_invalid_image():
    err = raises(variants.text_file(), errors.InvalidImageError)
    assert err.code == "INVALID_IMAGE"


@pytest.mark.parametrize("data", [b"\x00", b"\xff" * 300, bytes(range(256)) * 4, b"BM",
                                  b"RIFF\x00\x00\x00\x00WAVE"])
def test_garbage_is_invalid_image(data):
    raises(data, errors.InvalidImageError)


def test_not_bytes_is_invalid_image():
    raises("a string, not bytes", errors.InvalidImageError)
    raises(None, errors.InvalidImageError)


@pytest.mark.parametrize("data, name", [
    (astronaut_bytes("GIF"), "gif"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 64, "avif"),
    (b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'/>", "svg"),
    (b"%PDF-1.7\n...", "pdf"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\x00" * 64, "jpeg2000"),
    (b"8BPS\x00\x01" + b"\x00" * 64, "psd"),
])
def test_known_but_refused_formats_are_unsupported(data, name):
    err = raises(data, errors.UnsupportedFormatError)
    assert err.code == "UNSUPPORTED_FORMAT" and err.http_status == 415
    assert err.details["format"] == name


def test_tiny_png_is_too_small():
    err = raises(variants.tiny_png(1, 1), errors.ImageTooSmallError)
    assert err.code == "IMAGE_TOO_SMALL"
    assert err.details == {"format": "png", "width": 1, "height": 1, "min_side": 200}


def test_min_side_boundary():
    raises(variants.tiny_png(300, 199), errors.ImageTooSmallError)
    assert decode_image(variants.tiny_png(300, 200)).shape == (200, 300, 3)


def test_truncated_jpeg_is_invalid():
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False       # decode relies on Pillow's default
    err = raises(variants.truncated_jpeg(), errors.InvalidImageError)
    assert err.details["format"] == "jpeg"


@pytest.mark.parametrize("fmt", ["png", "webp", "tiff"])
def test_truncated_files_are_invalid(fmt):
    data = astronaut_bytes(fmt.upper())
    raises(data[: len(data) // 2], errors.InvalidImageError)


def test_truncated_heic_is_invalid():
    data = variants.heic()
    raises(data[: len(data) // 2], errors.InvalidImageError)


def test_huge_png_header_is_rejected_fast_without_allocating():
    data = variants.huge_png_header(30000, 30000)
    assert len(data) < 100
    tracemalloc.start()
    started = time.perf_counter()
    err = raises(data, errors.ImageTooLargeError)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 5_000_000
    assert err.code == "IMAGE_TOO_LARGE"
    assert err.details == {"format": "png", "width": 30000, "height": 30000, "max_pixels": 40_000_000}


def test_huge_header_never_reaches_the_decoder(monkeypatch):
    def explode(_fp):
        raise AssertionError("the decoder must not be called")

    for fmt in ("png", "jpeg", "webp"):
        monkeypatch.setitem(decode._OPENERS, fmt, explode)
        raises(variants.huge_header(fmt, 16000, 16000), errors.ImageTooLargeError)


@pytest.mark.parametrize("fmt", ["png", "jpeg", "bmp", "tiff", "webp"])
@pytest.mark.parametrize("max_pixels", [40_000_000, 10**12])
def test_declared_huge_size_is_too_large_in_every_format_without_warnings(fmt, max_pixels):
    side = 16000 if fmt == "webp" else 30000          # 256 Mpx / 900 Mpx: past Pillow's bomb error limit too
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        started = time.perf_counter()
        err = raises(variants.huge_header(fmt, side, side), errors.ImageTooLargeError,
                     DecodeLimits(max_pixels=max_pixels))
        assert time.perf_counter() - started < 1.0
    assert err.details["max_pixels"] <= Image.MAX_IMAGE_PIXELS


def test_pixel_limit_boundary():
    data = astronaut_bytes("PNG")
    raises(data, errors.ImageTooLargeError, DecodeLimits(max_pixels=512 * 512 - 1))
    assert decode_image(data, DecodeLimits(max_pixels=512 * 512)).shape == (512, 512, 3)


def test_lowered_pillow_limit_still_gives_our_error_and_no_warning(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        raises(astronaut_bytes("JPEG"), errors.ImageTooLargeError)


@pytest.mark.parametrize("exc, error_class", [
    (Image.DecompressionBombError("bomb"), errors.ImageTooLargeError),
    (MemoryError(), errors.ImageTooLargeError),
    (OSError("broken data stream\nwith two lines"), errors.InvalidImageError),
    (SyntaxError("not a PNG file"), errors.InvalidImageError),
    (KeyError("unexpected"), errors.InvalidImageError),
])
def test_decoder_exceptions_are_mapped(monkeypatch, exc, error_class):
    def failing_opener(_fp):
        raise exc

    monkeypatch.setitem(decode._OPENERS, "png", failing_opener)
    err = raises(astronaut_bytes("PNG"), error_class)
    assert err.details["format"] == "png"


def _mutations(data: bytes, rng: random.Random, count: int) -> list[bytes]:
    cases = [data[:cut] for cut in (3, 8, 16, 24, 33, 64, 200, len(data) // 3, len(data) - 2)]
    for _ in range(count):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 12)):
            mutated[rng.randrange(min(len(mutated), 1500))] = rng.randrange(256)
        cases.append(bytes(mutated))
    return cases


@pytest.mark.filterwarnings("ignore::UserWarning")   # Pillow's "Corrupt EXIF data" etc. are expected here
@pytest.mark.parametrize("name", ["png", "jpeg", "webp", "tiff", "bmp", "heic", "cmyk"])
def test_damaged_files_only_ever_raise_typed_errors(name):
    small = np.ascontiguousarray(variants.scaled(0.5))
    builders = {"heic": variants.heic, "cmyk": variants.cmyk_jpeg}
    data = builders[name]() if name in builders else encode(small, name.upper())
    rng = random.Random(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        for case in _mutations(data, rng, 25):
            try:
                out = decode_image(case)
            except errors.IdPhotoError as err:
                assert isinstance(err, errors.InputError) and "\n" not in err.message
            else:
                assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3

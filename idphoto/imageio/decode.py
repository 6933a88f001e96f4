"""The decode stage: upload bytes -> upright HxWx3 uint8 sRGB array, or one typed error.

Accepted: JPEG (incl. MPO), PNG, WebP, HEIC/HEIF, TIFF, BMP. Recognised but refused (UNSUPPORTED_FORMAT):
GIF, AVIF, JPEG 2000, JPEG XL, JPEG XR, ICO, PSD, PDF, QOI, DDS, SVG -- an ID photo never needs them and GIF's
256-colour palette degrades a portrait. Anything else (text, garbage) is INVALID_IMAGE.

Order of checks: empty -> byte size -> format sniff -> declared pixel size (header, before decoding) -> open
(lazy) -> pixel size again -> decode -> colour to sRGB -> EXIF orientation. Nothing but an ``IdPhotoError``
leaves ``decode_image``. The pixel limit is never above Pillow's own ``MAX_IMAGE_PIXELS``, so Pillow's
decompression-bomb warning cannot fire for a file that passed our check (its error is mapped anyway).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import cv2
import numpy as np
import pillow_heif
from PIL import BmpImagePlugin, Image, JpegImagePlugin, PngImagePlugin, TiffImagePlugin, WebPImagePlugin

from idphoto.errors import (
    EmptyInputError,
    FileTooLargeError,
    IdPhotoError,
    ImageTooLargeError,
    ImageTooSmallError,
    InvalidImageError,
    UnsupportedFormatError,
)
from idphoto.imageio.color import to_rgb8
from idphoto.imageio.header import HEADER_FORMATS, declared_size
from idphoto.imageio.sniff import SUPPORTED_FORMATS, sniff_format, sniff_unsupported

__all__ = ["SUPPORTED_FORMATS", "DecodeLimits", "Frame", "decode_frame", "decode_image", "sniff_format",
           "working_copy"]

pillow_heif.register_heif_opener()

# Each accepted format is opened by its own Pillow plugin only: no guessing, and no Image.open() side checks.
_OPENERS = {
    "jpeg": JpegImagePlugin.jpeg_factory,          # returns an MpoImageFile for multi-picture JPEGs
    "png": PngImagePlugin.PngImageFile,
    "webp": WebPImagePlugin.WebPImageFile,
    "heif": pillow_heif.HeifImageFile,
    "tiff": TiffImagePlugin.TiffImageFile,
    "bmp": BmpImagePlugin.BmpImageFile,
}

_ORIENTATION_TAG = 0x0112


@dataclass(frozen=True)
class DecodeLimits:
    """Limits on uploads (env: IDPHOTO_DECODE_<FIELD>, via ``load_config(DecodeLimits, "DECODE")``)."""

    max_bytes: int = 25_000_000
    max_pixels: int = 40_000_000
    min_side: int = 200
    detect_max_side: int = 1024    # working-resolution cap for detection

    def validate(self) -> list[str]:
        problems = []
        if self.max_bytes <= 0:
            problems.append(f"max_bytes must be positive (got {self.max_bytes})")
        if self.min_side < 1:
            problems.append(f"min_side must be at least 1 (got {self.min_side})")
        if self.max_pixels < max(1, self.min_side) ** 2:
            problems.append(f"max_pixels ({self.max_pixels}) must allow a min_side x min_side image")
        pillow_limit = Image.MAX_IMAGE_PIXELS
        if pillow_limit is not None and self.max_pixels > pillow_limit:
            problems.append(f"max_pixels ({self.max_pixels}) must not exceed Pillow's MAX_IMAGE_PIXELS "
                            f"({pillow_limit})")
        if self.detect_max_side < 32:
            problems.append(f"detect_max_side must be at least 32 (got {self.detect_max_side})")
        return problems


@dataclass(frozen=True)
class Frame:
    """Upright sRGB pixels decoded at 1/``scale`` of the file's resolution (JPEG DCT scaling: pixel ``i`` covers
    full-resolution ``[scale * i, scale * (i + 1))``), and the upright full-resolution size (width, height)."""

    rgb: np.ndarray
    full_size: tuple[int, int]
    scale: int = 1

    def from_full(self) -> np.ndarray:
        """2×3 affine from full-resolution pixel indices to this frame's (pixel-centre convention)."""
        k = 1.0 / self.scale
        return np.array([[k, 0.0, 0.5 * k - 0.5], [0.0, k, 0.5 * k - 0.5]])


def decode_image(data: bytes, limits: DecodeLimits = DecodeLimits()) -> np.ndarray:
    """Upload bytes -> upright HxWx3 uint8 sRGB, C-contiguous. Raises only ``IdPhotoError`` subclasses."""
    return decode_frame(data, limits).rgb


def decode_frame(data: bytes, limits: DecodeLimits = DecodeLimits(), min_long_side: int = 0,
                 max_scale: int = 8) -> Frame:
    """``decode_image`` that may let libjpeg-turbo decode a JPEG at 1/2, 1/4 or 1/8 of its size (DCT scaling:
    much faster than decoding everything and resampling): the largest such scale, at most ``max_scale``, that
    keeps the longer side at least ``min_long_side`` px. Other formats, and the default 0, decode in full."""
    data = _as_bytes(data)
    if len(data) > limits.max_bytes:
        raise FileTooLargeError(f"the file is {len(data)} bytes, more than the {limits.max_bytes} allowed",
                                size_bytes=len(data), max_bytes=limits.max_bytes)
    fmt = _identify(data)
    if fmt in HEADER_FORMATS:
        size = declared_size(data, fmt)
        if size is None:
            raise InvalidImageError(f"the {fmt} header is damaged: no image size found", format=fmt)
        _check_pixels(size, fmt, limits)
    with _decoder_errors(fmt):
        image = _OPENERS[fmt](io.BytesIO(data))
        _check_pixels(image.size, fmt, limits)
        width, height = image.size
        scale = _draft(image, dct_scale(width, height, min_long_side, max_scale)) if fmt == "jpeg" else 1
        image.load()    # truncated data raises (relies on Pillow's default LOAD_TRUNCATED_IMAGES=False)
        orientation = _orientation(image)
        rgb = to_rgb8(image)
    full_size = (height, width) if orientation >= 5 else (width, height)
    return Frame(_apply_orientation(rgb, orientation), full_size, scale)


def dct_scale(width: int, height: int, min_long_side: int, max_scale: int = 8) -> int:
    """The largest of 8, 4, 2 (at most ``max_scale``) whose decode keeps the longer side >= ``min_long_side``;
    1 when none does (or ``min_long_side`` is 0)."""
    if min_long_side <= 0:
        return 1
    longest = max(width, height)
    return next((s for s in (8, 4, 2) if s <= max_scale and -(-longest // s) >= min_long_side), 1)


def _draft(image: Image.Image, scale: int) -> int:
    """Ask the JPEG decoder for 1/``scale`` of the pixels; the scale it will actually use (1 if none)."""
    if scale <= 1:
        return 1
    width, height = image.size
    if image.draft(image.mode, (max(1, width // scale), max(1, height // scale))) is None:
        return 1
    return int(image.decoderconfig[0]) if image.decoderconfig else 1


def working_copy(rgb: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """A copy whose longer side is ``max_side`` (INTER_AREA) and the factor with small = full * scale.

    An image already no larger than ``max_side`` is returned as is (same object, scale 1.0).
    """
    if max_side < 1:
        raise ValueError(f"max_side must be positive, got {max_side}")
    height, width = rgb.shape[:2]
    longest = max(height, width)
    if longest <= max_side:
        return rgb, 1.0
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), scale


def _as_bytes(data: object) -> bytes:
    if isinstance(data, bytes):
        result = data
    elif isinstance(data, (bytearray, memoryview)):
        result = bytes(data)
    else:
        raise InvalidImageError(f"expected image bytes, got {type(data).__name__}", type=type(data).__name__)
    if not result:
        raise EmptyInputError()
    return result


def _identify(data: bytes) -> str:
    fmt = sniff_format(data)
    if fmt is not None:
        return fmt
    other = sniff_unsupported(data)
    if other is not None:
        raise UnsupportedFormatError(
            f"{other} images are not supported; use one of {', '.join(SUPPORTED_FORMATS)}",
            format=other, supported=list(SUPPORTED_FORMATS))
    raise InvalidImageError("the file is not a readable image (unknown format)", size_bytes=len(data))


def _check_pixels(size: tuple[int, int], fmt: str, limits: DecodeLimits) -> None:
    width, height = int(size[0]), int(size[1])
    if width <= 0 or height <= 0:
        raise InvalidImageError(f"the {fmt} image declares an empty size {width}x{height}",
                                format=fmt, width=width, height=height)
    max_pixels = limits.max_pixels
    if Image.MAX_IMAGE_PIXELS is not None:
        max_pixels = min(max_pixels, int(Image.MAX_IMAGE_PIXELS))
    if width * height > max_pixels:
        raise ImageTooLargeError(
            f"the image is {width}x{height} ({width * height} pixels), more than the {max_pixels} allowed",
            format=fmt, width=width, height=height, max_pixels=max_pixels)
    if min(width, height) < limits.min_side:
        raise ImageTooSmallError(
            f"the image is {width}x{height}; its shorter side must be at least {limits.min_side} pixels",
            format=fmt, width=width, height=height, min_side=limits.min_side)




@contextmanager
def _decoder_errors(fmt: str) -> Iterator[None]:
    """Map whatever the decoders raise to typed errors with a one-line message."""
    try:
        yield
    except IdPhotoError:
        raise
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError("the image has more pixels than allowed", format=fmt,
                                 reason=_one_line(exc)) from None
    except MemoryError:
        raise ImageTooLargeError("not enough memory to decode the image", format=fmt) from None
    except Exception as exc:  # noqa: BLE001 - OSError, SyntaxError, ValueError, struct.error, ...
        raise InvalidImageError(f"the {fmt} file is damaged or truncated and cannot be decoded", format=fmt,
                                reason=_one_line(exc), exception=type(exc).__name__) from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300]


def _orientation(image: Image.Image) -> int:
    """EXIF (or XMP) orientation 1-8; 1 when absent or unreadable. pillow-heif already applies HEIF's own."""
    try:
        value = int(image.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not fail an otherwise good photo
        return 1
    return value if 1 <= value <= 8 else 1


def _apply_orientation(rgb: np.ndarray, orientation: int) -> np.ndarray:
    """Turn stored pixels upright for EXIF orientation 1-8 (TIFF/EXIF 'row 0 / column 0' convention)."""
    ops = {
        2: lambda a: a[:, ::-1],                      # mirrored horizontally
        3: lambda a: a[::-1, ::-1],                   # rotated 180
        4: lambda a: a[::-1, :],                      # mirrored vertically
        5: lambda a: a.transpose(1, 0, 2),            # mirrored along the main diagonal
        6: lambda a: np.rot90(a, k=-1),               # stored 90 CCW -> turn 90 clockwise
        7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],  # mirrored along the anti-diagonal
        8: lambda a: np.rot90(a, k=1),                # stored 90 CW -> turn 90 counter-clockwise
    }
    op = ops.get(orientation)
    return rgb if op is None else np.ascontiguousarray(op(rgb))

"""Test-image variants, all made in code from ``tests.support.images.astronaut()`` (512x512 RGB).

Byte builders return encoded files (for decode / end-to-end tests); array builders return HxWx3 uint8 RGB.
Geometry conventions: sizes are (width, height); angles are degrees, positive = counter-clockwise on screen,
exactly as ``cv2.getRotationMatrix2D``.
"""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageCms

from tests.support.images import astronaut, encode

# Pillow transpose that turns the upright image into the stored pixels for each EXIF orientation, i.e. the
# inverse of what a viewer applies (2,3,4,5,7 are their own inverse; 6 and 8 swap).
_STORE_FOR_ORIENTATION = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,     # viewer turns it 90 degrees clockwise
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,    # viewer turns it 90 degrees counter-clockwise
}


def exif_rotated_jpeg(orientation: int, rgb: np.ndarray | None = None, quality: int = 95) -> bytes:
    """JPEG whose stored pixels are turned so that applying its EXIF Orientation tag gives ``rgb`` (default:
    the upright astronaut) back."""
    upright = Image.fromarray(astronaut() if rgb is None else rgb)
    method = _STORE_FOR_ORIENTATION[orientation]
    stored = upright if method is None else upright.transpose(method)
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


@lru_cache(maxsize=4)
def cmyk_jpeg(quality: int = 95) -> bytes:
    """CMYK JPEG (Pillow writes it Adobe-style, inverted, with an APP14 marker) with a real black channel:
    K = 255 - max(R, G, B) and C, M, Y chosen so that Pillow's CMYK->RGB gives the astronaut back."""
    rgb = astronaut().astype(np.float64)
    peak = rgb.max(axis=2, keepdims=True)
    k = 255.0 - peak
    cmy = np.where(peak > 0, 255.0 - rgb * 255.0 / np.maximum(peak, 1.0), 0.0)
    cmyk = np.clip(np.rint(np.concatenate([cmy, k], axis=2)), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.frombytes("CMYK", (cmyk.shape[1], cmyk.shape[0]), cmyk.tobytes()).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def png16(grey: bool = False) -> bytes:
    """16-bit PNG with every 8-bit value v stored as v * 257: 48-bit RGB, or 16-bit grey (red channel)."""
    wide = astronaut().astype(np.uint16) * 257
    pixels = wide[..., 0] if grey else cv2.cvtColor(wide, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", pixels)
    assert ok
    return buf.tobytes()


def tiff16() -> bytes:
    """48-bit RGB TIFF (v * 257), LZW-compressed as OpenCV writes it."""
    ok, buf = cv2.imencode(".tiff", cv2.cvtColor(astronaut().astype(np.uint16) * 257, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


@lru_cache(maxsize=4)
def heic(quality: int = 90) -> bytes:
    """The astronaut as HEIC (x265 via pillow-heif); cached, as encoding takes ~0.5 s."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    return encode(astronaut(), "HEIF", quality=quality)


# --- ICC -------------------------------------------------------------------------------------------------
# Adobe RGB (1998) colorants adapted to the D50 profile connection space, gamma 563/256.
_ADOBE_COLORANTS = {"rXYZ": (0.60974, 0.31111, 0.01947), "gXYZ": (0.20528, 0.62567, 0.06087),
                    "bXYZ": (0.14919, 0.06322, 0.74457)}
_D50 = (0.9642, 1.0, 0.82491)


def _s15f16(values: tuple[float, ...]) -> bytes:
    return b"".join(struct.pack(">i", round(v * 65536)) for v in values)


def _icc_tags(description: str) -> dict[bytes, bytes]:
    desc = description.encode("ascii") + b"\0"
    return {
        b"desc": b"desc\0\0\0\0" + struct.pack(">I", len(desc)) + desc + b"\0" * (4 + 4 + 2 + 1 + 67),
        b"cprt": b"text\0\0\0\0" + b"No copyright, test profile\0",
        b"wtpt": b"XYZ \0\0\0\0" + _s15f16(_D50),
    }


def matrix_trc_profile(description: str = "Adobe RGB (1998) test", gamma: float = 563 / 256,
                       colorants: dict[str, tuple[float, float, float]] | None = None) -> bytes:
    """A minimal ICC v2 RGB display profile (matrix + one gamma curve), built byte by byte."""
    tags = _icc_tags(description)
    for name, xyz in (colorants or _ADOBE_COLORANTS).items():
        tags[name.encode()] = b"XYZ \0\0\0\0" + _s15f16(xyz)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    for name in (b"rTRC", b"gTRC", b"bTRC"):
        tags[name] = curve
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, body = b"", b""
    for sig, payload in tags.items():
        payload += b"\0" * (-len(payload) % 4)
        entries += sig + struct.pack(">II", offset + len(body), len(payload))
        body += payload
    size = offset + len(body)
    header = (struct.pack(">I", size) + b"lcms" + bytes([2, 0x10, 0, 0]) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 24 + struct.pack(">I", 0)
              + _s15f16(_D50) + b"test" + b"\0" * 44)
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + entries + body


def with_icc(profile: str = "adobe", fmt: str = "PNG") -> bytes:
    """The astronaut converted into another colour space and saved with that embedded ICC profile, so a
    correct decoder (profile -> sRGB) gives the astronaut back. ``profile``: "adobe" (Adobe RGB 1998-like,
    hand-built) or "srgb" (lcms' built-in sRGB; pixels stored unchanged)."""
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    image = Image.fromarray(astronaut())
    if profile == "adobe":
        icc = matrix_trc_profile()
        target = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        image = ImageCms.applyTransform(image, ImageCms.buildTransform(srgb, target, "RGB", "RGB"))
    elif profile == "srgb":
        icc = srgb.tobytes()
    else:
        raise ValueError(f"unknown profile {profile!r}")
    return encode(np.asarray(image), fmt, icc_profile=icc)


# --- bad inputs --------------------------------------------------------------------------------------------
def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def huge_png_header(w: int = 30000, h: int = 30000) -> bytes:
    """A tiny PNG (under 100 bytes) whose IHDR (valid CRC) declares w x h 8-bit RGB; the data is a stub."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + _png_chunk(b"IEND", b""))


def truncated_jpeg() -> bytes:
    """The astronaut as a JPEG cut in half."""
    data = encode(astronaut(), "JPEG", quality=90)
    return data[: len(data) // 2]


def text_file() -> bytes:
    return b"This is a plain text file, not a photo.\nIt has two lines.\n"


def tiny_png(w: int = 1, h: int = 1) -> bytes:
    return encode(np.full((h, w, 3), 128, np.uint8), "PNG")


# --- geometry and lighting variants (arrays) ---------------------------------------------------------------
def rotated_canvas_matrix(angle_deg: float, canvas: tuple[int, int] = (900, 800)) -> np.ndarray:
    """2x3 affine mapping astronaut pixels to ``rotated_canvas`` pixels (centred, then rotated about the
    canvas centre; positive angle = counter-clockwise, as cv2.getRotationMatrix2D)."""
    width, height = canvas
    src = astronaut()
    shift = np.array([[1, 0, (width - src.shape[1]) / 2], [0, 1, (height - src.shape[0]) / 2], [0, 0, 1.0]])
    rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle_deg, 1.0)
    return rotation @ shift


def rotated_canvas(angle_deg: float, canvas: tuple[int, int] = (900, 800),
                   bg: tuple[int, int, int] = (200, 200, 200)) -> np.ndarray:
    """The astronaut centred on a ``canvas`` = (width, height) of colour ``bg`` and rotated by ``angle_deg``
    about the canvas centre (positive = counter-clockwise). Map points with ``rotated_canvas_matrix``."""
    matrix = rotated_canvas_matrix(angle_deg, canvas)
    return cv2.warpAffine(astronaut(), matrix, canvas, flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=tuple(int(c) for c in bg))


def scaled(factor: float) -> np.ndarray:
    """The astronaut resized by ``factor`` (INTER_AREA when shrinking, INTER_CUBIC when enlarging)."""
    src = astronaut()
    size = (max(1, round(src.shape[1] * factor)), max(1, round(src.shape[0] * factor)))
    interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    return cv2.resize(src, size, interpolation=interpolation)


def lighting(gain: float, gamma: float) -> np.ndarray:
    """out = clip(255 * gain * (in / 255) ** gamma): gamma > 1 darkens mid-tones, gain scales everything."""
    normalised = astronaut().astype(np.float64) / 255.0
    return np.clip(np.rint(255.0 * gain * normalised ** gamma), 0, 255).astype(np.uint8)


def on_background(rgb_color: tuple[int, int, int], canvas: tuple[int, int] = (900, 800)) -> np.ndarray:
    """The astronaut (unrotated) centred on a canvas of ``rgb_color``. The astronaut's own studio backdrop
    stays inside its 512x512 square: only the surround changes."""
    return rotated_canvas(0.0, canvas, bg=rgb_color)


def huge_header(fmt: str, w: int = 30000, h: int = 30000) -> bytes:
    """A small real file (8x8 grey) whose header is patched to declare w x h: "png", "jpeg", "bmp", "tiff"
    or "webp" (lossy VP8: at most 16383 per side). Only the declared size is valid, not the data."""
    if fmt == "png":
        return huge_png_header(w, h)
    data = bytearray(encode(np.full((8, 8, 3), 128, np.uint8), fmt.upper()))
    if fmt == "jpeg":
        sof = data.index(b"\xff\xc0")
        data[sof + 5:sof + 9] = struct.pack(">HH", h, w)
    elif fmt == "bmp":
        data[18:26] = struct.pack("<ii", w, h)
    elif fmt == "webp":
        assert data[12:16] == b"VP8 " and w < 16384 and h < 16384
        data[26:30] = struct.pack("<HH", w, h)
    elif fmt == "tiff":
        _patch_tiff_size(data, w, h)
    else:
        raise ValueError(f"unsupported format {fmt!r}")
    return bytes(data)


def _patch_tiff_size(data: bytearray, w: int, h: int) -> None:
    """Rewrite ImageWidth/ImageLength in the first IFD of a little-endian classic TIFF."""
    assert data[:4] == b"II*\x00"
    (ifd,) = struct.unpack("<I", data[4:8])
    (count,) = struct.unpack("<H", data[ifd:ifd + 2])
    for entry in range(ifd + 2, ifd + 2 + 12 * count, 12):
        tag, _kind = struct.unpack("<HH", data[entry:entry + 4])
        if tag in (256, 257):
            value = w if tag == 256 else h
            data[entry + 2:entry + 12] = struct.pack("<HII", 4, 1, value)   # LONG, one value

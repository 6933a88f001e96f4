"""Declared pixel size read straight from the header bytes, before any decoder sees the file.

Pillow decodes a WebP's whole canvas while *opening* it, and opening a multi-picture JPEG (MPO) already runs
Pillow's own decompression-bomb check. So for those formats (and PNG, where it is trivial) the size is read
here and the pixel limit enforced first. For TIFF, BMP and HEIF opening is lazy, so the size Pillow reports
after opening is checked before ``load()``.
"""

from __future__ import annotations

import struct

HEADER_FORMATS = frozenset({"jpeg", "png", "webp"})

# Start-of-frame markers (baseline, progressive, lossless, arithmetic...): not DHT (C4), JPG (C8), DAC (CC).
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_JPEG_STANDALONE = frozenset({0x01, 0xD8, *range(0xD0, 0xD8)})


def declared_size(data: bytes, fmt: str) -> tuple[int, int] | None:
    """(width, height) the header declares; None if unreadable or ``fmt`` is not in HEADER_FORMATS."""
    reader = {"jpeg": _jpeg_size, "png": _png_size, "webp": _webp_size}.get(fmt)
    if reader is None:
        return None
    try:
        size = reader(data)
    except (struct.error, IndexError):
        return None
    if size is None or size[0] <= 0 or size[1] <= 0:
        return None
    return size


def _png_size(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the marker segments up to the first start-of-frame; None if scan data or the end comes first."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:                       # fill byte before a marker
            pos += 1
            continue
        if marker in _JPEG_STANDALONE:
            pos += 2
            continue
        if marker in (0xD9, 0xDA):               # end of image / start of scan before any frame header
            return None
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return width, height
        pos += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":                         # lossy: key frame start code, then 14-bit sizes
        if data[23:26] != b"\x9d\x01\x2a":
            return None
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    if chunk == b"VP8L":                         # lossless: signature byte, then 14+14 bits of size-1
        if data[20] != 0x2F:
            return None
        (bits,) = struct.unpack("<I", data[21:25])
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":                         # extended: 24-bit canvas size-1
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None

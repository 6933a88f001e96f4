"""Recognise an upload's image format from its first bytes (magic numbers), never from a file name.

``sniff_format`` names the formats decode accepts; ``sniff_unsupported`` names well-known image (or
image-like) formats we deliberately refuse, so they are reported as UNSUPPORTED_FORMAT, not INVALID_IMAGE.
"""

from __future__ import annotations

SUPPORTED_FORMATS = ("jpeg", "png", "webp", "heif", "tiff", "bmp")

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"heif"}
_GENERIC_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2", b"mif3"}
_AVIF_BRANDS = {b"avif", b"avis"}
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")   # classic and BigTIFF, both byte orders


def _ftyp_brands(data: bytes) -> tuple[bytes, list[bytes]] | None:
    """Major brand and compatible brands of an ISO-BMFF ``ftyp`` box at the start of ``data``."""
    if len(data) < 12 or data[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(data[0:4], "big")
    end = min(len(data), box_size) if box_size >= 16 else 16
    compatible = [data[i:i + 4] for i in range(16, end - 3, 4)]
    return data[8:12], compatible


def _isobmff_kind(data: bytes) -> str | None:
    """"heif", "avif" or None for an ISO-BMFF file (HEIF family) judged by its brands."""
    brands = _ftyp_brands(data)
    if brands is None:
        return None
    major, compatible = brands
    if major in _HEIF_BRANDS:
        return "heif"
    if major in _AVIF_BRANDS:
        return "avif"
    if major in _GENERIC_HEIF_BRANDS:
        if any(b in _AVIF_BRANDS for b in compatible) and not any(b in _HEIF_BRANDS for b in compatible):
            return "avif"
        return "heif"
    return None


def sniff_format(data: bytes) -> str | None:
    """"jpeg", "png", "webp", "heif", "tiff" or "bmp" from the magic bytes; None when it is none of those."""
    head = bytes(data[:64])
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[0:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[0:4] in _TIFF_MAGIC:
        return "tiff"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if _isobmff_kind(head) == "heif":
        return "heif"
    return None


_UNSUPPORTED_MAGIC = (
    (b"GIF87a", "gif"), (b"GIF89a", "gif"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jpeg2000"), (b"\xff\x4f\xff\x51", "jpeg2000"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "jpegxl"), (b"\xff\x0a", "jpegxl"),
    (b"\x00\x00\x01\x00", "ico"), (b"8BPS", "psd"), (b"%PDF", "pdf"), (b"qoif", "qoi"),
    (b"II\xbc\x01", "jpegxr"), (b"DDS ", "dds"),
)


def sniff_unsupported(data: bytes) -> str | None:
    """Name of a recognised image format that decode refuses (GIF, AVIF, JPEG 2000, JPEG XL, SVG, ...)."""
    head = bytes(data[:256])
    for magic, name in _UNSUPPORTED_MAGIC:
        if head.startswith(magic):
            return name
    if _isobmff_kind(head) == "avif":
        return "avif"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") and b"<svg" in text):
        return "svg"
    return None

"""Any loaded Pillow image -> HxWx3 uint8 sRGB array.

Steps: normalise the mode (16-bit/float grey scaled to 8 bits, palette/YCbCr/... expanded), split off alpha,
convert the colour part to sRGB through its embedded ICC profile when there is a usable one (plain Pillow
conversion otherwise, e.g. naive CMYK), then composite alpha over white.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageCms

_HIGH_DEPTH_GREY = frozenset({"I", "F", "I;16", "I;16L", "I;16B", "I;16N"})
_DIRECT = {"1": "L", "P": "RGB", "PA": "RGBA", "La": "LA", "RGBa": "RGBA", "RGBX": "RGB", "YCbCr": "RGB",
           "HSV": "RGB"}
_ALPHA_MODES = {"LA": "L", "RGBA": "RGB"}


# Profiles are made per call (~0.2 ms): lcms profile handles are not safe to share between threads.
def _srgb_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


def _lab_profile() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("LAB"))


def to_rgb8(im: Image.Image) -> np.ndarray:
    """HxWx3 uint8 C-contiguous, writable sRGB pixels of a loaded image; alpha is composited over white."""
    icc = im.info.get("icc_profile") or None
    colour, alpha = _split_alpha(_normalise_mode(im))
    rgb = np.array(_to_srgb(colour, icc), dtype=np.uint8)    # a writable copy (asarray would be read-only)
    if alpha is not None:
        rgb = composite_over_white(rgb, np.asarray(alpha, dtype=np.uint8))
    return np.ascontiguousarray(rgb)


def scale_to_8bit(values: np.ndarray) -> np.ndarray:
    """Grey levels of any depth -> uint8: floats in [0, 1] scale by 255, values above 255 are read as 16-bit
    (rounded v/257), anything else is taken as already 8-bit; out-of-range values are clipped."""
    values = np.asarray(values)
    peak = float(values.max()) if values.size else 0.0
    as_float = values.astype(np.float64)
    if values.dtype.kind == "f" and peak <= 1.0:
        scaled = as_float * 255.0
    elif peak > 255:
        scaled = np.clip(as_float, 0, 65535) / 257.0
    else:
        scaled = as_float
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _normalise_mode(im: Image.Image) -> Image.Image:
    """The image in L, LA, RGB, RGBA, CMYK or LAB (8 bits per channel), keeping ``info`` (ICC) for later."""
    mode = im.mode
    if mode in _HIGH_DEPTH_GREY:
        return Image.fromarray(scale_to_8bit(np.asarray(im)), mode="L")
    if mode == "P" and "transparency" in im.info:
        return im.convert("RGBA")
    if mode in _DIRECT:
        return im.convert(_DIRECT[mode])
    if mode in ("L", "LA", "RGB", "RGBA", "CMYK", "LAB"):
        return im
    return im.convert("RGBA")          # any other mode Pillow can open: let it expand, keep a possible alpha


def _split_alpha(im: Image.Image) -> tuple[Image.Image, Image.Image | None]:
    colour_mode = _ALPHA_MODES.get(im.mode)
    if colour_mode is None:
        return im, None
    alpha = im.getchannel("A")
    if alpha.getextrema() == (255, 255):
        alpha = None
    return im.convert(colour_mode), alpha


def _to_srgb(colour: Image.Image, icc: bytes | None) -> Image.Image:
    if colour.mode == "LAB":
        return ImageCms.applyTransform(colour, ImageCms.buildTransform(_lab_profile(), _srgb_profile(),
                                                                       "LAB", "RGB"))
    if icc is not None:
        converted = _apply_icc(colour, icc)
        if converted is not None:
            return converted
    return colour.convert("RGB")


def _apply_icc(colour: Image.Image, icc: bytes) -> Image.Image | None:
    """``colour`` converted from its embedded profile to sRGB; None if the profile is unusable for this mode
    (damaged, or made for another colour space): the caller then falls back to a plain conversion."""
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if colour.mode == "RGB" and _is_srgb(profile):
            return colour
        transform = ImageCms.buildTransform(profile, _srgb_profile(), colour.mode, "RGB")
        return ImageCms.applyTransform(colour, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None


def _is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    """Embedded sRGB profiles are skipped: the pixels already are sRGB, and skipping keeps them bit-exact."""
    try:
        description = ImageCms.getProfileDescription(profile)
    except ImageCms.PyCMSError:
        return False
    return "srgb" in description.lower()


def composite_over_white(rgb: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 colour over a white background with HxW uint8 alpha (rounded integer blend)."""
    a = alpha.astype(np.uint16)[..., None]
    blended = rgb.astype(np.uint16) * a + (255 - a) * 255 + 127
    return (blended // 255).astype(np.uint8)

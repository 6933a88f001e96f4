"""Tone and detail adjustments for the finished photo. 0 for every option is exactly the identity.

Units (all linear in the slider value, so every option is monotonic):

* ``brightness`` in [-100, 100]: exposure in linear light, gain ``2 ** (brightness / 100)``.
  +100 = +1 stop (linear luminance x2), -100 = -1 stop (x0.5), +25 = +0.25 stop (about +19% luminance).
  Channels are scaled together, so hue is kept; values that would pass white are clipped.
* ``contrast`` in [-100, 100]: slope of the sRGB tone curve about mid-grey (sRGB 0.5, i.e. 128),
  slope ``2 ** (contrast / 100)``. +100 = slope x2 (mid-grey stays, 0.75 -> 1.0), -100 = slope x0.5
  (0 -> 0.25, 1 -> 0.75).
* ``saturation`` in [-100, 100]: chroma scale ``1 + saturation / 100`` about each pixel's Rec.709 luma.
  -100 = grey (R = G = B = luma), +100 = chroma x2. The hue (HSV) of unclipped pixels is unchanged.
* ``sharpness`` in [0, 100]: unsharp mask on luma, Gaussian sigma 1.0 px, amount ``1.5 * sharpness / 100``
  (+100 adds 150% of the high-pass detail). Colours are not fringed: the same luma detail is added to R, G, B.

``protect`` is an optional HxW weight in [0, 1] saying how much of the adjustment each pixel gets: 1 = fully
adjusted, 0 = left exactly as it was (use the person's alpha to keep the background colour exact).
"""

from __future__ import annotations

import cv2
import numpy as np

from idphoto.domain.options import check_adjustment
from idphoto.errors import InternalError
from services.compose.colour_difference import linear_to_srgb, srgb_to_linear

_LUMA = np.array([0.2126, 0.7152, 0.0722])
SHARPEN_SIGMA = 1.0
SHARPEN_MAX_AMOUNT = 1.5


def _luma(img: np.ndarray) -> np.ndarray:
    return img @ _LUMA


def _brightness(img: np.ndarray, value: float) -> np.ndarray:
    gain = 2.0 ** (value / 100.0)
    return linear_to_srgb(srgb_to_linear(img) * gain)


def _contrast(img: np.ndarray, value: float) -> np.ndarray:
    slope = 2.0 ** (value / 100.0)
    return np.clip((img - 0.5) * slope + 0.5, 0.0, 1.0)


def _saturation(img: np.ndarray, value: float) -> np.ndarray:
    y = _luma(img)[..., None]
    if value == -100:
        return np.repeat(y, 3, axis=-1)
    return np.clip(y + (img - y) * (1.0 + value / 100.0), 0.0, 1.0)


def _sharpen(img: np.ndarray, value: float) -> np.ndarray:
    y = _luma(img)
    blurred = cv2.GaussianBlur(y, (0, 0), SHARPEN_SIGMA, borderType=cv2.BORDER_REFLECT)
    detail = (y - blurred) * (SHARPEN_MAX_AMOUNT * value / 100.0)
    return np.clip(img + detail[..., None], 0.0, 1.0)


def _check_protect_shape(protect: np.ndarray | None, shape: tuple[int, ...]) -> None:
    if protect is not None and np.shape(protect) != shape[:2]:
        raise InternalError("adjust: protect must be HxW like the image", protect=list(np.shape(protect)),
                            image=list(shape))


def _check_protect(protect: np.ndarray | None, shape: tuple[int, ...]) -> np.ndarray | None:
    if protect is None:
        return None
    _check_protect_shape(protect, shape)
    weights = np.asarray(protect, dtype=np.float64)
    return np.clip(np.nan_to_num(weights, nan=0.0), 0.0, 1.0)


def adjust(rgb: np.ndarray, brightness: float = 0.0, contrast: float = 0.0, saturation: float = 0.0,
           sharpness: float = 0.0, protect: np.ndarray | None = None) -> np.ndarray:
    """Apply brightness, contrast, saturation then sharpness (units in the module docstring) to HxWx3 uint8.

    All options 0 returns an equal copy. Out-of-range values raise InvalidOptionError naming the option.
    """
    raw = {"brightness": brightness, "contrast": contrast, "saturation": saturation, "sharpness": sharpness}
    values = {name: check_adjustment(name, v) for name, v in raw.items()}
    src = np.asarray(rgb)
    if src.ndim != 3 or src.shape[2] != 3 or src.dtype != np.uint8:
        raise InternalError("adjust needs an HxWx3 uint8 image", shape=list(src.shape), dtype=str(src.dtype))
    if all(v == 0 for v in values.values()):
        _check_protect_shape(protect, src.shape)
        return src.copy()
    weights = _check_protect(protect, src.shape)
    if weights is not None and not weights.any():
        return src.copy()
    img = src.astype(np.float64) / 255.0
    steps = (("brightness", _brightness), ("contrast", _contrast), ("saturation", _saturation),
             ("sharpness", _sharpen))
    for name, step in steps:
        if values[name] != 0:
            img = step(img, values[name])
    out = img * 255.0
    if weights is not None:
        original = src.astype(np.float64)
        out = original + (out - original) * weights[..., None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)

"""Test images made in code from skimage's public-domain astronaut portrait (NASA). Never commit people photos."""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image


@lru_cache(maxsize=1)
def _astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def astronaut() -> np.ndarray:
    """512x512 RGB uint8 (a fresh copy)."""
    return _astronaut().copy()


def encode(rgb: np.ndarray, fmt: str = "PNG", **save_args) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format=fmt, **save_args)
    return buf.getvalue()


def astronaut_bytes(fmt: str = "PNG", **save_args) -> bytes:
    return encode(astronaut(), fmt, **save_args)

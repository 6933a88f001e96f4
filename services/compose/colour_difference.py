"""Colour difference for the compliance report and the adjustments: sRGB <-> linear light, CIELAB (D65) and
CIEDE2000. Pure numpy, no I/O."""

from __future__ import annotations

import numpy as np

from idphoto.errors import InternalError

_SRGB_TO_XYZ = np.array([[0.4124564, 0.3575761, 0.1804375],
                         [0.2126729, 0.7151522, 0.0721750],
                         [0.0193339, 0.1191920, 0.9503041]])
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """sRGB-encoded values in [0, 1] -> linear light in [0, 1]."""
    v = np.asarray(values, dtype=np.float64)
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(values: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] -> sRGB-encoded values in [0, 1] (input is clipped to [0, 1])."""
    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, 1.0)
    return np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)


def rgb_to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB uint8 (..., 3) -> CIELAB (D65 white, 2 degree observer) float64 (..., 3)."""
    arr = np.asarray(rgb)
    if arr.shape[-1:] != (3,):
        raise InternalError("rgb_to_lab needs an array whose last axis is 3", shape=list(arr.shape))
    xyz = srgb_to_linear(arr.astype(np.float64) / 255.0) @ _SRGB_TO_XYZ.T
    t = xyz / _D65_WHITE
    eps, kappa = 216 / 24389, 24389 / 27
    f = np.where(t > eps, np.cbrt(t), (kappa * t + 16) / 116)
    lab = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab


def _hue_deg(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Hue angle in [0, 360) degrees; 0 where a == b == 0 (as CIEDE2000 specifies)."""
    h = np.degrees(np.arctan2(b, a)) % 360.0
    return np.where((a == 0) & (b == 0), 0.0, h)


def _mean_hue_and_delta(h1: np.ndarray, h2: np.ndarray, c_prod: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """CIEDE2000's hue difference dh' and mean hue h-bar' (degrees), with the achromatic special cases."""
    diff = h2 - h1
    dh = np.where(diff > 180, diff - 360, np.where(diff < -180, diff + 360, diff))
    dh = np.where(c_prod == 0, 0.0, dh)
    total = h1 + h2
    far = np.abs(h1 - h2) > 180
    h_bar = np.where(far, np.where(total < 360, (total + 360) / 2, (total - 360) / 2), total / 2)
    h_bar = np.where(c_prod == 0, total, h_bar)
    return dh, h_bar


def delta_e2000(lab1: np.ndarray, lab2: np.ndarray, kl: float = 1.0, kc: float = 1.0,
                kh: float = 1.0) -> np.ndarray:
    """CIEDE2000 colour difference between CIELAB arrays (..., 3), broadcasting; returns float64 (...)."""
    l1, a1, b1 = np.moveaxis(np.asarray(lab1, dtype=np.float64), -1, 0)
    l2, a2, b2 = np.moveaxis(np.asarray(lab2, dtype=np.float64), -1, 0)
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    c_bar7 = c_bar ** 7
    g = 0.5 * (1 - np.sqrt(c_bar7 / (c_bar7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p, h2p = _hue_deg(b1, a1p), _hue_deg(b2, a2p)
    dlp, dcp = l2 - l1, c2p - c1p
    dhp_deg, h_bar = _mean_hue_and_delta(h1p, h2p, c1p * c2p)
    dhp = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dhp_deg) / 2)
    l_bar, cp_bar = (l1 + l2) / 2, (c1p + c2p) / 2
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    cp_bar7 = cp_bar ** 7
    rc = 2 * np.sqrt(cp_bar7 / (cp_bar7 + 25.0 ** 7))
    sl = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    sc = 1 + 0.045 * cp_bar
    sh = 1 + 0.015 * cp_bar * t
    rt = -np.sin(np.radians(2 * d_theta)) * rc
    tl, tc, th = dlp / (kl * sl), dcp / (kc * sc), dhp / (kh * sh)
    return np.sqrt(tl ** 2 + tc ** 2 + th ** 2 + rt * tc * th)


def mean_delta_e(pixels_rgb: np.ndarray, target_rgb: tuple[int, int, int]) -> float:
    """Mean CIEDE2000 between sRGB uint8 pixels (..., 3) and one target colour."""
    pixels = np.asarray(pixels_rgb).reshape(-1, 3)
    if pixels.shape[0] == 0:
        raise InternalError("mean_delta_e needs at least one pixel")
    target = rgb_to_lab(np.asarray(target_rgb, dtype=np.uint8).reshape(1, 3))
    return float(delta_e2000(rgb_to_lab(pixels), target).mean())

"""Foreground decontamination on synthetic composites I = αF + (1−α)B with known F, B and a soft alpha."""

from __future__ import annotations

import numpy as np
import pytest

from services.matting.foreground import OPAQUE, estimate_foreground, keep_opaque

H, W = 200, 240


def _layers() -> tuple[np.ndarray, np.ndarray]:
    """A warm, gently textured foreground and a cool, differently textured background (float 0..255)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    fg = np.dstack([200 + 30 * np.sin(y / 17), 140 + 20 * np.cos(x / 23), 110 + 15 * np.sin((x + y) / 29)])
    bg = np.dstack([40 + 20 * np.cos(y / 31), 90 + 30 * np.sin(x / 19), 210 + 20 * np.cos((x - y) / 37)])
    return fg, bg


def _composite(alpha: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    fg, bg = _layers()
    image = np.rint(alpha[..., None] * fg + (1 - alpha[..., None]) * bg).astype(np.uint8)
    return image, fg


def _ramp(width: float) -> np.ndarray:
    """Opaque left of x = 100, falling linearly to 0 over ``width`` pixels."""
    x = np.arange(W, dtype=np.float64)[None, :].repeat(H, axis=0)
    return np.clip((100 + width - x) / width, 0, 1).astype(np.float32)


def _disc(radius: float = 60, soft: float = 12) -> np.ndarray:
    """A disc in the middle with a soft rim ``soft`` pixels wide (a 2-D boundary, like a head)."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    r = np.hypot(y - H / 2, x - W / 2)
    return np.clip((radius + soft - r) / soft, 0, 1).astype(np.float32)


def _errors(alpha: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
    image, fg_true = _composite(alpha)
    estimate = estimate_foreground(image, alpha)
    soft = (alpha > 0.05) & (alpha < 0.95)
    err_est = float(np.abs(estimate.astype(np.float64) - fg_true)[soft].mean())
    err_raw = float(np.abs(image.astype(np.float64) - fg_true)[soft].mean())
    return err_est, err_raw, image, estimate


# measured mean abs error over the soft pixels (estimate vs raw image), in 8-bit levels:
#   ramp 10 px 6.7 vs 55.2 · ramp 30 px 19.9 vs 53.9 · disc rim 12 px 7.3 vs 54.4
#   (before B was refined too, i.e. with the background mean taken from the raw image at both scales:
#   14.3, 29.7 and 14.2 — more than half of the old background left on the 30 px ramp)
@pytest.mark.parametrize("alpha, ratio", [(_ramp(10), 0.2), (_ramp(30), 0.5), (_disc(), 0.25)],
                         ids=["ramp10", "ramp30", "disc"])
def test_estimate_is_closer_to_the_true_foreground(alpha: np.ndarray, ratio: float) -> None:
    err_est, err_raw, _, _ = _errors(alpha)
    assert err_raw > 40                      # the background really bleeds into the raw soft pixels
    assert err_est < err_raw
    assert err_est < ratio * err_raw, (err_est, err_raw)


@pytest.mark.parametrize("alpha", [_ramp(10), _ramp(30), _disc()], ids=["ramp10", "ramp30", "disc"])
def test_opaque_pixels_are_the_input_exactly(alpha: np.ndarray) -> None:
    _, _, image, estimate = _errors(alpha)
    opaque = alpha >= OPAQUE
    assert opaque.sum() > 1000
    assert np.array_equal(estimate[opaque], image[opaque])
    assert estimate.shape == image.shape and estimate.dtype == np.uint8


def test_flat_colours_are_recovered_almost_exactly() -> None:
    """Flat F and B behind a 10 px ramp: nothing to confuse the local means. Measured error 2.5 levels."""
    alpha = _ramp(10)
    f, b = np.array([210.0, 150.0, 110.0]), np.array([40.0, 90.0, 210.0])
    image = np.rint(alpha[..., None] * f + (1 - alpha[..., None]) * b).astype(np.uint8)
    estimate = estimate_foreground(image, alpha)
    soft = (alpha > 0.05) & (alpha < 0.95)
    err = np.abs(estimate.astype(np.float64) - f)[soft].mean()
    assert err < 5.0, err


def test_threshold_is_254_5_over_255() -> None:
    rgb = np.full((1, 4, 3), 100, dtype=np.uint8)
    estimate = np.full((1, 4, 3), 7, dtype=np.uint8)
    alpha = np.array([[1.0, OPAQUE, np.nextafter(np.float32(OPAQUE), np.float32(0)), 0.5]], dtype=np.float32)
    out = keep_opaque(rgb, estimate, alpha)
    assert out[0, :, 0].tolist() == [100, 100, 7, 7]
    assert estimate[0, 0, 0] == 7                        # the caller's array is not modified


def test_fully_opaque_and_fully_transparent() -> None:
    image, _ = _composite(_ramp(10))
    assert np.array_equal(estimate_foreground(image, np.ones((H, W), np.float32)), image)
    empty = estimate_foreground(image, np.zeros((H, W), np.float32))
    assert empty.shape == image.shape and empty.dtype == np.uint8


def test_keep_opaque_is_a_masked_copy() -> None:
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    fg = rng.integers(0, 256, (40, 30, 3), dtype=np.uint8)
    alpha = rng.choice(np.array([0.0, 0.5, OPAQUE - 1e-6, OPAQUE, 1.0], np.float32), (40, 30))
    expected = fg.copy()
    expected[alpha >= OPAQUE] = rgb[alpha >= OPAQUE]
    before = fg.copy()
    out = keep_opaque(rgb, fg, alpha)
    assert np.array_equal(out, expected) and out is not fg
    assert np.array_equal(fg, before)                  # the estimate passed in is left alone

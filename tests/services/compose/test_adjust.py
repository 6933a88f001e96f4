import cv2
import numpy as np
import pytest

from idphoto.domain.options import ADJUST_RANGES
from idphoto.errors import InvalidOptionError
from services.compose.adjust import adjust
from tests.support.images import astronaut


def _grey(value: int, size: int = 8) -> np.ndarray:
    return np.full((size, size, 3), value, np.uint8)


def _luma(img: np.ndarray) -> float:
    return float((img.astype(float) @ [0.2126, 0.7152, 0.0722]).mean())


def test_ranges_declared():
    assert ADJUST_RANGES == {"brightness": (-100, 100), "contrast": (-100, 100), "saturation": (-100, 100),
                             "sharpness": (0, 100)}


def test_all_zero_is_exactly_the_identity():
    img = astronaut()
    out = adjust(img)
    assert out is not img and np.array_equal(out, img)
    assert np.array_equal(adjust(img, 0, 0, 0, 0, protect=np.ones(img.shape[:2])), img)
    assert np.array_equal(adjust(img, 0.0, -0.0, 0.0, 0.0), img)


def test_brightness_units():
    # sRGB 118 is linear 0.1812; +100 = one stop = x2 -> linear 0.3624 -> sRGB 162; -100 = x0.5 -> sRGB 85
    assert np.all(adjust(_grey(118), brightness=100) == 162)
    assert np.all(adjust(_grey(118), brightness=-100) == 85)
    assert np.all(adjust(_grey(0), brightness=100) == 0)
    assert np.all(adjust(_grey(255), brightness=100) == 255)


def test_brightness_is_monotonic():
    img = astronaut()
    means = [_luma(adjust(img, brightness=b)) for b in (-100, -60, -20, 0, 20, 60, 100)]
    assert all(a < b for a, b in zip(means, means[1:]))


def test_contrast_units_and_monotonic():
    assert np.all(adjust(_grey(191), contrast=100) == 254)    # 0.749 -> 0.998 (254.5 rounds to even)
    assert np.all(adjust(_grey(192), contrast=100) == 255)    # 0.753 -> 1.0
    assert np.all(adjust(_grey(0), contrast=-100) == 64)      # 0 -> 0.25
    assert np.all(adjust(_grey(255), contrast=-100) == 191)   # 1 -> 0.75
    assert np.all(np.abs(adjust(_grey(128), contrast=100).astype(int) - 128) <= 1)   # mid-grey stays
    img = astronaut()
    stds = [float(adjust(img, contrast=c).astype(float).std()) for c in (-100, -50, 0, 50, 100)]
    assert all(a < b for a, b in zip(stds, stds[1:]))


def test_saturation_minus_100_is_grey_and_luma_kept():
    img = astronaut()
    out = adjust(img, saturation=-100)
    assert np.array_equal(out[..., 0], out[..., 1]) and np.array_equal(out[..., 1], out[..., 2])
    luma = np.rint(img.astype(float) @ [0.2126, 0.7152, 0.0722])
    diff = np.abs(out[..., 0].astype(float) - luma)
    assert diff.max() <= 1 and (diff > 0).mean() < 0.01     # only exact .5 ties round differently


def test_saturation_keeps_hue_and_scales_chroma():
    color = pytest.importorskip("skimage.color")
    img = astronaut()
    for value in (-50, 40):
        out = adjust(img, saturation=value)
        hsv_in, hsv_out = color.rgb2hsv(img), color.rgb2hsv(out)
        chroma_in = img.max(-1).astype(int) - img.min(-1)
        chroma_out = out.max(-1).astype(int) - out.min(-1)
        ok = (chroma_in >= 40) & (out.max(-1) < 255) & (out.min(-1) > 0)
        assert ok.sum() > 10_000
        dh = np.abs(hsv_in[..., 0] - hsv_out[..., 0])[ok]
        dh = np.minimum(dh, 1 - dh) * 360
        assert np.percentile(dh, 99) < 2.0                     # degrees; only uint8 rounding moves the hue
        ratio = np.median(chroma_out[ok] / chroma_in[ok])
        assert ratio == pytest.approx(1 + value / 100, abs=0.03)


def _hf_energy(img: np.ndarray) -> float:
    grey = img.astype(np.float64) @ [0.2126, 0.7152, 0.0722]
    return float(np.mean(cv2.Laplacian(grey, cv2.CV_64F) ** 2))


def test_sharpness_increases_high_frequency_energy():
    img = astronaut()
    energies = [_hf_energy(adjust(img, sharpness=s)) for s in (0, 25, 50, 100)]
    assert all(a < b for a, b in zip(energies, energies[1:]))
    assert energies[-1] > 2.0 * energies[0]
    assert abs(_luma(adjust(img, sharpness=100)) - _luma(img)) < 1.0     # detail only, no overall tone change


def test_protect_mask_limits_the_adjustment():
    img = astronaut()
    protect = np.zeros(img.shape[:2])
    protect[:, 256:] = 1.0
    protect[:100, :100] = 0.5
    full = adjust(img, brightness=60, contrast=30, saturation=-40)
    out = adjust(img, brightness=60, contrast=30, saturation=-40, protect=protect)
    assert np.array_equal(out[100:, :256], img[100:, :256])
    assert np.array_equal(out[:, 256:], full[:, 256:])
    half = np.rint((img[:100, :100].astype(float) + full[:100, :100]) / 2)
    assert np.abs(out[:100, :100] - half).max() <= 1.0
    assert np.array_equal(adjust(img, brightness=60, protect=np.zeros(img.shape[:2])), img)


@pytest.mark.parametrize("name,value", [("brightness", 101), ("brightness", -100.5), ("contrast", 150),
                                        ("saturation", -101), ("sharpness", -1), ("sharpness", 100.01),
                                        ("contrast", float("nan")), ("saturation", "lots")])
def test_out_of_range_is_an_invalid_option(name, value):
    with pytest.raises(InvalidOptionError) as info:
        adjust(_grey(100), **{name: value})
    err = info.value
    lo, hi = ADJUST_RANGES[name]
    assert name in err.message and str(lo) in err.message and str(hi) in err.message
    assert err.details["option"] == name and err.details["min"] == lo and err.details["max"] == hi


def test_extremes_are_accepted():
    for name, (lo, hi) in ADJUST_RANGES.items():
        for v in (lo, hi):
            assert adjust(_grey(100), **{name: v}).dtype == np.uint8

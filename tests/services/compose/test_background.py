import numpy as np
import pytest

from idphoto.domain.colors import Background, parse_background
from idphoto.errors import InternalError
from services.compose.background import composite, render_background


def test_solid():
    img = render_background(parse_background("blue"), 7, 5)
    assert img.shape == (5, 7, 3) and img.dtype == np.uint8
    assert np.all(img == np.array([67, 142, 219], np.uint8))


def test_vertical_gradient_top_bottom_middle():
    img = render_background(parse_background("vertical:#ffffff,#d0d8e0"), 40, 101)
    assert img.shape == (101, 40, 3)
    assert np.all(img[0] == (255, 255, 255))
    assert np.all(img[-1] == (0xD0, 0xD8, 0xE0))
    assert np.all(img[50] == (232, 236, 240))               # exactly halfway: (255+208)/2 = 231.5 -> 232
    assert np.all(np.diff(img[:, 0, 0].astype(int)) <= 0)  # monotonic top -> bottom
    assert np.all(img == img[:, :1])                        # constant along each row


def test_vertical_gradient_three_stops():
    img = render_background(Background("vertical", ((0, 0, 0), (200, 100, 50), (0, 0, 0))), 3, 201)
    assert tuple(img[0, 0]) == (0, 0, 0)
    assert tuple(img[100, 0]) == (200, 100, 50)
    assert tuple(img[-1, 0]) == (0, 0, 0)


def test_radial_gradient_centre_and_corners():
    img = render_background(parse_background("radial:#ffffff,#c8d0d8"), 101, 81)
    assert tuple(img[40, 50]) == (255, 255, 255)             # odd size: exact centre pixel
    for y, x in ((0, 0), (0, -1), (-1, 0), (-1, -1)):
        assert tuple(img[y, x]) == (0xC8, 0xD0, 0xD8)
    even = render_background(parse_background("radial:#ffffff,#000000"), 100, 80)
    # the four centre pixels sit half a pixel off the true centre
    t = np.hypot(0.5, 0.5) / np.hypot(49.5, 39.5)
    assert np.all(even[39:41, 49:51] == round(255 * (1 - t)))  # = 252
    centre_row = even[40, :, 0].astype(int)
    assert np.all(np.diff(centre_row[:50]) >= 0) and np.all(np.diff(centre_row[50:]) <= 0)


def test_composite_exact_at_0_and_255_and_blends_in_between():
    rng = np.random.default_rng(0)
    fg = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    bg = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    alpha = np.zeros((6, 8), np.uint8)
    alpha[:2] = 255
    alpha[2:4] = 128
    out = composite(np.dstack([fg, alpha]), bg)
    assert out.dtype == np.uint8 and out.shape == (6, 8, 3)
    assert np.array_equal(out[:2], fg[:2])
    assert np.array_equal(out[4:], bg[4:])
    expected = np.rint((fg[2:4].astype(float) * 128 + bg[2:4].astype(float) * 127) / 255).astype(np.uint8)
    assert np.array_equal(out[2:4], expected)


def test_composite_mid_value_numbers():
    fg = np.array([[[200, 0, 100, 64]]], np.uint8)
    bg = np.array([[[0, 255, 100]]], np.uint8)
    # 200*64/255 = 50.2 -> 50; 255*191/255 = 191; 100 stays 100
    assert composite(fg, bg).tolist() == [[[50, 191, 100]]]


def test_composite_rejects_mismatched_shapes():
    with pytest.raises(InternalError):
        composite(np.zeros((4, 4, 4), np.uint8), np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(InternalError):
        composite(np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4, 3), np.uint8))

"""Robust Video Matting (the real weights from .models) on the astronaut portrait.

Measured on CPU (onnxruntime 1.31): mean alpha 0.0 in both top 40×40 corners; 0.9586 over the face box
x 180–270, y 70–175 (its bottom corners hold background beside the neck, alpha 0 there); exactly 1.0 over the
face's core x 190–260, y 80–150; 37.5 % of the pixels opaque. The 1600×1600 upscale (reduced to 1024 for
inference): face box 0.9580, top corners 0.0."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from idphoto.domain.types import Matte
from services.matting.foreground import OPAQUE
from services.matting.rvm import RVMModel
from tests.support.images import astronaut

pytestmark = pytest.mark.models

FACE = (slice(70, 175), slice(180, 270))          # y 70–175, x 180–270


@pytest.fixture(scope="module")
def astronaut_matte(matting_model) -> tuple[np.ndarray, Matte]:
    rgb = astronaut()
    return rgb, matting_model.predict(rgb)


def test_default_model_is_rvm(matting_model) -> None:
    assert isinstance(matting_model, RVMModel)
    assert matting_model.name == "rvm-mobilenetv3"


def test_shape_and_range(astronaut_matte) -> None:
    rgb, matte = astronaut_matte
    assert matte.alpha.shape == rgb.shape[:2] and matte.alpha.dtype == np.float32
    assert matte.foreground.shape == rgb.shape and matte.foreground.dtype == np.uint8
    assert matte.alpha.min() >= 0.0 and matte.alpha.max() <= 1.0


def test_background_corners_are_transparent(astronaut_matte) -> None:
    _, matte = astronaut_matte
    top_left = float(matte.alpha[:40, :40].mean())
    top_right = float(matte.alpha[:40, -40:].mean())
    assert top_left < 0.05, top_left                   # measured 0.0
    assert top_right < 0.05, top_right                 # measured 0.0


def test_face_is_opaque(astronaut_matte) -> None:
    _, matte = astronaut_matte
    face = float(matte.alpha[FACE].mean())
    assert face > 0.95, face                           # measured 0.9586
    core = matte.alpha[80:150, 190:260]
    assert float(core.min()) > 0.99, float(core.min())  # measured 1.0


def test_foreground_keeps_opaque_pixels(astronaut_matte) -> None:
    rgb, matte = astronaut_matte
    opaque = matte.alpha >= OPAQUE
    assert opaque.sum() > 0.2 * opaque.size            # the astronaut fills much of the frame
    assert np.array_equal(matte.foreground[opaque], rgb[opaque])


def test_calls_count_each_prediction(matting_model) -> None:
    rgb = cv2.resize(astronaut(), (128, 128), interpolation=cv2.INTER_AREA)
    before = matting_model.calls
    matting_model.predict(rgb)
    assert matting_model.calls == before + 1
    matting_model.predict(rgb)
    assert matting_model.calls == before + 2


def test_large_input_comes_back_at_its_own_size(matting_model) -> None:
    big = cv2.resize(astronaut(), (1600, 1600), interpolation=cv2.INTER_CUBIC)
    assert max(big.shape[:2]) > matting_model.max_side
    matte = matting_model.predict(big)
    assert matte.alpha.shape == (1600, 1600)
    assert matte.foreground.shape == (1600, 1600, 3)
    scale = 1600 / 512
    face = matte.alpha[round(70 * scale):round(175 * scale), round(180 * scale):round(270 * scale)]
    assert float(face.mean()) > 0.95                   # measured 0.9580
    assert float(matte.alpha[:125, :125].mean()) < 0.05     # measured 0.0
    assert float(matte.alpha[:125, -125:].mean()) < 0.05
    opaque = matte.alpha >= OPAQUE
    assert opaque.sum() > 0
    assert np.array_equal(matte.foreground[opaque], big[opaque])

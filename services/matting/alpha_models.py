"""Alpha-only matting models driven by their manifest entry: MODNet, RMBG-1.4, BiRefNet and alike.

The entry says the input size, the normalisation and how to read the output:
- normalization: ``unit`` x/255 · ``half`` (x/255−0.5)/0.5 · ``imagenet`` (x/255−mean)/std
- output: ``alpha`` as is · ``alpha-minmax`` rescaled to 0..1 · ``alpha-sigmoid`` logits through a sigmoid
- input: ``square`` models (RMBG, BiRefNet) get input_size × input_size; MODNet keeps the aspect ratio with the
  longest side at input_size and both sides multiples of 32.
Foreground colours come from ``estimate_foreground``.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from idphoto.domain.types import Matte
from idphoto.errors import ConfigError
from idphoto.models.manifest import ModelEntry
from idphoto.models.runtime import RuntimeOptions, create_session
from services.matting.base import MattingModel, resize_to
from services.matting.foreground import estimate_foreground

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
SQUARE_INPUT = {"alpha-minmax", "alpha-sigmoid"}


def normalise(rgb: np.ndarray, scheme: str) -> np.ndarray:
    x = rgb.astype(np.float32) / 255.0
    if scheme == "unit":
        return x
    if scheme == "half":
        return (x - 0.5) / 0.5
    if scheme == "imagenet":
        return (x - IMAGENET_MEAN) / IMAGENET_STD
    raise ConfigError(f"unknown normalization {scheme!r}")


def postprocess(raw: np.ndarray, scheme: str) -> np.ndarray:
    a = raw.astype(np.float32)
    if scheme == "alpha-sigmoid":
        a = 1.0 / (1.0 + np.exp(-a))
    elif scheme == "alpha-minmax":
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    elif scheme != "alpha":
        raise ConfigError(f"unknown output kind {scheme!r}")
    return np.clip(a, 0.0, 1.0)


def model_input_size(h: int, w: int, input_size: int, square: bool) -> tuple[int, int]:
    """(width, height) the model is fed."""
    if square:
        return input_size, input_size
    scale = input_size / max(h, w)
    return max(32, int(round(w * scale / 32)) * 32), max(32, int(round(h * scale / 32)) * 32)


class AlphaModel(MattingModel):
    def __init__(self, entry: ModelEntry, path: Path, runtime: RuntimeOptions = RuntimeOptions(),
                 max_side: int = 1024) -> None:
        super().__init__(max_side)
        self.name = entry.name
        self.entry = entry
        self.session = create_session(path, runtime)
        self.input_name = self.session.get_inputs()[0].name
        self.square = entry.output in SQUARE_INPUT

    def _infer(self, rgb: np.ndarray) -> Matte:
        h, w = rgb.shape[:2]
        size = model_input_size(h, w, self.entry.input_size, self.square)
        resized = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if size[0] < w else cv2.INTER_LINEAR)
        tensor = normalise(resized, self.entry.normalization).transpose(2, 0, 1)[None]
        raw = self.session.run(None, {self.input_name: np.ascontiguousarray(tensor)})[0]
        alpha = postprocess(np.squeeze(raw).reshape(size[1], size[0]), self.entry.output)
        alpha = np.clip(resize_to(alpha, w, h), 0.0, 1.0).astype(np.float32)
        return Matte(alpha=alpha, foreground=estimate_foreground(rgb, alpha))

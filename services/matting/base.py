"""The matting model interface: RGB in, alpha + decontaminated foreground out, at the input's size."""

from __future__ import annotations

from abc import ABC, abstractmethod

import cv2
import numpy as np

from idphoto.domain.types import Matte
from services.matting.foreground import keep_opaque


def fit_within(rgb: np.ndarray, max_side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    if max(h, w) <= max_side:
        return rgb
    scale = max_side / max(h, w)
    return cv2.resize(rgb, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def resize_to(array: np.ndarray, width: int, height: int) -> np.ndarray:
    if array.shape[1] == width and array.shape[0] == height:
        return array
    return cv2.resize(array, (width, height), interpolation=cv2.INTER_LINEAR)


class MattingModel(ABC):
    """Subclasses implement ``_infer`` on an image no larger than ``max_side``; ``predict`` handles the rest."""

    name = "matting"

    def __init__(self, max_side: int = 1024) -> None:
        self.max_side = max_side
        self.calls = 0

    @abstractmethod
    def _infer(self, rgb: np.ndarray) -> Matte:
        """Alpha and foreground at ``rgb``'s own size (``predict`` puts the opaque pixels of ``rgb`` back)."""

    def predict(self, rgb: np.ndarray) -> Matte:
        self.calls += 1
        h, w = rgb.shape[:2]
        small = fit_within(rgb, self.max_side)
        matte = self._infer(small)
        alpha = matte.alpha
        if small is not rgb:
            alpha = np.clip(resize_to(alpha, w, h), 0.0, 1.0).astype(np.float32, copy=False)
        return Matte(alpha=alpha, foreground=keep_opaque(rgb, resize_to(matte.foreground, w, h), alpha))

    def warmup(self) -> None:
        self.predict(np.full((256, 192, 3), 128, dtype=np.uint8))
        self.calls = 0

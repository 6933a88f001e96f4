"""Robust Video Matting (MobileNetV3) as a single-image matting model.

RVM takes ``src`` [B,3,H,W] RGB in 0..1, four recurrent states (zeros for one image) and ``downsample_ratio``;
it returns ``fgr`` (the person's colours with the background removed) and ``pha`` (alpha). ``fgr`` is used for
the soft edges; where alpha is opaque the original pixel is kept.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from idphoto.domain.types import Matte
from idphoto.models.runtime import RuntimeOptions, create_session
from services.matting.base import MattingModel

INTERNAL_SIDE = 320    # RVM refines to full size (deep guided filter): 320 keeps edges, ~3x faster than 512


class RVMModel(MattingModel):
    name = "rvm-mobilenetv3"

    def __init__(self, path: Path, runtime: RuntimeOptions = RuntimeOptions(), max_side: int = 1024,
                 downsample: float = 0.0) -> None:
        super().__init__(max_side)
        self.session = create_session(path, runtime)
        self.downsample = downsample
        self._state = np.zeros((1, 1, 1, 1), dtype=np.float32)

    def _ratio(self, h: int, w: int) -> float:
        if self.downsample > 0:
            return self.downsample
        return min(1.0, INTERNAL_SIDE / max(h, w))

    def _infer(self, rgb: np.ndarray) -> Matte:
        h, w = rgb.shape[:2]
        src = (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        feeds = {"src": src, "r1i": self._state, "r2i": self._state, "r3i": self._state, "r4i": self._state,
                 "downsample_ratio": np.array([self._ratio(h, w)], dtype=np.float32)}
        fgr, pha = self.session.run(["fgr", "pha"], feeds)
        alpha = np.clip(pha[0, 0], 0.0, 1.0).astype(np.float32)
        fg = np.clip(np.rint(fgr[0].transpose(1, 2, 0) * 255.0), 0, 255).astype(np.uint8)
        return Matte(alpha=alpha, foreground=fg)      # ``predict`` keeps the opaque pixels, once, at full size

"""What the orchestration needs from the face, matting and compose services — one interface, two kinds of
implementation: in-process adapters (CLI, tests, bench) here, gRPC clients in the gateway."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from idphoto.domain.types import Cutout, Matte, RenderOptions, RenderResult


class FaceClient(Protocol):
    def analyze(self, rgb: np.ndarray):  # -> services.face.core.FaceAnalysis
        ...


class MattingClient(Protocol):
    def matte(self, rgb: np.ndarray) -> Matte:
        ...


class ComposeClient(Protocol):
    def render(self, cutout: Cutout, spec, options: RenderOptions) -> RenderResult:
        ...


class LocalFace:
    def __init__(self, core) -> None:        # services.face.core.FaceCore
        self.core = core

    def analyze(self, rgb: np.ndarray):
        return self.core.analyze(rgb)


class LocalMatting:
    def __init__(self, model) -> None:       # services.matting.base.MattingModel
        self.model = model

    def matte(self, rgb: np.ndarray) -> Matte:
        return self.model.predict(rgb)


class LocalCompose:
    def render(self, cutout: Cutout, spec, options: RenderOptions) -> RenderResult:
        from services.compose.render import render

        return render(cutout, spec, options)

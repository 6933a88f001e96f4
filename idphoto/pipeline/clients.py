"""What the orchestration needs from the face, matting and compose services — one interface, two kinds of
implementation: gRPC clients in the gateway (``idphoto.rpc.client``), in-process adapters for the CLI, the tests
and the benchmarks (``edges.inprocess``)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from idphoto.domain.face import FaceAnalysis
from idphoto.domain.specs import Spec
from idphoto.domain.types import Cutout, Matte, RenderOptions, RenderResult


class FaceClient(Protocol):
    def analyze(self, rgb: np.ndarray) -> FaceAnalysis:
        ...


class MattingClient(Protocol):
    def matte(self, rgb: np.ndarray) -> Matte:
        ...


class ComposeClient(Protocol):
    def render(self, cutout: Cutout, spec: Spec, options: RenderOptions) -> RenderResult:
        ...

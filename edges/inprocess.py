"""The pipeline's clients in this process: the face and matting models loaded here, compose called directly —
what the CLI, the tests and the benchmarks run the one orchestration path (``idphoto.pipeline.run``) with."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from idphoto.config import load_config
from idphoto.domain.face import FaceAnalysis
from idphoto.domain.specs import Spec
from idphoto.domain.types import Cutout, Matte, RenderOptions, RenderResult
from idphoto.pipeline.memory import keep_freed_memory
from idphoto.pipeline.run import Clients
from services.compose.render import render
from services.face.config import FaceConfig
from services.face.core import FaceCore
from services.matting.base import MattingModel
from services.matting.config import MattingConfig
from services.matting.loader import load_matting_model


class LocalFace:
    def __init__(self, core: FaceCore) -> None:
        self.core = core

    def analyze(self, rgb: np.ndarray) -> FaceAnalysis:
        return self.core.analyze(rgb)


class LocalMatting:
    def __init__(self, model: MattingModel) -> None:
        self.model = model

    def matte(self, rgb: np.ndarray) -> Matte:
        return self.model.predict(rgb)


class LocalCompose:
    def render(self, cutout: Cutout, spec: Spec, options: RenderOptions) -> RenderResult:
        return render(cutout, spec, options)


def local_clients(model_dir: Path | None = None) -> Clients:
    """Load the models in this process (typed config from IDPHOTO_FACE_* and IDPHOTO_MATTING_*), and keep freed
    frame-sized buffers in the heap (``idphoto.pipeline.memory``): this process is going to make photos."""
    keep_freed_memory()
    face = FaceCore(load_config(FaceConfig, "FACE"), model_dir)
    face.warmup()
    matting = load_matting_model(load_config(MattingConfig, "MATTING"), model_dir)
    return Clients(face=LocalFace(face), matting=LocalMatting(matting), compose=LocalCompose())

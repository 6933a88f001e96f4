"""Build the configured matting model from the manifest (the model file must already be pulled)."""

from __future__ import annotations

from pathlib import Path

from idphoto.errors import ConfigError
from idphoto.models.manifest import get_entry
from idphoto.models.runtime import RuntimeOptions
from idphoto.models.store import model_path
from services.matting.alpha_models import AlphaModel
from services.matting.base import MattingModel
from services.matting.config import MattingConfig
from services.matting.rvm import RVMModel


def load_matting_model(config: MattingConfig, model_dir: Path | None = None, warm: bool = True) -> MattingModel:
    """The model named by ``config.model``, its session created once, warmed up (``ModelNotReadyError`` when the
    file is missing, naming `idphoto models pull`)."""
    entry = get_entry(config.model)
    if entry.task != "matting":
        raise ConfigError(f"model {config.model!r} is a {entry.task} model, not a matting model")
    path = model_path(entry.name, model_dir)
    runtime = RuntimeOptions(providers=config.providers, intra_op_threads=config.intra_op_threads)
    if entry.output == "rvm":
        model: MattingModel = RVMModel(path, runtime, config.max_side, config.rvm_downsample)
    else:
        model = AlphaModel(entry, path, runtime, config.max_side)
    if warm:
        model.warmup()
    return model

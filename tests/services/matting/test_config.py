"""IDPHOTO_MATTING_* parsing and validation, and the loader's refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from idphoto.config import load_config
from idphoto.errors import ConfigError, ModelNotReadyError
from idphoto.models.store import model_dir
from services.matting.config import MattingConfig
from services.matting.loader import load_matting_model


def test_defaults() -> None:
    config = load_config(MattingConfig, "MATTING", env={})
    assert config == MattingConfig()
    assert config.model == "rvm-mobilenetv3" and config.providers == ("cuda", "cpu")


def test_parses_every_field() -> None:
    config = load_config(MattingConfig, "MATTING", env={
        "IDPHOTO_MATTING_PROVIDERS": "cpu",
        "IDPHOTO_MATTING_MODEL": "modnet",
        "IDPHOTO_MATTING_INTRA_OP_THREADS": "2",
        "IDPHOTO_MATTING_MAX_SIDE": "2_048",
        "IDPHOTO_MATTING_RVM_DOWNSAMPLE": "0.25",
        "IDPHOTO_FACE_MAX_SIDE": "1",                   # another section's key is not read
    })
    assert config.providers == ("cpu",)
    assert config.model == "modnet"
    assert config.intra_op_threads == 2
    assert config.max_side == 2048
    assert config.rvm_downsample == 0.25


def test_provider_list_is_split_and_trimmed() -> None:
    config = load_config(MattingConfig, "MATTING", env={"IDPHOTO_MATTING_PROVIDERS": " CUDA , cpu ,"})
    assert config.providers == ("CUDA", "cpu")


def test_all_invalid_values_reported_at_once() -> None:
    env = {"IDPHOTO_MATTING_PROVIDERS": "cpu,warp-drive",
           "IDPHOTO_MATTING_INTRA_OP_THREADS": "-1",
           "IDPHOTO_MATTING_MAX_SIDE": "64",
           "IDPHOTO_MATTING_RVM_DOWNSAMPLE": "1.5",
           "IDPHOTO_MATTING_MODEL": ""}
    with pytest.raises(ConfigError) as info:
        load_config(MattingConfig, "MATTING", env=env)
    problems = info.value.details["problems"]
    assert len(problems) == 5, problems
    for key in env:
        assert key in str(info.value), key
    assert "warp-drive" in str(info.value)


def test_unparsable_and_invalid_values_reported_together() -> None:
    env = {"IDPHOTO_MATTING_MAX_SIDE": "big",
           "IDPHOTO_MATTING_RVM_DOWNSAMPLE": "half",
           "IDPHOTO_MATTING_PROVIDERS": "gpu"}
    with pytest.raises(ConfigError) as info:
        load_config(MattingConfig, "MATTING", env=env)
    problems = info.value.details["problems"]
    assert len(problems) == 3, problems
    for key in env:
        assert key in str(info.value), key


def test_empty_provider_list_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least one provider"):
        load_config(MattingConfig, "MATTING", env={"IDPHOTO_MATTING_PROVIDERS": " , "})


def test_unknown_model_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown model 'no-such-model'"):
        load_matting_model(MattingConfig(model="no-such-model"), model_dir=tmp_path)


def test_face_model_is_not_a_matting_model() -> None:
    # the real mtcnn file is present, so only the task check can refuse it
    assert (model_dir() / "mtcnn_pnet.onnx").is_file()
    with pytest.raises(ConfigError, match="face-detect model, not a matting model"):
        load_matting_model(MattingConfig(model="mtcnn-pnet"), model_dir=model_dir())


@pytest.mark.parametrize("name", ["rvm-mobilenetv3", "modnet"])
def test_missing_file_names_the_pull_command(name: str, tmp_path: Path) -> None:
    with pytest.raises(ModelNotReadyError) as info:
        load_matting_model(MattingConfig(model=name), model_dir=tmp_path)
    assert f"idphoto models pull {name}" in str(info.value)
    assert info.value.details["path"] == str(tmp_path / info.value.details["path"].rsplit("/", 1)[-1])
    assert info.value.code == "MODEL_NOT_READY"

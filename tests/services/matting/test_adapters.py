"""AlphaModel (MODNet / RMBG / BiRefNet adapters) on tiny ONNX graphs built here, whose output is a known function
of the tensor they are fed: normalisation, input shape, output decoding and the way back to the image's size are
each checked against numpy, without the real (large, unpinned) weights."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from idphoto.models.manifest import ModelEntry, UrlSource
from idphoto.models.store import sha256_file
from services.matting.alpha_models import AlphaModel
from services.matting.config import MattingConfig
from services.matting.foreground import OPAQUE
from services.matting.loader import load_matting_model

MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float64)
STD = np.array([0.229, 0.224, 0.225], dtype=np.float64)
SIGMOID_GAIN = 4.0            # the BiRefNet-like graph's logits are 4 × the channel mean, so white is opaque


def _graph(name: str, tail: list[tuple[str, float]], abs_first: bool = False) -> onnx.ModelProto:
    """input [1,3,H,W] → ReduceMean over channels → (Abs) → the ops in ``tail`` (Mul/Add by a scalar) → alpha."""
    nodes = [helper.make_node("ReduceMean", ["input"], ["m0"], axes=[1], keepdims=1)]
    inits = []
    last = "m0"
    if abs_first:
        nodes.append(helper.make_node("Abs", [last], ["abs"]))
        last = "abs"
    for i, (op, value) in enumerate(tail):
        const = f"c{i}"
        inits.append(helper.make_tensor(const, TensorProto.FLOAT, [], [value]))
        out = f"t{i}"
        nodes.append(helper.make_node(op, [last, const], [out]))
        last = out
    nodes.append(helper.make_node("Identity", [last], ["alpha"]))
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, "H", "W"])],
        [helper.make_tensor_value_info("alpha", TensorProto.FLOAT, [1, 1, "H", "W"])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


# --- the three model kinds: the graph, the manifest fields, and numpy's own reading of the same pipeline ---------

def _half(rgb: np.ndarray) -> np.ndarray:
    return (rgb.astype(np.float64) / 255.0 - 0.5) / 0.5


def _imagenet(rgb: np.ndarray) -> np.ndarray:
    return (rgb.astype(np.float64) / 255.0 - MEAN) / STD


def _expect_modnet(rgb: np.ndarray) -> np.ndarray:
    # graph: mean_c(x) * 0.5 + 0.5 with x in [-1, 1] → exactly the grey level mean(rgb)/255
    return np.clip(_half(rgb).mean(axis=2) * 0.5 + 0.5, 0, 1)


def _expect_rmbg(rgb: np.ndarray) -> np.ndarray:
    # graph: |mean_c(x)| * 3 + 7; the Abs makes "half" and "unit" inputs give different alphas after min-max
    raw = np.abs(_half(rgb).mean(axis=2)) * 3.0 + 7.0
    return (raw - raw.min()) / (raw.max() - raw.min())


def _expect_birefnet(rgb: np.ndarray) -> np.ndarray:
    logits = SIGMOID_GAIN * _imagenet(rgb).mean(axis=2)
    return 1.0 / (1.0 + np.exp(-logits))


@dataclass(frozen=True)
class Kind:
    entry: ModelEntry
    graph: onnx.ModelProto
    expect: callable
    square: bool


def _entry(name: str, **fields) -> ModelEntry:
    return ModelEntry(name=name, task="matting", source=UrlSource(f"https://example.invalid/{name}.onnx"),
                      sha256=None, filename=f"{name}.onnx", license="test", **fields)


KINDS = {
    "modnet": Kind(_entry("tiny-modnet", input_size=128, normalization="half", output="alpha"),
                   _graph("modnet", [("Mul", 0.5), ("Add", 0.5)]), _expect_modnet, square=False),
    "rmbg": Kind(_entry("tiny-rmbg", input_size=64, normalization="half", output="alpha-minmax"),
                 _graph("rmbg", [("Mul", 3.0), ("Add", 7.0)], abs_first=True), _expect_rmbg, square=True),
    "birefnet": Kind(_entry("tiny-birefnet", input_size=64, normalization="imagenet", output="alpha-sigmoid"),
                     _graph("birefnet", [("Mul", SIGMOID_GAIN)]), _expect_birefnet, square=True),
}


def _save(kind: Kind, directory: Path) -> Path:
    path = directory / kind.entry.filename
    onnx.save(kind.graph, str(path))
    return path


@pytest.fixture(params=sorted(KINDS))
def kind(request) -> Kind:
    return KINDS[request.param]


@pytest.fixture
def model(kind: Kind, tmp_path: Path) -> AlphaModel:
    return AlphaModel(kind.entry, _save(kind, tmp_path))


class SpySession:
    """Delegates to the real session and records every feed."""

    def __init__(self, session) -> None:
        self.session = session
        self.feeds: list[dict[str, np.ndarray]] = []

    def run(self, outputs, feeds):
        self.feeds.append({k: np.array(v, copy=True) for k, v in feeds.items()})
        return self.session.run(outputs, feeds)


def _random(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _smooth(h: int, w: int) -> np.ndarray:
    """Linear ramps (R along x, G along y, B along the diagonal): resizing reproduces them away from the borders."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 40 + 180 * x / (w - 1)
    g = 220 - 160 * y / (h - 1)
    b = 70 + 60 * (x / (w - 1) + y / (h - 1))
    return np.rint(np.dstack([r, g, b])).astype(np.uint8)


def _model_hw(kind: Kind, h: int, w: int) -> tuple[int, int]:
    """(height, width) the model should be fed, worked out independently of the adapter."""
    n = kind.entry.input_size
    if kind.square:
        return n, n
    scale = n / max(h, w)
    return max(32, 32 * round(h * scale / 32)), max(32, 32 * round(w * scale / 32))


# --- at the model's own resolution the adapter is exact -------------------------------------------------------

def test_alpha_at_model_resolution_matches_numpy(kind: Kind, model: AlphaModel) -> None:
    h, w = (96, 128) if not kind.square else (64, 64)     # MODNet: 128 wide keeps 96 high (a multiple of 32)
    rgb = _random(h, w, seed=3)
    spy = SpySession(model.session)
    model.session = spy
    matte = model.predict(rgb)

    assert len(spy.feeds) == 1
    (tensor,) = spy.feeds[0].values()
    assert tensor.shape == (1, 3, h, w) and tensor.dtype == np.float32
    expected = kind.expect(rgb)
    assert matte.alpha.shape == (h, w) and matte.alpha.dtype == np.float32
    assert np.abs(matte.alpha - expected).max() < 1e-5
    # the alpha spans a real range (a constant output would make the comparison meaningless)
    assert expected.max() - expected.min() > 0.5


def test_normalisation_of_the_fed_tensor(kind: Kind, model: AlphaModel) -> None:
    rgb = _random(*((64, 64) if kind.square else (96, 128)), seed=5)
    spy = SpySession(model.session)
    model.session = spy
    model.predict(rgb)
    (tensor,) = spy.feeds[0].values()
    chw = rgb.transpose(2, 0, 1)[None]
    if kind.entry.normalization == "half":
        expected = (chw / 255.0 - 0.5) / 0.5
    else:
        expected = (chw / 255.0 - MEAN[None, :, None, None]) / STD[None, :, None, None]
    assert np.abs(tensor - expected).max() < 1e-5


@pytest.mark.parametrize("h, w", [(300, 200), (150, 400), (40, 30)])
def test_feeds_the_right_shape_and_returns_the_input_size(kind: Kind, model: AlphaModel, h: int, w: int) -> None:
    spy = SpySession(model.session)
    model.session = spy
    matte = model.predict(_smooth(h, w))
    (tensor,) = spy.feeds[0].values()
    mh, mw = _model_hw(kind, h, w)
    assert tensor.shape == (1, 3, mh, mw)
    if not kind.square:
        assert mh % 32 == 0 and mw % 32 == 0 and max(mh, mw) == kind.entry.input_size
    assert tensor.flags["C_CONTIGUOUS"]
    assert matte.alpha.shape == (h, w) and matte.alpha.dtype == np.float32
    assert matte.foreground.shape == (h, w, 3) and matte.foreground.dtype == np.uint8
    assert matte.alpha.min() >= 0.0 and matte.alpha.max() <= 1.0


def _blocks(h: int, w: int, block: int = 50, low: int = 0, seed: int = 7) -> np.ndarray:
    """Flat blocks of random colours, channels in low..255: resizing keeps each block's inside exact."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(low, 256, (h // block, w // block, 3), dtype=np.uint8)
    return np.repeat(np.repeat(colours, block, axis=0), block, axis=1)


def test_non_square_alpha_follows_the_image(kind: Kind, model: AlphaModel) -> None:
    """A 300×200 image of flat blocks (squeezed to 64×64 for RMBG/BiRefNet, 128×96 for MODNet): inside each block,
    away from the resize borders, the alpha is numpy's alpha of that block's colour."""
    h, w, block, margin = 300, 200, 50, 12
    # for RMBG every channel ≥ 130: the half-normalised grey stays positive, so the graph's Abs has no kink
    # between two blocks and the min-max range is that of the blocks' insides
    rgb = _blocks(h, w, block, low=130 if kind.entry.output == "alpha-minmax" else 0)
    alpha = model.predict(rgb).alpha
    expected = kind.expect(rgb)
    inside = np.zeros((h, w), dtype=bool)
    for y0 in range(0, h, block):
        for x0 in range(0, w, block):
            inside[y0 + margin:y0 + block - margin, x0 + margin:x0 + block - margin] = True
    err = np.abs(alpha - expected)[inside]
    assert err.max() < 1e-4, err.max()
    # the blocks differ enough for a swapped or mis-normalised block to show
    assert np.ptp(expected[inside]) > 0.1
    if kind.entry.output == "alpha-minmax":
        assert alpha.min() == pytest.approx(0.0, abs=1e-6) and alpha.max() == pytest.approx(1.0, abs=1e-6)


def test_foreground_keeps_original_pixels_where_opaque(kind: Kind, model: AlphaModel) -> None:
    """A white block reads as alpha 1 in all three graphs; its pixels must come back untouched and the soft
    remainder must still be a valid image."""
    h, w = 160, 120
    rgb = _smooth(h, w)
    rgb[40:110, 30:90] = 255
    matte = model.predict(rgb)
    opaque = matte.alpha >= OPAQUE
    assert opaque[50:100, 40:80].all()
    assert opaque.sum() >= 50 * 40
    assert np.array_equal(matte.foreground[opaque], rgb[opaque])
    assert (~opaque).sum() > 0


def test_foreground_keeps_original_pixels_for_large_input(kind: Kind, model: AlphaModel) -> None:
    """Above max_side the image is reduced for inference; the opaque pixels still come from the full-size input."""
    model.max_side = 256
    h, w = 600, 400
    rgb = _smooth(h, w)
    rgb[150:450, 100:300] = 255
    rgb[200:400:7, 150:250:5] = (250, 254, 253)        # fine detail the reduced image cannot carry
    matte = model.predict(rgb)
    assert matte.alpha.shape == (h, w)
    opaque = matte.alpha >= OPAQUE
    assert opaque.sum() > 0
    assert np.array_equal(matte.foreground[opaque], rgb[opaque])


def test_calls_and_name(kind: Kind, model: AlphaModel) -> None:
    assert model.name == kind.entry.name
    assert model.calls == 0
    model.predict(_smooth(64, 64))
    model.predict(_smooth(64, 64))
    assert model.calls == 2


# --- registered through the manifest and the loader -------------------------------------------------------------

def _manifest_item(entry: ModelEntry, sha: str | None) -> dict:
    return {"name": entry.name, "task": entry.task, "url": entry.source.url, "sha256": sha,
            "filename": entry.filename, "license": entry.license, "input_size": entry.input_size,
            "normalization": entry.normalization, "output": entry.output}


def test_loaded_through_a_manifest_file(kind: Kind, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    models = tmp_path / "models"
    models.mkdir()
    path = _save(kind, models)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps([_manifest_item(kind.entry, sha256_file(path))]))
    monkeypatch.setenv("IDPHOTO_MODELS_MANIFEST", str(manifest))

    model = load_matting_model(MattingConfig(model=kind.entry.name, providers=("cpu",), max_side=512),
                               model_dir=models)
    assert isinstance(model, AlphaModel)
    assert model.entry == replace(kind.entry, sha256=sha256_file(path))
    assert model.max_side == 512
    assert model.calls == 0                     # the warm-up does not count
    rgb = _random(*((64, 64) if kind.square else (96, 128)), seed=11)
    assert np.abs(model.predict(rgb).alpha - kind.expect(rgb)).max() < 1e-5


def test_loader_refuses_a_file_that_does_not_match_its_pin(kind: Kind, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from idphoto.errors import ModelNotReadyError

    _save(kind, tmp_path)
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps([_manifest_item(kind.entry, "0" * 64)]))
    monkeypatch.setenv("IDPHOTO_MODELS_MANIFEST", str(manifest))
    with pytest.raises(ModelNotReadyError, match="idphoto models pull"):
        load_matting_model(MattingConfig(model=kind.entry.name), model_dir=tmp_path)

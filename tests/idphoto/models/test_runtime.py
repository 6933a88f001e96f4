"""Execution-provider choice and the per-(model, options) session cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from idphoto.errors import ConfigError
from idphoto.models.runtime import RuntimeOptions, create_session, select_providers

CPU, CUDA, TRT, COREML = ("CPUExecutionProvider", "CUDAExecutionProvider", "TensorrtExecutionProvider",
                          "CoreMLExecutionProvider")
EVERYTHING = [TRT, CUDA, COREML, CPU]


@pytest.mark.parametrize("preference, available, gpu, expected", [
    (("cuda", "cpu"), EVERYTHING, True, [CUDA, CPU]),
    (("cuda", "cpu"), EVERYTHING, False, [CPU]),                 # the build has CUDA, the machine no device
    (("cuda", "cpu"), [CPU], True, [CPU]),                       # a device, but a CPU-only build
    (("cuda", "cpu"), [CPU], False, [CPU]),
    (("tensorrt", "cuda"), EVERYTHING, True, [TRT, CUDA, CPU]),  # CPU appended as the last resort
    (("tensorrt", "cuda"), EVERYTHING, False, [CPU]),
    (("coreml",), EVERYTHING, False, [COREML, CPU]),             # no NVIDIA device needed for CoreML
    (("cuda", "CUDA", "cuda", "cpu", "cpu"), EVERYTHING, True, [CUDA, CPU]),
    (("cpu",), EVERYTHING, True, [CPU]),
    (("cpu", "cuda"), EVERYTHING, True, [CPU]),                  # nothing after CPU: it takes every node
    ((), EVERYTHING, True, [CPU]),
])
def test_select_providers(preference, available, gpu, expected) -> None:
    chosen = select_providers(preference, available=available, gpu_present=gpu)
    assert chosen == expected
    assert chosen[-1] == CPU
    assert len(set(chosen)) == len(chosen)


@pytest.mark.parametrize("preference", [("cuda", "rocm"), ("npu",), ("CUDAExecutionProvider",), ("cpu", "bogus")])
def test_unknown_provider_is_a_config_error(preference) -> None:
    with pytest.raises(ConfigError, match="unknown execution provider"):
        select_providers(preference, available=EVERYTHING, gpu_present=True)


def test_this_machine_always_gets_cpu() -> None:
    chosen = select_providers(("cuda", "cpu"))
    assert chosen[-1] == CPU


def _tiny_model(path: Path, scale: float) -> Path:
    graph = helper.make_graph(
        [helper.make_node("Mul", ["x", "k"], ["y"])], "scale",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])],
        initializer=[helper.make_tensor("k", TensorProto.FLOAT, [], [scale])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_sessions_are_cached_per_path_and_options(tmp_path: Path) -> None:
    two = _tiny_model(tmp_path / "two.onnx", 2.0)
    three = _tiny_model(tmp_path / "three.onnx", 3.0)
    cpu = RuntimeOptions(providers=("cpu",))

    first = create_session(two, cpu)
    assert create_session(two, RuntimeOptions(providers=("cpu",))) is first     # equal options, same session
    assert create_session(Path(str(two)), cpu) is first

    threaded = create_session(two, RuntimeOptions(providers=("cpu",), intra_op_threads=1))
    assert threaded is not first
    assert create_session(two, RuntimeOptions(providers=("cpu",), intra_op_threads=1)) is threaded
    other = create_session(three, cpu)
    assert other is not first

    x = np.array([1.0, 2.0], dtype=np.float32)
    assert first.run(None, {"x": x})[0].tolist() == [2.0, 4.0]
    assert other.run(None, {"x": x})[0].tolist() == [3.0, 6.0]
    assert first.get_providers()[-1] == CPU
    assert threaded.get_session_options().intra_op_num_threads == 1


def test_unknown_provider_fails_at_session_creation(tmp_path: Path) -> None:
    path = _tiny_model(tmp_path / "m.onnx", 1.0)
    with pytest.raises(ConfigError):
        create_session(path, RuntimeOptions(providers=("quantum",)))

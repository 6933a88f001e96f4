"""ONNX Runtime sessions: provider selection from config, created once per (model, options) and reused."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import onnxruntime as ort

from idphoto.errors import ConfigError

KNOWN_PROVIDERS = {"cuda": "CUDAExecutionProvider", "cpu": "CPUExecutionProvider",
                   "tensorrt": "TensorrtExecutionProvider", "coreml": "CoreMLExecutionProvider"}


@dataclass(frozen=True)
class RuntimeOptions:
    providers: tuple[str, ...] = ("cuda", "cpu")   # preference order; unavailable ones are skipped
    intra_op_threads: int = 0                       # 0 = ONNX Runtime's default
    inter_op_threads: int = 1


def cuda_device_present() -> bool:
    """True when an NVIDIA device is visible to the driver (no CUDA library import needed)."""
    return Path("/proc/driver/nvidia/gpus").is_dir() and any(Path("/proc/driver/nvidia/gpus").iterdir())


def select_providers(preference: tuple[str, ...], available: list[str] | None = None,
                     gpu_present: bool | None = None) -> list[str]:
    """Map preference names to ORT providers, keeping only those this build offers (and CUDA only with a
    device). CPU is always the last resort: it runs every operator, so nothing listed after it would get a node
    (it would only be initialised, e.g. a CUDA context for nothing) and is left out."""
    available = ort.get_available_providers() if available is None else available
    gpu_present = cuda_device_present() if gpu_present is None else gpu_present
    chosen: list[str] = []
    for name in preference:
        provider = KNOWN_PROVIDERS.get(name.lower())
        if provider is None:
            raise ConfigError(f"unknown execution provider {name!r}; known: {', '.join(KNOWN_PROVIDERS)}")
        if provider not in available or provider in chosen or "CPUExecutionProvider" in chosen:
            continue
        if provider in ("CUDAExecutionProvider", "TensorrtExecutionProvider") and not gpu_present:
            continue
        chosen.append(provider)
    if "CPUExecutionProvider" not in chosen:
        chosen.append("CPUExecutionProvider")
    return chosen


_sessions: dict[tuple, ort.InferenceSession] = {}
_lock = threading.Lock()


def create_session(path: Path, options: RuntimeOptions = RuntimeOptions()) -> ort.InferenceSession:
    """One session per (path, options) for the life of the process."""
    key = (str(path), options)
    with _lock:
        session = _sessions.get(key)
        if session is None:
            so = ort.SessionOptions()
            so.intra_op_num_threads = options.intra_op_threads
            so.inter_op_num_threads = options.inter_op_threads
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            so.log_severity_level = 3
            session = ort.InferenceSession(str(path), sess_options=so,
                                           providers=select_providers(options.providers))
            _sessions[key] = session
        return session

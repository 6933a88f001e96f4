"""LiteRT (TensorFlow Lite) interpreters for the MediaPipe landmark models, one per model file and process.

An interpreter holds its tensors between ``set_tensor`` and ``get_tensor``, so calls are serialised by a lock:
one invocation takes 1–2 ms, far below the cost of a second copy of the model per thread.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from idphoto.errors import ModelNotReadyError


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """LiteRT's C++ side prints an INFO line per interpreter to fd 2; JSON logs and CLI output should not carry it.
    Failures still surface: they raise Python exceptions."""
    try:
        saved = os.dup(2)
    except OSError:            # no fd 2 (some embedded hosts): nothing to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class TfliteModel:
    """One float model with one input; ``run`` returns its outputs in the model's order."""

    def __init__(self, path: Path, threads: int = 1) -> None:
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:       # pragma: no cover - the dependency is pinned in pyproject
            raise ModelNotReadyError("ai-edge-litert is not installed: run `make setup`") from exc
        self.path = path
        with _quiet_native_stderr():
            self._interpreter = Interpreter(model_path=str(path), num_threads=max(1, threads))
            self._interpreter.allocate_tensors()
        details = self._interpreter.get_input_details()[0]
        self.input_shape = tuple(int(v) for v in details["shape"])
        self._input = details["index"]
        self._outputs = [d["index"] for d in self._interpreter.get_output_details()]
        self._lock = threading.Lock()
        self.calls = 0

    def run(self, tensor: np.ndarray) -> list[np.ndarray]:
        batch = np.ascontiguousarray(tensor, dtype=np.float32).reshape(self.input_shape)
        with self._lock:
            self._interpreter.set_tensor(self._input, batch)
            self._interpreter.invoke()
            self.calls += 1
            return [self._interpreter.get_tensor(index).copy() for index in self._outputs]

"""`make bench`: per-stage medians for the sample portrait at ≈0.5 MP and ≈12 MP, Stage A/B totals, the model
share of Stage A, and peak RSS — all measured in this one run. Not a test: it prints numbers, it asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import time

from PIL import Image

from idphoto.pipeline.run import local_clients, stage_a
from idphoto.pipeline.stage_b import run_stage_b
from idphoto.types import RenderOptions
from scripts.make_sample import sample_portrait
from services.compose.specs import get_spec

SIZES = {"0.5MP": 720, "12MP": 3464}


class ModelTimer:
    """Times model inference alone: wraps the MTCNN cascade, the face mesh and iris models (also counted on their
    own in ``mesh_seconds``, crops included) and the matting model's predict."""

    def __init__(self, clients) -> None:
        self.seconds = 0.0
        self.mesh_seconds = 0.0
        core, model = clients.face.core, clients.matting.model
        core.detector.detect = self._timed(core.detector.detect)
        core.mesh.fit = self._timed(core.mesh.fit, mesh=True)
        core.mesh.pupils = self._timed(core.mesh.pupils, mesh=True)
        model.predict = self._timed(model.predict)

    def _timed(self, fn, mesh: bool = False):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                self.seconds += spent
                if mesh:
                    self.mesh_seconds += spent
        return wrapper


def _mesh_pass_ms(clients, repeats: int = 50) -> float:
    """One 192×192 face-mesh invocation, median over ``repeats`` (the interpreter runs on one thread)."""
    import numpy as np

    model = clients.face.core.mesh.mesh
    frame = np.zeros((192, 192, 3), np.float32)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.run(frame)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def _jpeg(side: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(sample_portrait(side)).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def _bench_size(data: bytes, clients, spec, repeats: int, models: ModelTimer) -> dict[str, float]:
    runs: list[dict[str, float]] = []
    for _ in range(repeats):
        timings: dict[str, float] = {}
        models.seconds = models.mesh_seconds = 0.0
        start = time.perf_counter()
        cutout = stage_a(data, spec, clients, timings=timings)
        timings["stage_a"] = time.perf_counter() - start
        timings["models"] = models.seconds
        timings["mesh"] = models.mesh_seconds
        start = time.perf_counter()
        run_stage_b(cutout, spec, RenderOptions(background="blue", sheet="4r"), clients.compose)
        timings["stage_b"] = time.perf_counter() - start
        runs.append(timings)
    return {k: statistics.median(r[k] for r in runs) * 1000.0 for k in runs[0]}


def _print(label: str, megapixels: float, med: dict[str, float]) -> None:
    print(f"\n== sample at {label} ({megapixels:.1f} MP), median ms")
    for name, value in med.items():
        if name not in ("stage_a", "stage_b", "models", "mesh"):
            print(f"  {name:<14}{value:9.1f}")
    print(f"  {'Stage A':<14}{med['stage_a']:9.1f}")
    print(f"  {'Stage B':<14}{med['stage_b']:9.1f}   (Stage B / Stage A = {med['stage_b'] / med['stage_a']:.3f})")
    print(f"  model inference {med['models']:.1f} ms = {100 * med['models'] / med['stage_a']:.0f} % of Stage A")
    print(f"  face mesh + iris per photo (3 mesh passes, 2 eye crops) {med['mesh']:.1f} ms (target <= 15 ms); "
          f"Stage A without it {med['stage_a'] - med['mesh']:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    clients = local_clients()
    models = ModelTimer(clients)
    spec = get_spec("us-passport")
    for label, side in SIZES.items():
        data = _jpeg(side)
        stage_a(data, spec, clients)          # warm caches for this size
        med = _bench_size(data, clients, spec, args.repeats, models)
        _print(label, side * side / 1e6, med)
    print(f"\none 192x192 face-mesh pass on one thread: {_mesh_pass_ms(clients):.2f} ms")
    print(f"\npeak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0:.0f} MB")


if __name__ == "__main__":
    main()

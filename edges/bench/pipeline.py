"""`make bench`: per-stage medians for the sample portrait at ≈0.5 MP and ≈12 MP, Stage A/B totals, model time
two ways (the model calls with their own pre/post-processing, and pure inference: ONNX Runtime's run and LiteRT's
run alone), the whole call (Stage A + Stage B) over each, and peak RSS — all measured in this one run. Not a test:
it prints numbers, it asserts nothing. Targets (issue #14): whole call <= 1.6 x inference, Stage B at 0.5 MP
(blue background + 4R sheet) <= 35 ms.
"""

from __future__ import annotations

import argparse
import io
import resource
import statistics
import time

from PIL import Image

from edges.inprocess import local_clients
from edges.sample import sample_portrait
from idphoto.domain.specs import get_spec
from idphoto.domain.types import RenderOptions
from idphoto.pipeline.run import stage_a
from idphoto.pipeline.stage_b import run_stage_b

SIZES = {"0.5MP": 720, "12MP": 3464}
WHOLE_OVER_INFERENCE_TARGET = 1.6
STAGE_B_TARGET_MS = 35.0


class ModelTimer:
    """Times the models two ways. ``seconds``: the model calls as the pipeline makes them, each with its own pre- and
    post-processing (the MTCNN cascade with its image pyramid, the face mesh and iris with their crops, also counted
    on their own in ``mesh_seconds``, and the matting model's predict with its resizes). ``inference_seconds``: only
    the runtimes' own calls (ONNX Runtime ``run`` of the three MTCNN nets and RVM, LiteRT ``run`` of mesh and iris)."""

    def __init__(self, clients) -> None:
        self.seconds = self.mesh_seconds = self.inference_seconds = 0.0
        core, model = clients.face.core, clients.matting.model
        detector = core.detector
        for owner, name in ((detector._pnet, "run"), (detector._rnet, "run"), (detector._onet, "run"),
                            (model.session, "run"), (core.mesh.mesh, "run"), (core.mesh.iris, "run")):
            setattr(owner, name, self._timed(getattr(owner, name), "inference_seconds"))
        detector.detect = self._timed(detector.detect)
        core.mesh.fit = self._timed(core.mesh.fit, mesh=True)
        core.mesh.pupils = self._timed(core.mesh.pupils, mesh=True)
        model.predict = self._timed(model.predict)

    def reset(self) -> None:
        self.seconds = self.mesh_seconds = self.inference_seconds = 0.0

    def _timed(self, fn, counter: str = "seconds", mesh: bool = False):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent = time.perf_counter() - start
                setattr(self, counter, getattr(self, counter) + spent)
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
        models.reset()
        start = time.perf_counter()
        cutout = stage_a(data, spec, clients, timings=timings)
        timings["stage_a"] = time.perf_counter() - start
        timings["models"], timings["mesh"] = models.seconds, models.mesh_seconds
        timings["inference"] = models.inference_seconds
        start = time.perf_counter()
        run_stage_b(cutout, spec, RenderOptions(background="blue", sheet="4r"), clients.compose)
        timings["stage_b"] = time.perf_counter() - start
        timings["whole"] = timings["stage_a"] + timings["stage_b"]
        runs.append(timings)
    med = {k: statistics.median(r[k] for r in runs) * 1000.0 for k in runs[0]}
    # ratios per run, then their median (a median of ratios, not a ratio of medians)
    med["whole_over_models"] = statistics.median(r["whole"] / r["models"] for r in runs)
    med["whole_over_inference"] = statistics.median(r["whole"] / r["inference"] for r in runs)
    return med


SUMMARY = ("stage_a", "stage_b", "models", "mesh", "inference", "whole", "whole_over_models", "whole_over_inference")


def _print(label: str, megapixels: float, med: dict[str, float]) -> None:
    print(f"\n== sample at {label} ({megapixels:.1f} MP), median ms")
    for name, value in med.items():
        if name not in SUMMARY:
            print(f"  {name:<14}{value:9.1f}")
    print(f"  {'Stage A':<14}{med['stage_a']:9.1f}")
    print(f"  {'Stage B':<14}{med['stage_b']:9.1f}   (blue background + 4R sheet; Stage B / Stage A = "
          f"{med['stage_b'] / med['stage_a']:.3f})")
    print(f"  {'whole call':<14}{med['whole']:9.1f}   (Stage A + Stage B)")
    print(f"  model calls with their pre/post-processing {med['models']:.1f} ms = "
          f"{100 * med['models'] / med['stage_a']:.0f} % of Stage A; whole / model calls = "
          f"{med['whole_over_models']:.2f}")
    print(f"  pure inference (ONNX Runtime + LiteRT run) {med['inference']:.1f} ms = "
          f"{100 * med['inference'] / med['whole']:.0f} % of the whole call; whole / inference = "
          f"{med['whole_over_inference']:.2f} (target <= {WHOLE_OVER_INFERENCE_TARGET})")
    print(f"  face mesh + iris per photo (3 mesh passes, 2 eye crops) {med['mesh']:.1f} ms (target <= 15 ms); "
          f"Stage A without it {med['stage_a'] - med['mesh']:.1f} ms")
    if label == "0.5MP":
        verdict = "met" if med["stage_b"] <= STAGE_B_TARGET_MS else "NOT met"
        print(f"  Stage B at 0.5 MP incl. the 4R sheet: {med['stage_b']:.1f} ms (target <= {STAGE_B_TARGET_MS:.0f} ms:"
              f" {verdict})")


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

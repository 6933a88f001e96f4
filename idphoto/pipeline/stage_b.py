"""Stage B: crop → background → adjust → export → sheet → report, from a stored cutout, with no model call.
The compose service does the work; this runs it with a deadline check and a timing."""

from __future__ import annotations

import time

from idphoto.domain.types import Cutout, RenderOptions, RenderResult
from idphoto.pipeline.clients import ComposeClient
from idphoto.pipeline.deadline import Deadline


def run_stage_b(cutout: Cutout, spec, options: RenderOptions, compose: ComposeClient,
                deadline: Deadline | None = None, timings: dict[str, float] | None = None) -> RenderResult:
    (deadline or Deadline()).check("render")
    start = time.perf_counter()
    result = compose.render(cutout, spec, options)
    if timings is not None:
        timings["render"] = time.perf_counter() - start
    return result

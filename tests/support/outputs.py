"""Where the marked ground truth lands in a rendered photo: source → region (the cutout's matrix) → output
(the placement's scale and offsets, read back from the report)."""

from __future__ import annotations

import io
import math

import numpy as np
from PIL import Image

from tests.support import truth


def truth_in_photo(run, source_matrix: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Marked points in output pixels. ``source_matrix`` maps astronaut pixels to the input image's pixels."""
    m = np.vstack([np.array(run.cutout.meta["region_matrix"]), [0, 0, 1]])
    if source_matrix is not None:
        m = m @ np.vstack([source_matrix, [0, 0, 1]])
    measured = run.result.report["measured"]
    dpi = run.result.report["output"]["dpi"]
    scale = measured["scale"]
    crown_out = measured["crown_margin_mm"] * dpi / 25.4
    head = run.cutout.head

    def to_photo(point) -> np.ndarray:
        x, y = (m @ np.array([point[0], point[1], 1.0]))[:2]
        return np.array([(x - head.center_x) * scale + measured["center_x_px"],
                         (y - head.crown_y) * scale + crown_out])

    names = ("LEFT_PUPIL", "RIGHT_PUPIL", "CROWN", "CHIN")
    return {name.lower(): to_photo(getattr(truth, name)) for name in names}


def true_geometry(run, source_matrix: np.ndarray | None = None) -> dict[str, float]:
    pts = truth_in_photo(run, source_matrix)
    height = run.result.photo.shape[0]
    dpi = run.result.report["output"]["dpi"]
    eye_y = (pts["left_pupil"][1] + pts["right_pupil"][1]) / 2
    head_px = pts["chin"][1] - pts["crown"][1]
    d = pts["right_pupil"] - pts["left_pupil"]
    return {"head_pct": 100 * head_px / height, "head_mm": head_px * 25.4 / dpi,
            "eye_line_pct": 100 * (height - eye_y) / height, "roll_deg": math.degrees(math.atan2(d[1], d[0])),
            "crown_y": float(pts["crown"][1])}


def decoded(data: bytes) -> tuple[np.ndarray, dict]:
    with Image.open(io.BytesIO(data)) as img:
        return np.asarray(img.convert("RGB")), dict(img.info)

"""MTCNN face detection (P-Net → R-Net → O-Net) over ONNX Runtime, written for this project in numpy.

The three networks are Keras exports of the original Caffe weights, which were trained on transposed images:
every input is fed transposed (width and height swapped) and every spatial output is transposed back. Inputs are
RGB scaled as (x − 127.5) / 128. O-Net's 10 landmark values are 5 x then 5 y, relative to its 48×48 box.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from idphoto.domain.types import Face
from idphoto.models.runtime import RuntimeOptions, create_session
from idphoto.models.store import model_path

_STRIDE = 2
_CELL = 12


@dataclass(frozen=True)
class CascadeSettings:
    min_face: int = 20                  # smallest face side, px of the image fed to detect()
    scale_factor: float = 0.709
    thresholds: tuple[float, float, float] = (0.6, 0.7, 0.7)


def _normalise(img: np.ndarray) -> np.ndarray:
    return (img.astype(np.float32) - 127.5) * 0.0078125


def nms(boxes: np.ndarray, scores: np.ndarray, threshold: float, mode: str = "union") -> np.ndarray:
    """Indices kept by greedy non-maximum suppression (boxes x0, y0, x1, y1 inclusive pixel bounds)."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    x0, y0, x1, y1 = boxes.T
    area = (x1 - x0 + 1) * (y1 - y0 + 1)
    order = np.argsort(scores)[::-1]
    keep = []
    while order.size:
        i, rest = order[0], order[1:]
        keep.append(i)
        w = np.maximum(0.0, np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]) + 1)
        h = np.maximum(0.0, np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]) + 1)
        inter = w * h
        denom = np.minimum(area[i], area[rest]) if mode == "min" else area[i] + area[rest] - inter
        order = rest[inter / denom <= threshold]
    return np.asarray(keep, dtype=np.int64)


def apply_regression(boxes: np.ndarray, reg: np.ndarray) -> np.ndarray:
    w = boxes[:, 2] - boxes[:, 0] + 1
    h = boxes[:, 3] - boxes[:, 1] + 1
    return boxes + reg * np.stack([w, h, w, h], axis=1)


def to_square(boxes: np.ndarray) -> np.ndarray:
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    x0 = boxes[:, 0] + (w - side) * 0.5
    y0 = boxes[:, 1] + (h - side) * 0.5
    return np.stack([x0, y0, x0 + side, y0 + side], axis=1)


def crop_patches(img: np.ndarray, boxes: np.ndarray, size: int) -> np.ndarray:
    """Each box (rounded, zero-padded outside the image) resized to size×size, as N×size×size×3 float32."""
    h, w = img.shape[:2]
    out = np.empty((len(boxes), size, size, 3), dtype=np.float32)
    for k, (bx0, by0, bx1, by1) in enumerate(np.round(boxes).astype(int)):
        bw, bh = bx1 - bx0 + 1, by1 - by0 + 1
        patch = np.zeros((max(bh, 1), max(bw, 1), 3), dtype=np.uint8)
        sx0, sy0, sx1, sy1 = max(bx0, 0), max(by0, 0), min(bx1 + 1, w), min(by1 + 1, h)
        if sx1 > sx0 and sy1 > sy0:
            patch[sy0 - by0:sy1 - by0, sx0 - bx0:sx1 - bx0] = img[sy0:sy1, sx0:sx1]
        out[k] = cv2.resize(patch, (size, size), interpolation=cv2.INTER_AREA)
    return out


def pyramid_scales(height: int, width: int, settings: CascadeSettings) -> list[float]:
    base = _CELL / settings.min_face
    side = min(height, width) * base
    scales = []
    while side >= _CELL:
        scales.append(base * settings.scale_factor ** len(scales))
        side *= settings.scale_factor
    return scales


class MTCNN:
    """The cascade. ``detect(rgb)`` returns faces sorted by area, largest first."""

    def __init__(self, model_dir: Path | None = None, runtime: RuntimeOptions = RuntimeOptions(),
                 settings: CascadeSettings = CascadeSettings()) -> None:
        self.settings = settings
        self._pnet, self._rnet, self._onet = (
            create_session(model_path(f"mtcnn-{n}", model_dir), runtime) for n in ("pnet", "rnet", "onet"))
        self.calls = 0

    def _pnet_candidates(self, img: np.ndarray, settings: CascadeSettings) -> np.ndarray:
        h, w = img.shape[:2]
        found = []
        for scale in pyramid_scales(h, w, settings):
            sh, sw = int(np.ceil(h * scale)), int(np.ceil(w * scale))
            small = _normalise(cv2.resize(img, (sw, sh), interpolation=cv2.INTER_AREA))
            reg, prob = self._pnet.run(None, {self._pnet.get_inputs()[0].name: small.transpose(1, 0, 2)[None]})
            prob_map, reg_map = prob[0].transpose(1, 0, 2)[..., 1], reg[0].transpose(1, 0, 2)
            rows, cols = np.nonzero(prob_map >= self.settings.thresholds[0])
            if rows.size == 0:
                continue
            boxes = np.stack([(_STRIDE * cols + 1) / scale, (_STRIDE * rows + 1) / scale,
                              (_STRIDE * cols + _CELL) / scale, (_STRIDE * rows + _CELL) / scale], axis=1)
            scores = prob_map[rows, cols]
            keep = nms(boxes, scores, 0.5)
            found.append(np.hstack([boxes[keep], scores[keep, None], reg_map[rows, cols][keep]]))
        if not found:
            return np.zeros((0, 4))
        cand = np.vstack(found)
        cand = cand[nms(cand[:, :4], cand[:, 4], 0.7)]
        return to_square(apply_regression(cand[:, :4], cand[:, 5:9]))

    def _refine(self, img: np.ndarray, boxes: np.ndarray) -> np.ndarray:
        patches = _normalise(crop_patches(img, boxes, 24)).transpose(0, 2, 1, 3)
        reg, prob = self._rnet.run(None, {self._rnet.get_inputs()[0].name: patches})
        ok = prob[:, 1] >= self.settings.thresholds[1]
        boxes, reg, scores = boxes[ok], reg[ok], prob[ok, 1]
        keep = nms(boxes, scores, 0.7)
        return to_square(apply_regression(boxes[keep], reg[keep]))

    def _output(self, img: np.ndarray, boxes: np.ndarray) -> list[Face]:
        patches = _normalise(crop_patches(img, boxes, 48)).transpose(0, 2, 1, 3)
        reg, marks, prob = self._onet.run(None, {self._onet.get_inputs()[0].name: patches})
        ok = prob[:, 1] >= self.settings.thresholds[2]
        boxes, reg, marks, scores = boxes[ok], reg[ok], marks[ok], prob[ok, 1]
        w = (boxes[:, 2] - boxes[:, 0] + 1)[:, None]
        h = (boxes[:, 3] - boxes[:, 1] + 1)[:, None]
        xs = boxes[:, 0:1] + w * marks[:, 0:5] - 1
        ys = boxes[:, 1:2] + h * marks[:, 5:10] - 1
        final = apply_regression(boxes, reg)
        keep = nms(final, scores, 0.7, mode="min")
        faces = [Face(box=final[i], score=float(scores[i]), landmarks=np.stack([xs[i], ys[i]], axis=1))
                 for i in keep]
        return sorted(faces, key=lambda f: f.width * f.height, reverse=True)

    def detect(self, rgb: np.ndarray, min_face: int | None = None) -> list[Face]:
        """Faces in ``rgb``; ``min_face`` overrides the smallest face searched for this call only (the detector
        is shared between threads and never changes its own settings)."""
        self.calls += 1
        settings = self.settings if min_face is None else replace(self.settings, min_face=min_face)
        boxes = self._pnet_candidates(rgb, settings)
        if len(boxes):
            boxes = self._refine(rgb, boxes)
        if len(boxes) == 0:
            return []
        return self._output(rgb, boxes)

    def warmup(self) -> None:
        self.detect(np.full((64, 64, 3), 127, dtype=np.uint8))
        self.calls = 0

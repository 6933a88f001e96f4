"""Chin estimation. MTCNN gives no chin point; the chin is found from landmark geometry refined by image evidence.

Prior: chin = mouth + K × (mouth − eyes) vertically (levelled image). Evidence: the lower edge of the chin is a
horizontal light-to-dark transition (lit skin above, the shadowed neck or collar below) in a narrow column band
under the mouth. Rows in an anatomical search window below the mouth are scored by the mean downward darkening
across the band (dark-to-light edges count at half weight, for dark beards and dark backgrounds); the chin is the
top-most strong edge (collars and necklaces further down are often stronger), settled into the shadow line just
below it. Weak evidence falls back to the prior.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

PRIOR_K = 1.15            # mouth→chin in units of eyes→mouth (anthropometric mean; the sample measures 1.02)
SEARCH = (0.65, 1.7)      # search window, same units
BAND_HALF_WIDTH = 0.22    # column band, in eye distances each side of the face centre
PEAK_SHARE = 0.35         # an edge counts as strong at this share of the strongest in the window
VALLEY_DEPTH = 0.15       # how far below the edge the jaw shadow may lie, in eyes→mouth units
VALLEY_RISE = 4.0         # grey levels the band must brighten again below a crease for it to count
MIN_EDGE = 2.0            # mean grey levels per pixel: weaker evidence is ignored


@dataclass(frozen=True)
class ChinEstimate:
    y: float
    prior_y: float
    edge_strength: float
    from_evidence: bool


def _row_edges(grey: np.ndarray, x0: int, x1: int) -> np.ndarray:
    """Per row: mean darkening going down (positive = lighter above, darker below)."""
    smooth = cv2.GaussianBlur(grey, (0, 0), 1.5)
    dy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    band = -dy[:, x0:x1]
    return np.where(band > 0, band, 0.5 * -band).mean(axis=1)


def estimate_chin(rgb: np.ndarray, eye_y: float, mouth_y: float, center_x: float, eye_distance: float
                  ) -> ChinEstimate:
    em = max(mouth_y - eye_y, 1.0)
    prior = mouth_y + PRIOR_K * em
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    h, w = grey.shape
    x0 = int(max(0, round(center_x - BAND_HALF_WIDTH * eye_distance)))
    x1 = int(min(w, round(center_x + BAND_HALF_WIDTH * eye_distance)))
    y0 = int(max(0, np.floor(mouth_y + SEARCH[0] * em)))
    y1 = int(min(h - 1, np.ceil(mouth_y + SEARCH[1] * em)))
    if x1 - x0 < 3 or y1 - y0 < 3:
        return ChinEstimate(prior, prior, 0.0, False)
    edges = _row_edges(grey, x0, x1)[y0:y1 + 1]
    edge_row = _first_strong_peak(edges)
    if edge_row is None:
        return ChinEstimate(prior, prior, float(edges.max()), False)
    band_mean = cv2.GaussianBlur(grey, (0, 0), 1.0)[:, x0:x1].mean(axis=1)
    chin_y = _shadow_valley(band_mean, edges, edge_row, y0, VALLEY_DEPTH * em)
    return ChinEstimate(chin_y, prior, float(edges[edge_row]), True)


def _first_strong_peak(edges: np.ndarray) -> int | None:
    """The top-most local maximum of at least PEAK_SHARE of the strongest edge (and MIN_EDGE)."""
    threshold = max(MIN_EDGE, PEAK_SHARE * float(edges.max()))
    if edges.max() < MIN_EDGE:
        return None
    for i in range(1, len(edges) - 1):
        if edges[i] >= edges[i - 1] and edges[i] >= edges[i + 1] and edges[i] >= threshold:
            return i
    return int(np.argmax(edges))


def _parabola_offset(a: float, b: float, c: float) -> float:
    denom = a - 2 * b + c
    return 0.0 if abs(denom) < 1e-9 else float(np.clip(0.5 * (a - c) / denom, -0.5, 0.5))


def _shadow_valley(band_mean: np.ndarray, edges: np.ndarray, edge_row: int, y0: int, depth: float) -> float:
    """The skin turns under the jaw in the shadow just below the edge: the darkest row within ``depth`` of the
    edge when brightness rises again after it (a real crease), else the edge itself, both sub-pixel."""
    edge_y = y0 + edge_row
    end = min(len(band_mean) - 1, int(np.ceil(edge_y + 2 * depth)))
    window = band_mean[edge_y:end + 1]
    k = int(np.argmin(window[:int(np.ceil(depth)) + 1]))
    if 0 < k < len(window) - 1 and window[k + 1:].max() - window[k] >= VALLEY_RISE:
        return float(edge_y + k + _parabola_offset(window[k - 1], window[k], window[k + 1]))
    if 0 < edge_row < len(edges) - 1:
        return float(edge_y + _parabola_offset(edges[edge_row - 1], edges[edge_row], edges[edge_row + 1]))
    return float(edge_y)

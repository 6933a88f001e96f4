"""Print sheets drawn: copies of the photo at the planned positions (``idphoto.domain.sheets``), with light cut
guides between them."""

from __future__ import annotations

import numpy as np

from idphoto.domain.sheets import SheetLayout
from idphoto.errors import InternalError

GUIDE_COLOR = (200, 200, 200)


def _guide_lines(starts: list[int], size: int, length: int) -> list[int]:
    """Guide coordinates on one axis: one px outside each copy edge with one white px between, never within
    1 px of any copy span ``[start, start + size)``."""
    spans = sorted(set(starts))
    candidates = {s - 2 for s in spans} | {s + size + 1 for s in spans}
    return sorted(c for c in candidates
                  if 0 <= c < length and all(not (s - 1 <= c <= s + size) for s in spans))


def render_sheet(photo_rgb: np.ndarray, layout: SheetLayout, cut_guides: bool = True) -> np.ndarray:
    """White paper with every copy pixel-identical to ``photo_rgb``; thin light-grey guides (optional) run
    through the gaps and margins along the copies' edges and never touch a copy."""
    photo = np.asarray(photo_rgb)
    if photo.ndim != 3 or photo.shape[2] != 3 or photo.dtype != np.uint8:
        raise InternalError("render_sheet needs an HxWx3 uint8 photo", shape=list(photo.shape))
    ph, pw = photo.shape[:2]
    for x, y in layout.positions:
        if x < 0 or y < 0 or x + pw > layout.width_px or y + ph > layout.height_px:
            raise InternalError("sheet layout does not fit this photo", photo_px=[pw, ph],
                                position=[x, y], sheet_px=[layout.width_px, layout.height_px])
    sheet = np.full((layout.height_px, layout.width_px, 3), 255, dtype=np.uint8)
    if cut_guides and layout.positions:
        xs = _guide_lines([x for x, _ in layout.positions], pw, layout.width_px)
        ys = _guide_lines([y for _, y in layout.positions], ph, layout.height_px)
        sheet[:, xs] = GUIDE_COLOR
        sheet[ys, :] = GUIDE_COLOR
    for x, y in layout.positions:
        sheet[y:y + ph, x:x + pw] = photo
    return sheet

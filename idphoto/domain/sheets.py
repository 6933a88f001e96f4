"""Print-sheet layout: paper sizes, and how many copies of a photo fit on a paper in which orientation, where.
Pure arithmetic; drawing the sheet is compose's (``services.compose.sheet``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from idphoto.errors import InternalError, InvalidOptionError, PaperNotFoundError

MM_PER_INCH = 25.4

# Paper sizes in mm, portrait (width <= height).
PAPERS: dict[str, tuple[float, float]] = {
    "3r": (88.9, 127.0),         # 3.5 x 5 in
    "4r": (101.6, 152.4),        # 4 x 6 in, the usual photo-kiosk print
    "5x7": (127.0, 177.8),
    "6x8": (152.4, 203.2),
    "8x10": (203.2, 254.0),
    "a6": (105.0, 148.0),
    "a5": (148.0, 210.0),
    "a4": (210.0, 297.0),
    "letter": (215.9, 279.4),
}
PAPER_ALIASES = {"4x6": "4r", "5r": "5x7", "6r": "6x8", "8r": "8x10", "3.5x5": "3r"}
MAX_CUSTOM_MM = 1000.0
_CUSTOM = re.compile(r"custom:\s*(\d+(?:\.\d+)?)\s*[x×*]\s*(\d+(?:\.\d+)?)\s*(?:mm)?")


def parse_paper(paper: str) -> tuple[float, float]:
    """(width_mm, height_mm) of a paper id (case-insensitive, PAPERS) or ``custom:WxH`` (mm)."""
    key = str(paper or "").strip().lower()
    if not key:
        raise InvalidOptionError("no paper size given", option="sheet")
    key = PAPER_ALIASES.get(key, key)
    if key in PAPERS:
        return PAPERS[key]
    if key.startswith("custom"):
        match = _CUSTOM.fullmatch(key)
        if not match:
            raise InvalidOptionError(f"bad custom paper {paper!r}: use custom:WxH in mm, e.g. custom:100x150",
                                     option="sheet", value=str(paper))
        w, h = float(match.group(1)), float(match.group(2))
        if not (0 < w <= MAX_CUSTOM_MM and 0 < h <= MAX_CUSTOM_MM):
            raise InvalidOptionError(f"custom paper sides must be in (0, {MAX_CUSTOM_MM:g}] mm",
                                     option="sheet", value=str(paper))
        return (w, h)
    raise PaperNotFoundError(f"unknown paper size {paper!r}", paper=str(paper),
                             known=sorted(PAPERS) + ["custom:WxH"])


def mm_to_px(mm: float, dpi: int) -> int:
    return int(round(mm / MM_PER_INCH * dpi))


@dataclass
class SheetLayout:
    paper: str
    width_px: int
    height_px: int
    dpi: int
    cols: int
    rows: int
    positions: list[tuple[int, int]] = field(default_factory=list)   # (x, y) top-left of each copy, row-major

    @property
    def count(self) -> int:
        return len(self.positions)

    @property
    def landscape(self) -> bool:
        return self.width_px > self.height_px


def _fit(length: int, item: int, gap: int, margin: int) -> int:
    usable = length - 2 * margin
    return max(0, (usable + gap) // (item + gap)) if usable >= item else 0


def _check_plan_args(photo_w_px: int, photo_h_px: int, dpi: int, gap_mm: float, margin_mm: float) -> None:
    if int(photo_w_px) <= 0 or int(photo_h_px) <= 0:
        raise InternalError("photo size must be positive", width=photo_w_px, height=photo_h_px)
    if not 1 <= int(dpi) <= 4800:
        raise InvalidOptionError("dpi must be between 1 and 4800", option="dpi", value=dpi)
    for name, value in (("sheet_gap_mm", gap_mm), ("sheet_margin_mm", margin_mm)):
        if not math.isfinite(float(value)) or not 0 <= float(value) <= 50:
            raise InvalidOptionError(f"{name} must be between 0 and 50 mm", option=name, value=value)


def plan_sheet(photo_w_px: int, photo_h_px: int, paper: str, dpi: int = 300, gap_mm: float = 2.0,
               margin_mm: float = 3.0) -> SheetLayout:
    """Lay copies of a photo out on ``paper`` in whichever orientation (portrait first) fits the most copies,
    as a grid centred on the paper, ``gap_mm`` between copies and at least ``margin_mm`` from the edges."""
    _check_plan_args(photo_w_px, photo_h_px, dpi, gap_mm, margin_mm)
    w_mm, h_mm = parse_paper(paper)
    pw, ph, dpi = int(photo_w_px), int(photo_h_px), int(dpi)
    gap, margin = mm_to_px(gap_mm, dpi), mm_to_px(margin_mm, dpi)
    short, long_ = sorted((mm_to_px(w_mm, dpi), mm_to_px(h_mm, dpi)))
    best: tuple[int, int, int, int] | None = None          # (paper_w, paper_h, cols, rows)
    for sw, sh in ((short, long_), (long_, short)):
        cols, rows = _fit(sw, pw, gap, margin), _fit(sh, ph, gap, margin)
        if best is None or cols * rows > best[2] * best[3]:
            best = (sw, sh, cols, rows)
    sw, sh, cols, rows = best  # type: ignore[misc]
    if cols * rows == 0:
        raise InvalidOptionError(f"a {pw}x{ph} px photo does not fit on paper {paper!r} at {dpi} dpi",
                                 option="sheet", paper=str(paper), photo_px=[pw, ph], paper_px=[short, long_])
    x0 = (sw - (cols * pw + (cols - 1) * gap)) // 2
    y0 = (sh - (rows * ph + (rows - 1) * gap)) // 2
    positions = [(x0 + c * (pw + gap), y0 + r * (ph + gap)) for r in range(rows) for c in range(cols)]
    return SheetLayout(str(paper).strip().lower(), sw, sh, dpi, cols, rows, positions)


DEFAULT_GAP_MM = 2.0
DEFAULT_MARGIN_MM = 3.0


def plan_best_sheet(photo_w_px: int, photo_h_px: int, paper: str, dpi: int = 300, gap_mm: float | None = None,
                    margin_mm: float | None = None) -> SheetLayout:
    """``plan_sheet`` with spacing left to us when both are None: the default gap and margin, unless printing
    edge to edge fits more copies (a 2×2 in photo on 4×6 in paper: 6 copies instead of 2)."""
    if gap_mm is not None or margin_mm is not None:
        return plan_sheet(photo_w_px, photo_h_px, paper, dpi,
                          DEFAULT_GAP_MM if gap_mm is None else gap_mm,
                          DEFAULT_MARGIN_MM if margin_mm is None else margin_mm)
    spaced = plan_sheet(photo_w_px, photo_h_px, paper, dpi, DEFAULT_GAP_MM, DEFAULT_MARGIN_MM)
    try:
        tight = plan_sheet(photo_w_px, photo_h_px, paper, dpi, 0.0, 0.0)
    except InvalidOptionError:
        return spaced
    return tight if tight.cols * tight.rows > spaced.cols * spaced.rows else spaced

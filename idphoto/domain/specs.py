"""The document spec catalogue: the passport_photo_specs data plus head geometry (``spec_geometry``).

Pixel size and dpi come from the catalogue unchanged. Millimetres are the catalogue's nominal size, except for
documents defined in whole inches (pixel size a multiple of 1/8 in at its dpi, e.g. US 2x2 in = 600 px @ 300 dpi):
there the exact ``px / dpi * 25.4`` is used (50.8 mm, not the catalogue's rounded 51).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import passport_photo_specs

from idphoto.domain.spec_geometry import (
    ICAO_DEFAULT_HEAD_FRACTION,
    ICAO_DEFAULT_SOURCE,
    INCH_MM,
    OFFICIAL,
)
from idphoto.errors import InvalidOptionError, SpecNotFoundError

GeometryKind = Literal["official", "icao-default", "custom"]


@dataclass(frozen=True)
class Spec:
    id: str
    country: str
    country_name: str
    document: str
    width_mm: float
    height_mm: float
    width_px: int
    height_px: int
    dpi: int
    head_min_mm: float                              # chin to crown
    head_max_mm: float
    crown_margin_mm: tuple[float, float] | None     # top edge to crown, min/max
    eye_line_mm: tuple[float, float] | None         # eye line height above the BOTTOM edge, min/max
    background: str                                 # hex, default background
    backgrounds: tuple[str, ...]                    # acceptable named colours; empty = any
    geometry: GeometryKind
    source: str                                     # citation for the geometry
    requirements: tuple[str, ...]

    @property
    def px_per_mm(self) -> float:
        return self.dpi / INCH_MM

    def to_dict(self) -> dict:
        return {
            "id": self.id, "country": self.country, "country_name": self.country_name,
            "document": self.document, "width_mm": self.width_mm, "height_mm": self.height_mm,
            "width_px": self.width_px, "height_px": self.height_px, "dpi": self.dpi,
            "head_mm": [self.head_min_mm, self.head_max_mm],
            "crown_margin_mm": list(self.crown_margin_mm) if self.crown_margin_mm else None,
            "eye_line_mm": list(self.eye_line_mm) if self.eye_line_mm else None,
            "background": self.background, "backgrounds": list(self.backgrounds),
            "geometry": self.geometry, "source": self.source, "requirements": list(self.requirements),
        }


# Named colours as they appear in the catalogue's free-text "background" field, longest first so that
# "light grey" wins over "grey" and "off-white" over "white".
_COLOUR_WORDS = (
    ("off-white", "off-white"), ("light grey", "light-grey"), ("light gray", "light-grey"),
    ("light blue", "light-blue"), ("cream", "cream"), ("white", "white"), ("grey", "grey"),
    ("gray", "grey"), ("red", "red"), ("blue", "blue"),
)


def _named_backgrounds(text: str) -> tuple[str, ...]:
    rest = text.lower()
    hits: list[tuple[int, str]] = []
    for word, name in _COLOUR_WORDS:
        pos = rest.find(word)
        if pos >= 0:
            hits.append((pos, name))
            rest = rest.replace(word, " " * len(word))     # same length keeps the other positions
    return tuple(dict.fromkeys(name for _, name in sorted(hits)))


def _is_inch_based(px: int, dpi: int) -> bool:
    eighths = px / dpi * 8
    return abs(eighths - round(eighths)) * dpi / 8 <= 0.5


def _size_mm(doc: dict) -> tuple[float, float]:
    w_px, h_px, dpi = int(doc["widthPx"]), int(doc["heightPx"]), int(doc["dpi"])
    if _is_inch_based(w_px, dpi) and _is_inch_based(h_px, dpi):
        return round(w_px / dpi * INCH_MM, 3), round(h_px / dpi * INCH_MM, 3)
    return float(doc["widthMm"]), float(doc["heightMm"])


# Catalogue lines that state a head or face size ("Face must cover 70 - 80% of the frame", "Face height between
# 31 - 36 mm from chin to crown"). They are replaced by lines made from the geometry the crop actually uses, so
# the displayed text cannot contradict it (the catalogue's us-passport line said 70-80 %, its geometry 50-69 %).
_SIZE_CLAIM = re.compile(r"\b(face|head)\b.*\d.*(%|\bmm\b|\bcm\b|\binch)", re.IGNORECASE)
HEAD_LINE_PREFIX = "Head (chin to crown): "


def _mm(value: float) -> str:
    return f"{round(value, 1):g}"


def geometry_lines(height_mm: float, head: tuple[float, float], eye: tuple[float, float] | None,
                   crown: tuple[float, float] | None, kind: GeometryKind) -> list[str]:
    """Requirement lines stating the geometry: head range (mm and % of the height), eye line, crown margin."""
    pct = f"{round(head[0] / height_mm * 100)}–{round(head[1] / height_mm * 100)} %"
    origin = "ICAO default" if kind == "icao-default" else "official source"
    lines = [f"{HEAD_LINE_PREFIX}{_mm(head[0])}–{_mm(head[1])} mm, {pct} of the {_mm(height_mm)} mm photo "
             f"height ({origin})"]
    if eye is not None:
        lines.append(f"Eye line {_mm(eye[0])}–{_mm(eye[1])} mm above the bottom edge")
    if crown is not None:
        lines.append(f"Top of the head {_mm(crown[0])}–{_mm(crown[1])} mm below the top edge")
    return lines


def _requirements(doc: dict, size_mm: tuple[float, float], lines: list[str]) -> tuple[str, ...]:
    """The catalogue's lines without its size claims, its rounded mm replaced by the true size, then ``lines``."""
    rounded = f"{doc['widthMm']:g}×{doc['heightMm']:g} mm"
    true = f"{_mm(size_mm[0])}×{_mm(size_mm[1])} mm"
    kept = [str(r).replace(rounded, true) for r in doc.get("requirements", ()) if not _SIZE_CLAIM.search(str(r))]
    return tuple(kept + lines)


def _build(doc: dict, country: dict) -> Spec:
    width_mm, height_mm = _size_mm(doc)
    official = OFFICIAL.get(doc["id"])
    if official is not None:
        if official.size_mm:
            width_mm, height_mm = official.size_mm
        head, crown, eye = official.head_mm, official.crown_margin_mm, official.eye_line_mm
        kind: GeometryKind = "official"
        source = official.source
    else:
        lo, hi = ICAO_DEFAULT_HEAD_FRACTION
        head, crown, eye = (round(lo * height_mm, 3), round(hi * height_mm, 3)), None, None
        kind, source = "icao-default", ICAO_DEFAULT_SOURCE
    return Spec(
        id=doc["id"], country=country["id"], country_name=country["name"], document=doc["name"],
        width_mm=width_mm, height_mm=height_mm, width_px=int(doc["widthPx"]), height_px=int(doc["heightPx"]),
        dpi=int(doc["dpi"]), head_min_mm=float(head[0]), head_max_mm=float(head[1]),
        crown_margin_mm=crown, eye_line_mm=eye, background=str(doc["bgColor"]).lower(),
        backgrounds=_named_backgrounds(str(doc.get("background", ""))), geometry=kind, source=source,
        requirements=_requirements(doc, (width_mm, height_mm), geometry_lines(height_mm, head, eye, crown, kind)),
    )


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Spec]:
    specs: dict[str, Spec] = {}
    for country in passport_photo_specs.countries():
        for doc in country["documents"]:
            specs[doc["id"]] = _build(doc, country)
    return specs


def get_spec(spec_id: str) -> Spec:
    key = (spec_id or "").strip().lower()
    spec = _catalogue().get(key)
    if spec is not None:
        return spec
    close = difflib.get_close_matches(key, list(_catalogue()), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise SpecNotFoundError(f"unknown document spec {spec_id!r}{hint}", spec=spec_id, suggestions=close)


def list_specs(country: str | None = None) -> list[Spec]:
    specs = list(_catalogue().values())
    if country is None:
        return specs
    key = country.strip().lower()
    return [s for s in specs if key in (s.country, s.country_name.lower())]


def custom_spec(width: float, height: float, unit: Literal["mm", "px"] = "mm", dpi: int = 300,
                head_ratio: float = 0.75, background: str = "#ffffff") -> Spec:
    """A user-sized spec: the head (chin to crown) takes ``head_ratio`` +/- 0.05 of the height."""
    if unit not in ("mm", "px"):
        raise InvalidOptionError(f"custom spec unit must be mm or px, not {unit!r}", unit=unit)
    if not 72 <= int(dpi) <= 1200:
        raise InvalidOptionError("custom spec dpi must be within 72..1200", dpi=dpi)
    if not (width > 0 and height > 0):
        raise InvalidOptionError("custom spec width and height must be positive", width=width, height=height)
    if not 0.2 <= head_ratio <= 0.9:
        raise InvalidOptionError("custom spec head ratio must be within 0.2..0.9", head_ratio=head_ratio)
    dpi = int(dpi)
    if unit == "mm":
        w_px, h_px = round(width / INCH_MM * dpi), round(height / INCH_MM * dpi)
        w_mm, h_mm = float(width), float(height)
    else:
        w_px, h_px = int(round(width)), int(round(height))
        w_mm, h_mm = round(w_px / dpi * INCH_MM, 3), round(h_px / dpi * INCH_MM, 3)
    if not (16 <= w_px <= 10000 and 16 <= h_px <= 10000):
        raise InvalidOptionError("custom spec must be 16..10000 px on each side", width_px=w_px, height_px=h_px)
    size = f"{width:g}x{height:g}{unit}@{dpi}"
    spec_id = f"custom:{size}" + (f",head={head_ratio:g}" if head_ratio != 0.75 else "")
    return Spec(
        id=spec_id, country="custom", country_name="Custom", document=f"Custom {size}",
        width_mm=w_mm, height_mm=h_mm, width_px=w_px, height_px=h_px, dpi=dpi,
        head_min_mm=round((head_ratio - 0.05) * h_mm, 3), head_max_mm=round((head_ratio + 0.05) * h_mm, 3),
        crown_margin_mm=None, eye_line_mm=None, background=background, backgrounds=(),
        geometry="custom", source="user-defined size; head range = head_ratio +/- 0.05 of the height",
        requirements=(),
    )


_CUSTOM = re.compile(
    r"^custom:(?P<w>\d+(?:\.\d+)?)x(?P<h>\d+(?:\.\d+)?)(?P<unit>mm|px)?(?:@(?P<dpi>\d+))?"
    r"(?:,head=(?P<head>\d*\.?\d+))?$"
)


def parse_spec(text: str) -> Spec:
    """An id from the catalogue, or ``custom:WxH[mm|px][@dpi][,head=R]`` (mm and 300 dpi when left out)."""
    raw = (text or "").strip().lower().replace(" ", "")
    if not raw.startswith("custom:"):
        return get_spec(raw)
    match = _CUSTOM.match(raw)
    if match is None:
        raise InvalidOptionError(
            f"cannot read custom spec {text!r}; use e.g. custom:35x45mm@300 or custom:600x600px@300,head=0.6",
            spec=text)
    head = float(match["head"]) if match["head"] else 0.75
    return custom_spec(float(match["w"]), float(match["h"]), unit=match["unit"] or "mm",  # type: ignore[arg-type]
                       dpi=int(match["dpi"] or 300), head_ratio=head)

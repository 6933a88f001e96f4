"""Colour names and background specs: the option strings callers write, parsed into typed values. Pure, no I/O
(colour difference lives with the compliance report in ``services.compose.colour_difference``)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from idphoto.errors import InvalidOptionError

RGB = tuple[int, int, int]

NAMED_COLORS: dict[str, RGB] = {
    "white": (255, 255, 255),
    "off-white": (245, 245, 240),
    "light-grey": (220, 220, 220),
    "light-gray": (220, 220, 220),
    "grey": (190, 190, 190),
    "gray": (190, 190, 190),
    "blue": (67, 142, 219),          # #438edb, the usual ID-photo blue
    "light-blue": (173, 216, 240),
    "red": (217, 0, 27),             # #d9001b, the usual ID-photo red
    "cream": (255, 250, 230),
}

BACKGROUND_KINDS = ("solid", "vertical", "radial")
_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})")


def parse_color(text: str) -> RGB:
    """A colour name from NAMED_COLORS or ``#rgb`` / ``#rrggbb`` (case-insensitive)."""
    key = str(text).strip().lower().replace("_", "-").replace(" ", "-")
    if key in NAMED_COLORS:
        return NAMED_COLORS[key]
    match = _HEX.fullmatch(key)
    if not match:
        raise InvalidOptionError(f"unknown colour {text!r}: use a name ({', '.join(sorted(NAMED_COLORS))}) "
                                 "or #rgb / #rrggbb", option="color", value=str(text))
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


@dataclass(frozen=True)
class Background:
    """A background: one solid colour, or a gradient through evenly spaced colour stops.

    ``vertical`` runs from the top row (first stop) to the bottom row (last stop); ``radial`` from the centre
    (first stop) to the corners (last stop).
    """

    kind: Literal["solid", "vertical", "radial"]
    colors: tuple[RGB, ...]

    def __post_init__(self) -> None:
        if self.kind not in BACKGROUND_KINDS:
            raise InvalidOptionError(f"unknown background kind {self.kind!r}", option="background",
                                     allowed=list(BACKGROUND_KINDS))
        need = 1 if self.kind == "solid" else 2
        if (self.kind == "solid" and len(self.colors) != 1) or len(self.colors) < need:
            wanted = "exactly 1" if need == 1 else "at least 2"
            raise InvalidOptionError(f"a {self.kind} background needs {wanted} colours",
                                     option="background", got=len(self.colors))

    @property
    def reference(self) -> RGB:
        """The colour border pixels are compared against: the solid colour, or the mean of the stops."""
        if self.kind == "solid":
            return self.colors[0]
        mean = np.asarray(self.colors, dtype=np.float64).mean(axis=0)
        return tuple(int(v) for v in np.rint(mean))  # type: ignore[return-value]

    def to_text(self) -> str:
        hexes = ",".join("#{:02x}{:02x}{:02x}".format(*c) for c in self.colors)
        return hexes if self.kind == "solid" else f"{self.kind}:{hexes}"


def parse_background(text: str, default: str = "white") -> Background:
    """``""`` -> ``default``; ``"white"`` / ``"#1e90ff"`` -> solid;
    ``"vertical:#fff,#d0d8e0"`` (top -> bottom); ``"radial:#fff,#c8d0d8"`` (centre -> corners).
    ``"solid:<colour>"`` is accepted too."""
    raw = str(text or "").strip() or str(default).strip()
    if not raw:
        raise InvalidOptionError("empty background", option="background")
    kind, sep, rest = raw.partition(":")
    if not sep:
        return Background("solid", (parse_color(raw),))
    kind = kind.strip().lower()
    if kind not in BACKGROUND_KINDS:
        raise InvalidOptionError(f"unknown background kind {kind!r}", option="background", value=raw,
                                 allowed=list(BACKGROUND_KINDS))
    stops = tuple(parse_color(part) for part in rest.split(",") if part.strip())
    return Background(kind, stops)  # type: ignore[arg-type]

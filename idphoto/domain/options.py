"""RenderOptions checked up front (before a job is queued or a render starts) and carried as plain dicts."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from idphoto.domain.colors import parse_background
from idphoto.domain.sheets import parse_paper
from idphoto.domain.types import RenderOptions
from idphoto.errors import InvalidOptionError

FORMATS = {"jpg": "jpg", "jpeg": "jpg", "png": "png"}
ADJUST_RANGES: dict[str, tuple[float, float]] = {
    "brightness": (-100, 100),
    "contrast": (-100, 100),
    "saturation": (-100, 100),
    "sharpness": (0, 100),
}


def check_adjustment(name: str, value: float) -> float:
    lo, hi = ADJUST_RANGES[name]
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"{name} must be a number between {lo} and {hi}", option=name,
                                 value=str(value), min=lo, max=hi) from None
    if not math.isfinite(v) or v < lo or v > hi:
        raise InvalidOptionError(f"{name} must be between {lo} and {hi}, got {value}", option=name,
                                 value=v, min=lo, max=hi)
    return v


def check_options(options: RenderOptions) -> RenderOptions:
    """The options with the format normalised; ``InvalidOptionError``/``PaperNotFoundError`` naming the field."""
    try:
        parse_background(options.background)
    except InvalidOptionError as exc:               # a bad colour inside it is still the background's fault
        raise InvalidOptionError(exc.message, **{**exc.details, "option": "background"}) from exc
    for name in ADJUST_RANGES:
        check_adjustment(name, getattr(options, name))
    fmt = FORMATS.get((options.format or "jpg").lower())
    if fmt is None:
        raise InvalidOptionError("format must be jpg or png", option="format", value=options.format)
    if options.max_kb is not None and options.max_kb < 1:
        raise InvalidOptionError("max_kb must be at least 1", option="max_kb", value=options.max_kb)
    if options.dpi is not None and not 72 <= options.dpi <= 1200:
        raise InvalidOptionError("dpi must be between 72 and 1200", option="dpi", value=options.dpi)
    if options.sheet:
        parse_paper(options.sheet)
    return dataclasses.replace(options, format=fmt)


def options_to_dict(options: RenderOptions) -> dict[str, Any]:
    return dataclasses.asdict(options)


def options_from_dict(data: dict[str, Any]) -> RenderOptions:
    known = {f.name for f in dataclasses.fields(RenderOptions)}
    return RenderOptions(**{k: v for k, v in data.items() if k in known})

"""Typed configuration from the environment: defaults, then ``IDPHOTO_<SECTION>_<KEY>``, then validate everything.

A config section is a frozen dataclass; ``load_config(Section, "FACE")`` reads ``IDPHOTO_FACE_<FIELD>`` for each
field, converts by the field's annotation and reports *all* bad values in one ``ConfigError``.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from idphoto.errors import ConfigError

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_key(section: str, field_name: str) -> str:
    return f"IDPHOTO_{section.upper()}_{field_name.upper()}" if section else f"IDPHOTO_{field_name.upper()}"


def _convert(raw: str, annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        inner = [a for a in args if a is not type(None)]
        if raw.strip() == "" and type(None) in args:
            return None
        return _convert(raw, inner[0])
    if origin is tuple:
        return tuple(_convert(part.strip(), args[0]) for part in raw.split(",") if part.strip())
    if origin is typing.Literal:
        if raw not in args:
            raise ValueError(f"must be one of {', '.join(map(str, args))}")
        return raw
    if annotation is bool:
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError("must be a boolean (true/false)")
    if annotation is int:
        return int(raw.replace("_", ""))
    if annotation is float:
        return float(raw)
    if annotation is Path:
        return Path(raw).expanduser()
    return raw


def load_config(cls: type[T], section: str, env: Mapping[str, str] | None = None) -> T:
    """Build ``cls`` from defaults overridden by the environment, then run its ``validate()`` if it has one."""
    env = os.environ if env is None else env
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        key = env_key(section, field.name)
        if key not in env:
            continue
        try:
            values[field.name] = _convert(env[key], hints[field.name])
        except (ValueError, TypeError) as exc:
            problems.append(f"{key}={env[key]!r}: {exc}")
    # validate what did parse too (unparsable fields keep their defaults), so one error lists every bad value
    config = cls(**values)
    validate = getattr(config, "validate", None)
    if validate is not None:
        problems.extend(validate())
    if problems:
        raise ConfigError("invalid configuration: " + "; ".join(problems), problems=problems)
    return config


def config_keys(cls: type, section: str) -> list[str]:
    """Every environment key a section understands (the deployment tests check ConfigMaps against these)."""
    return [env_key(section, f.name) for f in dataclasses.fields(cls)]

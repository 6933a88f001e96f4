"""Reading a batch CSV: decoding, the header, blank lines, row numbers and the typed option cells.

Row numbers are file line numbers (the header is line 1); a row whose quoted field spans lines is numbered by the
line it starts on. Option cells are parsed by the type of the matching ``RenderOptions`` field.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from idphoto.domain.types import RenderOptions
from idphoto.errors import InvalidOptionError
from services.gateway.batches.rowchecks import STRUCTURE, Problems

TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
_INT = re.compile(r"[+-]?\d+")


def parse_float_cell(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def parse_int_cell(text: str) -> int:
    if not _INT.fullmatch(text):
        raise ValueError(text)
    return int(text)


def parse_bool_cell(text: str) -> bool:
    word = text.lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(text)


_CELL_KINDS: dict[str, tuple[Callable[[str], Any], str]] = {
    "float": (parse_float_cell, "a number"),
    "int": (parse_int_cell, "a whole number"),
    "bool": (parse_bool_cell, "one of true/false/1/0/yes/no"),
    "str": (str, "text"),
}


def _cell_kind(type_text: str) -> tuple[Callable[[str], Any], str]:
    """The parser for a field annotated e.g. ``float`` or ``int | None``."""
    return _CELL_KINDS[type_text.split("|")[0].strip()]


OPTION_CELLS = {field.name: _cell_kind(str(field.type)) for field in dataclasses.fields(RenderOptions)}
ALLOWED_COLUMNS = ("image_url", "spec_id", "external_id", *OPTION_CELLS)
_ALLOWED_TEXT = ", ".join(ALLOWED_COLUMNS)


def read_rows(data: bytes, problems: Problems) -> Iterator[tuple[int, list[str]]]:
    """(line number where the row starts, cells) of each non-blank row, the header included."""
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline=""))
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            problems.fail("the CSV is not UTF-8 text", 0, "", f"the file is not UTF-8 text (near line {line})")
        except csv.Error as exc:
            problems.fail("the CSV cannot be read", line, "", f"line {line} cannot be read as CSV: {exc}")
        if any(cell.strip() for cell in cells):
            yield line, cells


def read_header(cells: list[str], line: int, problems: Problems, *, spec_required: bool) -> list[str]:
    """The column names (trimmed, lower case); every header problem at once as a ``BatchInvalidError``."""
    names = [cell.strip().lower() for cell in cells]
    seen: set[str] = set()
    for position, name in enumerate(names, start=1):
        if not name:
            problems.add(line, "", STRUCTURE, f"column {position} has no name; allowed columns: {_ALLOWED_TEXT}")
        elif name not in ALLOWED_COLUMNS:
            problems.add(line, name, STRUCTURE, f"unknown column {name!r}; allowed columns: {_ALLOWED_TEXT}")
        elif name in seen:
            problems.add(line, name, STRUCTURE,
                         f"column {name!r} appears more than once; allowed columns: {_ALLOWED_TEXT}")
        seen.add(name)
    required = ["image_url", "spec_id"] if spec_required else ["image_url"]
    for name in required:
        if name not in seen:
            problems.add(line, name, STRUCTURE, f"the required column {name!r} is missing")
    problems.raise_if_any("the CSV header is invalid")
    return names


def row_cells(names: list[str], cells: list[str], line: int, problems: Problems) -> dict[str, str] | None:
    """Column name -> trimmed cell (missing trailing cells are empty); None when the row has extra filled cells."""
    extra = cells[len(names):]
    if any(cell.strip() for cell in extra):
        problems.add(line, "", STRUCTURE, f"the row has {len(cells)} cells but the header has {len(names)} columns")
        return None
    padded = cells + [""] * (len(names) - len(cells))
    return {name: cell.strip() for name, cell in zip(names, padded, strict=False)}


def option_overrides(cells: dict[str, str], line: int, problems: Problems) -> dict[str, Any]:
    """The row's own option values (empty cells left out); a cell that does not parse is an INVALID_OPTION."""
    overrides: dict[str, Any] = {}
    for name, text in cells.items():
        if name not in OPTION_CELLS or not text:
            continue
        parse, wanted = OPTION_CELLS[name]
        try:
            overrides[name] = parse(text)
        except ValueError:
            problems.add(line, name, InvalidOptionError.code, f"{name} must be {wanted}, got {text!r}")
    return overrides

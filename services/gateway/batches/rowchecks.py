"""Checks shared by every kind of batch input (CSV rows, zip entries, JSON items) and the problem list they fill.

A batch is accepted whole or rejected whole: ``Problems`` counts every problem, keeps the first ``max_errors`` in
file order and turns them into one ``BatchInvalidError``. File-level problems end the parse at once (``fail``).
"""

from __future__ import annotations

from typing import Any, NoReturn

from idphoto.domain.options import check_options
from idphoto.domain.specs import parse_spec
from idphoto.domain.types import RenderOptions
from idphoto.errors import BatchInvalidError, IdPhotoError
from services.gateway.outbound.urls import url_problem as http_url_problem

STRUCTURE = BatchInvalidError.code          # structural and URL-syntax problems
MAX_EXTERNAL_ID_CHARS = 200
OPTION_OF_CODE = {"PAPER_NOT_FOUND": "sheet"}   # errors from check_options that do not name their option


class Problems:
    """Row problems of one batch input, in the order they were found."""

    def __init__(self, max_errors: int) -> None:
        self.max_errors = max_errors
        self.count = 0
        self.listed: list[dict[str, Any]] = []

    def add(self, row: int, column: str, code: str, message: str) -> None:
        self.count += 1
        if len(self.listed) < self.max_errors:
            self.listed.append({"row": row, "column": column, "code": code, "message": message})

    def add_error(self, row: int, column: str, error: IdPhotoError) -> None:
        self.add(row, column, error.code, error.message)

    def raise_if_any(self, summary: str) -> None:
        if self.count:
            raise BatchInvalidError(f"{summary}: {self.count} problem(s)", errors=list(self.listed),
                                    error_count=self.count)

    def fail(self, summary: str, row: int, column: str, message: str, code: str = STRUCTURE) -> NoReturn:
        """A problem that ends the parse: listed first, followed by the row problems found before it."""
        first = {"row": row, "column": column, "code": code, "message": message}
        listed = [first, *self.listed][: max(self.max_errors, 1)]
        raise BatchInvalidError(summary, errors=listed, error_count=self.count + 1)


def url_problem(url: str, max_chars: int) -> str:
    """Why ``url`` (already trimmed) is not an acceptable image URL, or "" when it is. Syntax only: addresses are
    vetted when the image is fetched."""
    if not url:
        return "image_url is required"
    problem = http_url_problem(url, max_chars)
    return f"image_url {problem}" if problem else ""


def external_id_problem(external_id: str) -> str:
    if len(external_id) > MAX_EXTERNAL_ID_CHARS:
        return f"external_id is longer than {MAX_EXTERNAL_ID_CHARS} characters"
    return ""


class SpecLookup:
    """``parse_spec`` with the outcome of each distinct id remembered (a batch repeats the same few ids)."""

    def __init__(self) -> None:
        self._errors: dict[str, IdPhotoError | None] = {}

    def error_for(self, spec_id: str) -> IdPhotoError | None:
        key = spec_id.strip()
        if key not in self._errors:
            try:
                parse_spec(key)
                self._errors[key] = None
            except IdPhotoError as exc:
                self._errors[key] = exc
        return self._errors[key]


def option_column(error: IdPhotoError) -> str:
    """The option an error from ``check_options`` is about."""
    return str(error.details.get("option") or OPTION_OF_CODE.get(error.code, ""))


def checked_options(options: RenderOptions) -> tuple[RenderOptions | None, IdPhotoError | None]:
    """(normalised options, None) or (None, the error naming the bad option)."""
    try:
        return check_options(options), None
    except IdPhotoError as exc:
        return None, exc


def check_item_fields(row: int, image_url: str | None, spec_id: str, external_id: str, problems: Problems,
                      specs: SpecLookup, max_url_chars: int) -> None:
    """The URL (None: the item's image does not come from a URL), the spec id and the external id of one item."""
    if image_url is not None:
        message = url_problem(image_url, max_url_chars)
        if message:
            problems.add(row, "image_url", STRUCTURE, message)
    if not spec_id:
        problems.add(row, "spec_id", STRUCTURE, "spec_id is required (no default spec was given)")
    elif (error := specs.error_for(spec_id)) is not None:
        problems.add_error(row, "spec_id", error)
    message = external_id_problem(external_id)
    if message:
        problems.add(row, "external_id", STRUCTURE, message)


def check_row_options(row: int, options: RenderOptions, problems: Problems) -> RenderOptions | None:
    """The normalised options, or None after recording the error against the option it names."""
    checked, error = checked_options(options)
    if error is not None:
        problems.add_error(row, option_column(error), error)
    return checked

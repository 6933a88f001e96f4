"""Batch intake: a CSV, a zip of images or a list of JSON items turned into validated ``ItemInput``s.

Pure: it parses the bytes it is given and nothing else (no fetching, no DNS, no storage). Any problem rejects the
whole input before anything runs: one ``BatchInvalidError`` whose ``details["errors"]`` lists the first
``max_errors`` problems as ``{"row", "column", "code", "message"}`` in file order and ``details["error_count"]``
counts them all. Row 0 is the whole file; in a CSV, row 1 is the header.
"""

from __future__ import annotations

import dataclasses
import zipfile
from dataclasses import dataclass

from idphoto.domain.options import check_options
from idphoto.domain.types import RenderOptions
from idphoto.errors import FileTooLargeError, IdPhotoError
from services.gateway.batches import csvrows, zipentries
from services.gateway.batches.rowchecks import (
    STRUCTURE,
    Problems,
    SpecLookup,
    check_item_fields,
    check_row_options,
    external_id_problem,
    option_column,
)

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")   # a local file header, or the end record of an empty archive
ZIP_CONTENT_TYPES = ("application/zip", "application/x-zip-compressed", "application/x-zip")
TOO_LARGE = FileTooLargeError.code
IMAGE_SOURCES = ("image_url", "upload_id", "image")


@dataclass(frozen=True)
class IntakeLimits:
    max_items: int = 10_000              # rows / zip entries / items
    max_errors: int = 100                # row errors listed (all are counted)
    max_entry_bytes: int = 25_000_000    # one zip entry or inline image, uncompressed
    max_total_bytes: int = 500_000_000   # sum of uncompressed zip entries / inline images (zip-bomb guard)
    max_url_chars: int = 2048


@dataclass(frozen=True)
class ItemInput:
    index: int                 # 0-based position in the batch
    row: int                   # CSV: file line (header = 1); zip: 1-based number among the images; items: index + 1
    spec_id: str
    options: RenderOptions     # request defaults overlaid with the row's own columns, normalised by check_options
    external_id: str = ""
    image_url: str = ""
    upload_id: str = ""
    image: bytes = b""         # a zip entry's bytes or an inline JSON image
    filename: str = ""         # zip entry name (also the default external_id for zip items)


def detect_kind(data: bytes, filename: str = "", content_type: str = "") -> str:
    """"zip" when the bytes start like a zip archive, else "csv". A file named or typed as a zip that does not
    start like one is rejected rather than read as CSV."""
    if not data:
        Problems(1).fail("the batch file is empty", 0, "", "the batch file is empty")
    if data.startswith(ZIP_MAGIC):
        return "zip"
    declared_zip = filename.lower().endswith(".zip") or content_type.split(";")[0].strip().lower() in ZIP_CONTENT_TYPES
    if declared_zip:
        Problems(1).fail("the batch file is not a zip archive", 0, "", "the file is named or typed as a zip "
                         "but is not a zip archive")
    return "csv"


def parse_csv(data: bytes, *, default_spec_id: str, defaults: RenderOptions,
              limits: IntakeLimits = IntakeLimits()) -> list[ItemInput]:
    """One item per non-blank data row; see ``csvrows`` for the accepted columns and cell syntax."""
    problems, specs = Problems(limits.max_errors), SpecLookup()
    rows = csvrows.read_rows(data, problems)
    first = next(rows, None)
    if first is None:
        problems.fail("the CSV is empty", 0, "", "the CSV is empty: it needs a header and at least one row")
    names = csvrows.read_header(first[1], first[0], problems, spec_required=not default_spec_id.strip())
    items: list[ItemInput] = []
    count = 0
    for line, raw_cells in rows:
        count += 1
        if count > limits.max_items:
            problems.fail("the CSV has too many rows", 0, "", f"the CSV has more than {limits.max_items} rows")
        cells = csvrows.row_cells(names, raw_cells, line, problems)
        if cells is not None:
            item = _csv_item(count - 1, line, cells, default_spec_id, defaults, problems, specs, limits)
            if item is not None:
                items.append(item)
    if count == 0:
        problems.fail("the CSV has no rows", 0, "", "the CSV has a header but no data rows")
    problems.raise_if_any("the CSV has invalid rows")
    return items


def _csv_item(index: int, line: int, cells: dict[str, str], default_spec_id: str, defaults: RenderOptions,
              problems: Problems, specs: SpecLookup, limits: IntakeLimits) -> ItemInput | None:
    before = problems.count
    image_url = cells.get("image_url", "")
    spec_id = cells.get("spec_id", "") or default_spec_id.strip()
    external_id = cells.get("external_id", "")
    check_item_fields(line, image_url, spec_id, external_id, problems, specs, limits.max_url_chars)
    overrides = csvrows.option_overrides(cells, line, problems)
    options = check_row_options(line, dataclasses.replace(defaults, **overrides), problems)
    if problems.count > before or options is None:
        return None
    return ItemInput(index=index, row=line, spec_id=spec_id, options=options, external_id=external_id,
                     image_url=image_url)


def parse_zip(data: bytes, *, default_spec_id: str, defaults: RenderOptions,
              limits: IntakeLimits = IntakeLimits()) -> list[ItemInput]:
    """One item per image entry (directories, ``__MACOSX/`` and dotfiles skipped), all with the request's spec and
    options. Entry bytes are not checked as images here."""
    problems = Problems(limits.max_errors)
    spec_id, options = _zip_defaults(default_spec_id, defaults, problems)
    try:
        archive = zipentries.open_archive(data)
    except zipentries.READ_ERRORS as exc:
        problems.fail("the batch file is not a zip archive", 0, "", f"the file is not a readable zip archive: {exc}")
    with archive:
        entries = zipentries.image_entries(archive)
        _check_zip_listing(entries, problems, limits)
        items = _read_zip_items(archive, entries, spec_id, options, problems, limits)
    problems.raise_if_any("the zip has invalid entries")
    return items


def _zip_defaults(default_spec_id: str, defaults: RenderOptions, problems: Problems) -> tuple[str, RenderOptions]:
    """The spec id and options every zip item gets; a zip has no per-item columns, so both must be valid."""
    spec_id = default_spec_id.strip()
    if not spec_id:
        problems.fail("a zip batch needs a spec_id", 0, "spec_id", "a zip batch needs the request's spec_id")
    error = SpecLookup().error_for(spec_id)
    if error is not None:
        problems.fail("the batch spec_id is invalid", 0, "spec_id", error.message, code=error.code)
    try:
        return spec_id, check_options(defaults)
    except IdPhotoError as exc:
        problems.fail("the batch options are invalid", 0, option_column(exc), exc.message, code=exc.code)


def _check_zip_listing(entries: list[zipfile.ZipInfo], problems: Problems, limits: IntakeLimits) -> None:
    """Counts and declared sizes, before any entry is read."""
    if not entries:
        problems.fail("the zip has no images", 0, "", "the zip has no image entries")
    if len(entries) > limits.max_items:
        problems.fail("the zip has too many entries", 0, "", f"the zip has more than {limits.max_items} images")
    declared = sum(info.file_size for info in entries if info.file_size <= limits.max_entry_bytes)
    if declared > limits.max_total_bytes:
        _fail_zip_total(problems, limits)


def _fail_zip_total(problems: Problems, limits: IntakeLimits) -> None:
    problems.fail("the zip is too large", 0, "", f"the zip's images add up to more than {limits.max_total_bytes} "
                  "bytes uncompressed", code=TOO_LARGE)


def _read_zip_items(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], spec_id: str, options: RenderOptions,
                    problems: Problems, limits: IntakeLimits) -> list[ItemInput]:
    items: list[ItemInput] = []
    total = 0
    for index, info in enumerate(entries):
        blob = _read_zip_entry(archive, info, index + 1, problems, limits)
        if blob is None:
            continue
        total += len(blob)
        if total > limits.max_total_bytes:
            _fail_zip_total(problems, limits)
        items.append(ItemInput(index=index, row=index + 1, spec_id=spec_id, options=options,
                               external_id=info.filename, image=blob, filename=info.filename))
    return items


def _read_zip_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, row: int, problems: Problems,
                    limits: IntakeLimits) -> bytes | None:
    """The entry's bytes, or None after recording why it cannot be used."""
    cap = limits.max_entry_bytes
    message = external_id_problem(info.filename)
    if message:
        problems.add(row, "external_id", STRUCTURE, f"the entry name is too long: {message}")
        return None
    if zipentries.is_encrypted(info):
        problems.add(row, "", STRUCTURE, f"{info.filename}: encrypted entries are not supported")
        return None
    if info.file_size > cap:
        problems.add(row, "", TOO_LARGE, f"{info.filename}: {info.file_size} bytes uncompressed, over {cap}")
        return None
    try:
        return zipentries.read_capped(archive, info, cap)
    except zipentries.EntryTooLargeError:
        problems.add(row, "", TOO_LARGE, f"{info.filename}: more than {cap} bytes uncompressed")
    except zipentries.READ_ERRORS as exc:
        problems.add(row, "", STRUCTURE, f"{info.filename}: the entry cannot be read ({exc})")
    return None


def check_items(items: list[ItemInput], limits: IntakeLimits = IntakeLimits()) -> list[ItemInput]:
    """JSON items built by the servicer, checked like CSV rows: exactly one of image_url/upload_id/image, URL
    syntax, a known spec, valid options, external id and inline image sizes. Returns them with text fields trimmed
    and options normalised."""
    problems, specs = Problems(limits.max_errors), SpecLookup()
    if not items:
        problems.fail("the batch has no items", 0, "", "the batch has no items")
    if len(items) > limits.max_items:
        problems.fail("the batch has too many items", 0, "", f"the batch has more than {limits.max_items} items")
    if sum(len(item.image) for item in items) > limits.max_total_bytes:
        problems.fail("the batch is too large", 0, "", f"the inline images add up to more than "
                      f"{limits.max_total_bytes} bytes", code=TOO_LARGE)
    checked = [_checked_item(item, problems, specs, limits) for item in items]
    problems.raise_if_any("the batch has invalid items")
    return [item for item in checked if item is not None]


def _checked_item(item: ItemInput, problems: Problems, specs: SpecLookup, limits: IntakeLimits) -> ItemInput | None:
    before, row = problems.count, item.row
    image_url, upload_id = item.image_url.strip(), item.upload_id.strip()
    spec_id, external_id = item.spec_id.strip(), item.external_id.strip()
    given = [name for name, value in zip(IMAGE_SOURCES, (image_url, upload_id, item.image), strict=True) if value]
    if len(given) != 1:
        got = f" (got {', '.join(given)})" if given else ""
        problems.add(row, ",".join(given) or "image_url", STRUCTURE,
                     f"give exactly one of {', '.join(IMAGE_SOURCES)}{got}")
    if len(item.image) > limits.max_entry_bytes:
        problems.add(row, "image", TOO_LARGE, f"the image is {len(item.image)} bytes, over {limits.max_entry_bytes}")
    check_item_fields(row, image_url or None, spec_id, external_id, problems, specs, limits.max_url_chars)
    options = check_row_options(row, item.options, problems)
    if problems.count > before or options is None:
        return None
    return dataclasses.replace(item, spec_id=spec_id, options=options, external_id=external_id,
                               image_url=image_url, upload_id=upload_id)

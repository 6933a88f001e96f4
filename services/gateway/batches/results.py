"""A finished batch's two outputs: the zip of every photo made and the results CSV (one row per input).

The zip is written to a temporary file and stored with ``put_file``, so a 10 000-photo batch never sits in memory.
Download URLs in the CSV are signed for the retention period (the objects are deleted after it anyway).
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import zipfile
from collections.abc import Callable

from idphoto.errors import ObjectNotFoundError
from services.gateway.batches.model import ItemRecord
from services.gateway.storage.base import ObjectStore

RESULT_COLUMNS = ("row", "index", "external_id", "image_url", "spec_id", "status", "error_code", "error_message",
                  "job_id", "photo_url", "sheet_url", "report_url", "archive_name")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png"}


def _output(item: ItemRecord, kind: str) -> dict | None:
    return next((o for o in item.outputs if o.get("kind") == kind), None)


def archive_name(item: ItemRecord) -> str:
    """The photo's name in the zip: the row number (unique) and a safe form of the caller's id."""
    photo = _output(item, "photo")
    if item.status != "succeeded" or photo is None:
        return ""
    stem = (item.external_id or item.job_id).rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = _UNSAFE.sub("_", stem).strip("._")[:80] or item.job_id
    return f"{item.row:05d}-{stem}.{EXTENSIONS.get(photo.get('content_type', ''), 'jpg')}"


def results_csv(items: list[ItemRecord], url: Callable[[str], str], names: dict[int, str]) -> bytes:
    """The results CSV (UTF-8, header first): status, error code and output URLs of every input, and the name of
    its photo in the archive (``names``: item index -> name; empty when it is not in the archive)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for item in items:
        links = {kind: (url(o["key"]) if (o := _output(item, kind)) else "") for kind in ("photo", "sheet", "report")}
        writer.writerow([item.row, item.index, item.external_id, item.image_url, item.spec_id, item.status,
                         item.error_code, item.error_message, item.job_id, links["photo"], links["sheet"],
                         links["report"], names.get(item.index, "")])
    return buffer.getvalue().encode("utf-8")


def store_archive(items: list[ItemRecord], store: ObjectStore, key: str,
                  max_bytes: int) -> tuple[dict, dict[int, str]]:
    """Zip the succeeded items' photos into ``key``: (the output record, kind ``archive``; item index -> name).

    A photo that is gone (deleted by a re-render in another format, or expired) is left out and counted in
    ``missing``; photos that would take the zip past ``max_bytes`` are left out and counted in ``left_out``. The
    results CSV still links every photo that exists."""
    names: dict[int, str] = {}
    counts = {"missing": 0, "left_out": 0}
    with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:  # JPEG/PNG: no gain
            for item in items:
                name = archive_name(item)
                if name:
                    _add(archive, store, item, name, max_bytes, names, counts)
        handle.flush()
        stored = store.put_file(key, handle.name, "application/zip")
    output = {"kind": "archive", "key": key, "content_type": "application/zip", "width_px": 0, "height_px": 0,
              "size_bytes": stored.size, "photos": len(names), **counts}
    return output, names


def _add(archive: zipfile.ZipFile, store: ObjectStore, item: ItemRecord, name: str, max_bytes: int,
         names: dict[int, str], counts: dict[str, int]) -> None:
    try:
        data = store.get(_output(item, "photo")["key"])
    except ObjectNotFoundError:
        counts["missing"] += 1
        return
    if archive.fp.tell() + len(data) > max_bytes:
        counts["left_out"] += 1
        return
    archive.writestr(name, data)
    names[item.index] = name

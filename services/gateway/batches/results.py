"""A finished batch's two outputs: the results CSV (one row per input) and a zip of every photo made.

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


def results_csv(items: list[ItemRecord], url: Callable[[str], str]) -> bytes:
    """The results CSV (UTF-8, header first): status, error code and output URLs of every input."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(RESULT_COLUMNS)
    for item in items:
        links = {kind: (url(o["key"]) if (o := _output(item, kind)) else "") for kind in ("photo", "sheet", "report")}
        writer.writerow([item.row, item.index, item.external_id, item.image_url, item.spec_id, item.status,
                         item.error_code, item.error_message, item.job_id, links["photo"], links["sheet"],
                         links["report"], archive_name(item)])
    return buffer.getvalue().encode("utf-8")


def store_archive(items: list[ItemRecord], store: ObjectStore, key: str) -> dict:
    """Zip every succeeded item's photo into ``key``; the output record (kind ``archive``)."""
    count = 0
    with tempfile.NamedTemporaryFile(suffix=".zip") as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:  # JPEG/PNG: no gain
            for item in items:
                name = archive_name(item)
                if name:
                    archive.writestr(name, store.get(_output(item, "photo")["key"]))
                    count += 1
        handle.flush()
        stored = store.put_file(key, handle.name, "application/zip")
    return {"kind": "archive", "key": key, "content_type": "application/zip", "width_px": 0, "height_px": 0,
            "size_bytes": stored.size, "photos": count}

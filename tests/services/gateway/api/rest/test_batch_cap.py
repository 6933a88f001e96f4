"""CreateBatch has a file cap of its own (IDPHOTO_BATCH_MAX_FILE_MB), above the upload cap: on this package's
mesh (3 MB uploads) a 4 MB zip is accepted as a batch while the same bytes are refused as an upload, and a zip over
the batch cap is refused with 413."""

from __future__ import annotations

import io
import os
import zipfile

from tests.services.gateway.api.rest.conftest import BATCH_MAX_FILE_MB, MAX_UPLOAD_MB
from tests.services.gateway.api.rest.support import assert_error


def _zip(size: int) -> bytes:
    """``size`` bytes of entries, each within the upload cap (an entry is one photo); none is an image."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for n in range(0, size, 1_000_000):
            archive.writestr(f"p{n // 1_000_000}.jpg", os.urandom(min(1_000_000, size - n)))
    return buffer.getvalue()


def test_a_zip_over_the_upload_cap_is_a_batch_not_an_upload(http):
    data = _zip(MAX_UPLOAD_MB * 1_000_000 + 1_000_000)
    upload = http.post("/v1/uploads", files={"file": ("big.jpg", data, "image/jpeg")})
    assert_error(upload, 413, "FILE_TOO_LARGE")
    batch = http.post("/v1/batches", data={"specId": "us-passport"},
                      files={"file": ("big.zip", data, "application/zip")})
    assert batch.status_code == 200, batch.text
    assert batch.json()["total"] == MAX_UPLOAD_MB + 1 and batch.json()["source"] == "zip"


def test_a_zip_over_the_batch_cap_is_refused(http):
    cap_mb = BATCH_MAX_FILE_MB
    data = _zip(cap_mb * 1_000_000 + 100_000)
    refused = http.post("/v1/batches", data={"specId": "us-passport"},
                        files={"file": ("huge.zip", data, "application/zip")})
    assert_error(refused, 413, "FILE_TOO_LARGE")

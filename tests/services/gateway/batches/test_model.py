"""How a batch ends, and how its photos are named in the archive."""

from __future__ import annotations

import pytest

from services.gateway.batches.model import BatchState, ItemRecord, final_state
from services.gateway.batches.results import archive_name


@pytest.mark.parametrize(("total", "succeeded", "cancelled", "state"), [
    (4, 4, False, BatchState.SUCCEEDED),
    (4, 2, False, BatchState.PARTIAL),
    (4, 0, False, BatchState.FAILED),
    (3, 2, False, BatchState.PARTIAL),           # the third was cancelled on its own: not a success
    (2, 0, False, BatchState.FAILED),            # every item cancelled on its own
    (4, 3, True, BatchState.CANCELLED),
])
def test_final_state(total, succeeded, cancelled, state):
    assert final_state(total, succeeded, cancelled) == state


def _item(**fields) -> ItemRecord:
    photo = {"kind": "photo", "key": "t/a/jobs/j/photo.png", "content_type": "image/png"}
    return ItemRecord(**{"index": 0, "row": 7, "spec_id": "us-passport", "options": {}, "status": "succeeded",
                         "job_id": "j0b", "outputs": [photo], **fields})


def test_archive_names_are_row_prefixed_safe_and_keep_the_format():
    assert archive_name(_item(external_id="dir/Ann Lee.jpeg")) == "00007-Ann_Lee.png"
    assert archive_name(_item(external_id="../../etc/passwd")) == "00007-passwd.png"
    assert archive_name(_item(external_id="")) == "00007-j0b.png"
    assert archive_name(_item(status="failed")) == ""


def test_the_archive_leaves_out_missing_photos_and_stops_at_its_cap(local_store):
    import io
    import zipfile

    from services.gateway.batches.results import results_csv, store_archive

    items = []
    for index, size in enumerate((1000, 0, 1000, 1000)):
        key = f"t/a/jobs/j{index}/photo.png"
        if size:
            local_store.put(key, bytes([index]) * size, "image/png")
        outputs = [{"kind": "photo", "key": key, "content_type": "image/png"}]
        items.append(_item(index=index, row=index + 2, job_id=f"j{index}", external_id=f"p{index}", outputs=outputs))
    archive, names = store_archive(items, local_store, "t/a/batches/b/archive.zip", max_bytes=2500)
    assert names == {0: "00002-p0.png", 2: "00004-p2.png"}          # j1 is gone, j3 would pass the cap
    assert (archive["photos"], archive["missing"], archive["left_out"]) == (2, 1, 1)
    zipped = zipfile.ZipFile(io.BytesIO(local_store.get("t/a/batches/b/archive.zip")))
    assert zipped.namelist() == ["00002-p0.png", "00004-p2.png"] and zipped.read("00004-p2.png") == b"\2" * 1000
    rows = results_csv(items, lambda key: f"https://x/{key}", names).decode().splitlines()
    assert [row.rsplit(",", 1)[1] for row in rows[1:]] == ["00002-p0.png", "", "00004-p2.png", ""]

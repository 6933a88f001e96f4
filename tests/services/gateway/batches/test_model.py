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
    (4, 4, True, BatchState.CANCELLED),
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

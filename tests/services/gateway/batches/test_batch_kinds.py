"""Batches from a zip, from JSON items, cancelled midway, refused whole for a bad CSV, repeated with an idempotency
key, and held to the tenant's concurrency: in one process on real Redis with in-process models."""

from __future__ import annotations

import io
import zipfile

import pytest

from idphoto.domain.types import RenderOptions
from idphoto.errors import BatchInvalidError, UrlForbiddenError
from services.gateway.batches.intake import ItemInput
from services.gateway.batches.model import BatchState
from services.gateway.batches.service import BatchInput
from services.gateway.jobs.model import JobState
from tests.services.gateway.harness import Harness, make_parts
from tests.support.http_servers import ServerState, local_server
from tests.support.images import astronaut_bytes

TENANT = "default"


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _finished(service, batch_id):
    return lambda: service.get(TENANT, batch_id).finished


def test_zip_batch_keeps_going_past_a_file_that_is_not_an_image(parts, harness):
    data = _zip({"photos/ann.jpg": astronaut_bytes("JPEG"), "photos/notes.txt": b"not a photo at all" * 10,
                 "__MACOSX/._ann.jpg": b"junk", "photos/ben.png": astronaut_bytes("PNG")})
    service = parts.core.batches
    batch = service.create(TENANT, BatchInput(file=data, filename="photos.zip", spec_id="us-passport",
                                              defaults=RenderOptions(background="#eeeeee")))
    assert (batch.source, batch.total) == ("zip", 3)
    harness.drive(_finished(service, batch.id))
    done = service.get(TENANT, batch.id)
    items, _ = service.items(TENANT, batch.id)
    assert [(i.external_id, i.status, i.error_code) for i in items] == [
        ("photos/ann.jpg", "succeeded", ""), ("photos/notes.txt", "failed", "INVALID_IMAGE"),
        ("photos/ben.png", "succeeded", "")]
    assert (done.state, done.succeeded, done.failed) == (BatchState.PARTIAL, 2, 1)
    archive = next(o for o in done.outputs if o["kind"] == "archive")
    names = zipfile.ZipFile(io.BytesIO(parts.core.store.get(archive["key"]))).namelist()
    assert names == ["00001-ann.jpg", "00003-ben.jpg"]


def test_items_from_an_upload_an_inline_image_and_a_url(parts, harness):
    upload = parts.core.upload(TENANT, [astronaut_bytes("PNG")], "mine.png")
    state = ServerState(files={"/c.jpg": astronaut_bytes("JPEG")})
    with local_server(state) as (base, _):
        items = (ItemInput(index=0, row=1, spec_id="", options=RenderOptions(), upload_id=upload.id),
                 ItemInput(index=1, row=2, spec_id="uk-passport", options=RenderOptions(format="png"),
                           image=astronaut_bytes("JPEG"), external_id="inline"),
                 ItemInput(index=2, row=3, spec_id="", options=RenderOptions(), image_url=f"{base}/c.jpg"))
        service = parts.core.batches
        batch = service.create(TENANT, BatchInput(items=items, spec_id="us-passport"))
        harness.drive(_finished(service, batch.id))
    done = service.get(TENANT, batch.id)
    assert (done.state, done.source, done.succeeded) == (BatchState.SUCCEEDED, "items", 3)
    rows, _ = service.items(TENANT, batch.id)
    jobs = [parts.core.jobs.get(row.job_id) for row in rows]
    assert [(j.spec_id, j.options["format"]) for j in jobs] == [("us-passport", "jpg"), ("uk-passport", "png"),
                                                                ("us-passport", "jpg")]
    assert all(j.batch_id == batch.id for j in jobs) and [j.item for j in jobs] == [0, 1, 2]


def test_cancel_midway_cancels_what_has_not_finished(parts, harness):
    data = _zip({f"p{i}.jpg": astronaut_bytes("JPEG") for i in range(4)})
    service = parts.core.batches
    batch = service.create(TENANT, BatchInput(file=data, spec_id="us-passport", max_concurrency=1))
    assert service.get(TENANT, batch.id).running_items == [0]
    harness.worker.run_once(None)                      # item 0 done
    harness.settler.run_once()                         # ... recorded, item 1 started
    cancelled = service.cancel(TENANT, batch.id)
    assert cancelled.cancel_requested
    harness.drive(_finished(service, batch.id))
    done = service.get(TENANT, batch.id)
    assert (done.state, done.succeeded, done.cancelled, done.failed) == (BatchState.CANCELLED, 1, 3, 0)
    items, _ = service.items(TENANT, batch.id)
    assert [i.status for i in items] == ["succeeded", "cancelled", "cancelled", "cancelled"]
    assert parts.core.jobs.get(items[1].job_id).state == JobState.CANCELLED
    assert items[2].job_id == "" and {o["kind"] for o in done.outputs} == {"results_csv", "archive"}


def test_a_bad_csv_is_refused_whole_with_row_errors_and_nothing_starts(parts):
    csv_text = (b"image_url,spec_id\r\nhttps://example.com/a.jpg,us-passport\r\nftp://example.com/b.jpg,us-passport\r\n"
                b"https://example.com/c.jpg,no-such-spec\r\n")
    with pytest.raises(BatchInvalidError) as caught:
        parts.core.batches.create(TENANT, BatchInput(file=csv_text))
    errors = caught.value.details["errors"]
    assert [(e["row"], e["column"], e["code"]) for e in errors] == [(3, "image_url", "BATCH_INVALID"),
                                                                    (4, "spec_id", "SPEC_NOT_FOUND")]
    assert parts.core.batches.list(TENANT)[0] == []
    assert parts.core.queue.pending_count() == 0 and parts.redis.xlen(parts.core.queue.stream) == 0


def test_the_same_idempotency_key_returns_the_first_batch(parts):
    given = BatchInput(items=(ItemInput(index=0, row=1, spec_id="us-passport", options=RenderOptions(),
                                        image_url="https://example.com/a.jpg"),), idempotency_key="k1")
    first = parts.core.batches.create(TENANT, given)
    again = parts.core.batches.create(TENANT, given)
    assert again.id == first.id and len(parts.core.batches.list(TENANT)[0]) == 1


def test_tenant_concurrency_spans_batches(redis_client, local_store, key_prefix, clients):
    parts = make_parts(redis_client, local_store, key_prefix, tenant_concurrency=2, default_concurrency=2)
    service = parts.core.batches
    data = _zip({f"p{i}.jpg": astronaut_bytes("JPEG") for i in range(3)})
    first = service.create(TENANT, BatchInput(file=data, spec_id="us-passport"))
    second = service.create(TENANT, BatchInput(file=data, spec_id="us-passport"))
    assert len(service.get(TENANT, first.id).running_items) == 2
    assert service.get(TENANT, second.id).running_items == []          # the tenant's two slots are taken
    harness = Harness(parts, clients, parts.extra.fetch)
    most = 0
    while not (service.get(TENANT, first.id).finished and service.get(TENANT, second.id).finished):
        running = sum(len(service.get(TENANT, b).running_items) for b in (first.id, second.id))
        most = max(most, running)
        assert harness.step()
    assert most == 2
    assert service.get(TENANT, second.id).state == BatchState.SUCCEEDED


def test_webhook_url_at_a_literal_private_address_is_refused_up_front(parts):
    with pytest.raises(UrlForbiddenError):
        parts.core.batches.create(TENANT, BatchInput(items=(ItemInput(
            index=0, row=1, spec_id="us-passport", options=RenderOptions(), image_url="https://example.com/a.jpg"),),
            webhook_url="http://10.0.0.7/hook"))


def test_a_refused_create_leaves_its_idempotency_key_free(parts):
    from idphoto.errors import UploadNotFoundError

    bad = ItemInput(index=0, row=1, spec_id="us-passport", options=RenderOptions(), upload_id="no-such-upload")
    with pytest.raises(UploadNotFoundError):
        parts.core.batches.create(TENANT, BatchInput(items=(bad,), idempotency_key="retry-me"))
    good = ItemInput(index=0, row=1, spec_id="us-passport", options=RenderOptions(), image=astronaut_bytes("JPEG"))
    batch = parts.core.batches.create(TENANT, BatchInput(items=(good,), idempotency_key="retry-me"))
    assert batch.total == 1 and parts.core.batches.list(TENANT)[0][0].id == batch.id
    tracked = parts.redis.zscore(f"{parts.jobs_config.key_prefix}:retention", f"t/{TENANT}/batches/{batch.id}/")
    assert tracked is not None                          # its stored inline image will be deleted with it


def test_a_bad_background_cell_is_reported_in_the_background_column(parts):
    table = b"image_url,spec_id,background\nhttps://example.com/a.jpg,us-passport,#12345z\n"
    with pytest.raises(BatchInvalidError) as caught:
        parts.core.batches.create(TENANT, BatchInput(file=table))
    assert [(e["row"], e["column"]) for e in caught.value.details["errors"]] == [(2, "background")]


def test_a_finished_batch_gives_its_child_jobs_the_full_retention_again(parts, harness):
    data = _zip({"a.jpg": astronaut_bytes("JPEG")})
    service = parts.core.batches
    batch = service.create(TENANT, BatchInput(file=data, spec_id="us-passport"))
    job_id = service.get(TENANT, batch.id).running_items and service.items(TENANT, batch.id)[0][0].job_id
    harness.worker.run_once(None)
    key = parts.core.jobs.keys.job(job_id)
    parts.redis.expire(key, 5)                              # as if the job had finished long ago
    harness.drive(_finished(service, batch.id))
    assert parts.redis.ttl(key) > parts.core.jobs.retention_s - 30


def test_cancel_after_the_end_changes_nothing_and_a_retry_during_creation_is_retryable(parts, harness):
    from idphoto.errors import ServiceUnavailableError

    service = parts.core.batches
    batch = service.create(TENANT, BatchInput(file=_zip({"a.jpg": astronaut_bytes("JPEG")}), spec_id="us-passport"))
    harness.drive(_finished(service, batch.id))
    events = len(parts.core.batches.batches.events(batch.id))
    after = service.cancel(TENANT, batch.id)
    assert (after.state, after.cancel_requested) == (BatchState.SUCCEEDED, False)
    assert len(parts.core.batches.batches.events(batch.id)) == events
    _, fresh = parts.core.batches.batches.reserve(TENANT, "slow-key")     # a first request still storing
    assert fresh
    with pytest.raises(ServiceUnavailableError):
        service.create(TENANT, BatchInput(file=_zip({"a.jpg": b"x"}), spec_id="us-passport",
                                          idempotency_key="slow-key"))


def test_items_cancelled_on_their_own_do_not_make_a_batch_cancelled_or_succeeded(parts, harness):
    service = parts.core.batches
    data = _zip({"a.jpg": astronaut_bytes("JPEG"), "b.jpg": astronaut_bytes("JPEG")})
    batch = service.create(TENANT, BatchInput(file=data, spec_id="us-passport"))
    first = service.items(TENANT, batch.id)[0][0]
    parts.core.cancel_job(TENANT, first.job_id)              # QUEUED: cancelled at once
    harness.drive(_finished(service, batch.id))
    done = service.get(TENANT, batch.id)
    assert (done.state, done.succeeded, done.cancelled, done.stopped) == (BatchState.PARTIAL, 1, 1, 0)


def test_a_full_size_csv_is_taken_and_one_row_more_is_refused(parts):
    rows = "".join(f"https://example.com/p{i}.jpg,us-passport,e{i}\n" for i in range(10_000))
    service = parts.core.batches
    batch = service.create(TENANT, BatchInput(file=f"image_url,spec_id,external_id\n{rows}".encode()))
    assert (batch.total, len(batch.running_items)) == (10_000, 4)
    last_page, token = service.items(TENANT, batch.id, 1000, "9500")
    assert ([i.external_id for i in last_page[-2:]], token) == (["e9998", "e9999"], "")
    with pytest.raises(BatchInvalidError) as caught:
        service.create(TENANT, BatchInput(
            file=f"image_url,spec_id,external_id\n{rows}https://x.org/a.jpg,us-passport,one-more\n".encode()))
    assert caught.value.details["errors"] == [{"row": 0, "column": "", "code": "BATCH_INVALID",
                                               "message": "the CSV has more than 10000 rows"}]
    done = service.cancel(TENANT, batch.id)
    assert (done.cancelled, done.next) == (9_996, 10_000)

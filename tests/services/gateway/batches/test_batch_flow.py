"""A CSV batch end to end in one process: real Redis, a local store, in-process models, a local image server and a
local webhook receiver. Two good URLs, one 404 and the cloud metadata address."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from PIL import Image

from idphoto.client import verify_webhook
from services.gateway.batches.model import BatchState
from services.gateway.batches.service import BatchInput
from services.gateway.webhooks.events import tenant_webhook_secret
from tests.support.http_servers import ServerState, local_server
from tests.support.images import astronaut_bytes

TENANT = "default"


@pytest.fixture
def images():
    state = ServerState(files={"/a.jpg": astronaut_bytes("JPEG", quality=92), "/b.png": astronaut_bytes("PNG")})
    with local_server(state) as (base, _):
        yield base


@pytest.fixture
def receiver():
    with local_server(ServerState(fail_first=2)) as server:
        yield server


def _csv(base: str) -> bytes:
    rows = ["image_url,spec_id,external_id,background",
            f"{base}/a.jpg,us-passport,alice,",
            f"{base}/missing.jpg,us-passport,ghost,",
            "http://169.254.169.254/latest/meta-data/photo.jpg,us-passport,metadata,",
            f"{base}/b.png,uk-passport,bob,#ffffff"]
    return ("\r\n".join(rows) + "\r\n").encode()


def test_csv_batch_two_succeed_two_fail_with_typed_codes(parts, harness, images, receiver):
    hook_url, hook = receiver
    service = parts.core.batches
    batch = service.create(TENANT, BatchInput(file=_csv(images), filename="photos.csv",
                                              webhook_url=f"{hook_url}/hooks"))
    assert batch.state == BatchState.RUNNING and batch.total == 4 and batch.source == "csv"
    harness.drive(lambda: service.get(TENANT, batch.id).finished and len(hook.received) == 1)
    done = service.get(TENANT, batch.id)
    assert (done.state, done.succeeded, done.failed, done.cancelled) == (BatchState.PARTIAL, 2, 2, 0)

    items, _ = service.items(TENANT, batch.id)
    assert [(i.external_id, i.status, i.error_code) for i in items] == [
        ("alice", "succeeded", ""), ("ghost", "failed", "URL_NOT_FOUND"),
        ("metadata", "failed", "URL_FORBIDDEN"), ("bob", "succeeded", "")]

    outputs = {o["kind"]: o for o in done.outputs}
    rows = list(csv.DictReader(io.StringIO(parts.core.store.get(outputs["results_csv"]["key"]).decode())))
    assert [(r["row"], r["status"], r["error_code"]) for r in rows] == [
        ("2", "succeeded", ""), ("3", "failed", "URL_NOT_FOUND"), ("4", "failed", "URL_FORBIDDEN"),
        ("5", "succeeded", "")]
    assert rows[0]["photo_url"] and not rows[1]["photo_url"]

    archive = zipfile.ZipFile(io.BytesIO(parts.core.store.get(outputs["archive"]["key"])))
    assert archive.namelist() == ["00002-alice.jpg", "00005-bob.jpg"]
    sizes = [Image.open(archive.open(name)).size for name in archive.namelist()]
    assert sizes == [(600, 600), (413, 531)]              # us-passport 2x2 in, uk-passport 35x45 mm @ 300 dpi

    # the webhook: down twice, then delivered once, signed with the tenant's secret
    assert hook.posts == 3 and len(hook.received) == 1
    sent = hook.received[0]
    secret = tenant_webhook_secret(parts.redis, parts.jobs_config.key_prefix, TENANT)
    assert verify_webhook(secret, sent.headers["idphoto-signature"], sent.body)
    assert not verify_webhook(secret, sent.headers["idphoto-signature"], sent.body.replace(b"PARTIAL", b"SUCCEEDED"))
    event = json.loads(sent.body)
    assert (event["type"], event["id"], event["data"]["state"]) == ("batch.completed", batch.id,
                                                                    "BATCH_STATE_PARTIAL")
    deliveries = parts.core.deliveries(batch.id)
    assert [d["state"] for d in deliveries] == ["delivered"]
    assert [a["status_code"] for a in deliveries[0]["attempts"]] == [503, 503, 204]

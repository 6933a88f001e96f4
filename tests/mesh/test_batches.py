"""Batches, webhooks, API keys and rate limits on a real mesh (separate processes, real Redis) with auth required:
a local HTTP server serves the images and a local receiver takes the webhooks."""

from __future__ import annotations

import csv
import io
import json
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis

from idphoto.client import IdPhotoClient, verify_webhook
from idphoto.errors import BatchNotFoundError, JobNotFoundError, UnauthenticatedError
from idphoto.v1 import batch_pb2, idphoto_pb2
from services.gateway.tenancy.api_keys import KeyStore
from tests.support.http_servers import ServerState, local_server
from tests.support.images import astronaut_bytes
from tests.support.mesh import isolated_mesh, key_prefix

PEPPER = "p" * 40
BURST = 8


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    env = {"IDPHOTO_AUTH": "required", "IDPHOTO_AUTH_PEPPER": PEPPER, "IDPHOTO_AUTH_RATE_PER_S": "4",
           "IDPHOTO_AUTH_BURST": str(BURST), "IDPHOTO_AUTH_MAX_CONCURRENT_JOBS": "50",
           "IDPHOTO_FETCH_ALLOW_NETWORKS": "127.0.0.1/32", "IDPHOTO_WEBHOOKS_BASE_BACKOFF_S": "0.3",
           "IDPHOTO_WEBHOOKS_MAX_BACKOFF_S": "1", "IDPHOTO_WEBHOOKS_JITTER": "0",
           "IDPHOTO_BATCH_SWEEP_INTERVAL_S": "0.5"}
    with isolated_mesh(tmp_path_factory, "batches", gateway_workers=2, start_timeout_s=90, env=env) as mesh:
        yield mesh


@pytest.fixture(scope="module")
def keys(mesh) -> KeyStore:
    return KeyStore(redis.Redis.from_url(mesh.endpoints.redis_url, decode_responses=True), PEPPER, key_prefix(mesh))


@pytest.fixture(scope="module")
def images():
    state = ServerState(files={"/a.jpg": astronaut_bytes("JPEG", quality=92), "/b.png": astronaut_bytes("PNG")},
                        redirects={"/to-private.jpg": "http://10.1.2.3/photo.jpg"})
    with local_server(state) as (base, _):
        yield base


def _client(mesh, api_key: str) -> IdPhotoClient:
    return IdPhotoClient(mesh.endpoints.grpc_target, timeout_s=20, retries=2, api_key=api_key)


def _http(mesh, api_key: str = "") -> httpx.Client:
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    return httpx.Client(base_url=mesh.endpoints.http_url, headers=headers, timeout=60)


def _csv(base: str) -> bytes:
    return (f"image_url,spec_id,external_id\r\n{base}/a.jpg,us-passport,alice\r\n"
            f"{base}/missing.jpg,us-passport,ghost\r\n"
            "http://169.254.169.254/latest/meta-data/x.jpg,us-passport,metadata\r\n"
            f"{base}/b.png,us-passport,bob\r\n").encode()


def test_csv_batch_over_rest_with_a_signed_webhook(mesh, keys, images):
    api_key, secret = keys.create("acme")
    with local_server(ServerState(fail_first=1)) as (hook_url, hook), _http(mesh, api_key) as http:
        created = http.post("/v1/batches", data={"webhookUrl": f"{hook_url}/done"},
                            files={"file": ("photos.csv", _csv(images), "text/csv")})
        assert created.status_code == 200, created.text
        batch_id = created.json()["id"]
        assert created.json()["total"] == 4
        with _client(mesh, api_key) as client:
            batch = client.wait_batch(batch_id, timeout_s=180)
        assert (batch.state, batch.succeeded, batch.failed) == (batch_pb2.BATCH_STATE_PARTIAL, 2, 2)
        deadline = time.monotonic() + 30
        while not hook.received and time.monotonic() < deadline:
            time.sleep(0.1)

        items = http.get(f"/v1/batches/{batch_id}/items").json()["items"]
        assert [(i["externalId"], i["status"], i.get("error", {}).get("code", "")) for i in items] == [
            ("alice", "succeeded", ""), ("ghost", "failed", "URL_NOT_FOUND"),
            ("metadata", "failed", "URL_FORBIDDEN"), ("bob", "succeeded", "")]
        outputs = {o["kind"]: o for o in http.get(f"/v1/batches/{batch_id}").json()["outputs"]}
        table = list(csv.DictReader(io.StringIO(httpx.get(outputs["results_csv"]["url"]).text)))
        assert len(table) == 4 and [r["status"] for r in table].count("succeeded") == 2
        archive = zipfile.ZipFile(io.BytesIO(httpx.get(outputs["archive"]["url"]).content))
        assert sorted(archive.namelist()) == ["00002-alice.jpg", "00005-bob.jpg"]

        assert hook.posts == 2 and len(hook.received) == 1          # down once, then delivered once
        sent = hook.received[0]
        assert verify_webhook(secret, sent.headers["idphoto-signature"], sent.body)
        assert not verify_webhook(secret, sent.headers["idphoto-signature"], sent.body + b" ")
        event = json.loads(sent.body)
        assert (event["type"], event["id"], event["data"]["succeeded"]) == ("batch.completed", batch_id, 2)
        deliveries = http.get(f"/v1/batches/{batch_id}").json()["webhookDeliveries"]
        assert [(d["state"], [a.get("statusCode", 0) for a in d["attempts"]]) for d in deliveries] == [
            ("delivered", [503, 204])]


def test_job_from_url_redirected_to_a_private_address_is_refused(mesh, keys, images):
    api_key, _ = keys.create("redirects")
    with _client(mesh, api_key) as client:
        job = client.create_job("us-passport", image_url=f"{images}/to-private.jpg", finalize=True)
        done = client.wait(job.id, timeout_s=60)
    assert done.state == idphoto_pb2.JOB_STATE_FAILED and done.error.code == "URL_FORBIDDEN"


def test_auth_missing_bad_foreign_and_revoked_keys(mesh, keys, images):
    key_a, _ = keys.create("tenant-a")
    key_b, _ = keys.create("tenant-b")
    with _http(mesh) as anonymous:
        for path in ("/v1/jobs", "/v1/batches", "/v1/specs"):
            response = anonymous.get(path)
            assert (response.status_code, response.json()["code"]) == (401, "UNAUTHENTICATED")
    with _client(mesh, "") as nobody, pytest.raises(UnauthenticatedError):
        nobody.list_jobs()
    with _client(mesh, "idp_" + "x" * 43) as forged, pytest.raises(UnauthenticatedError):
        forged.list_jobs()
    with _client(mesh, key_a) as a, _client(mesh, key_b) as b:
        job = a.create_job("us-passport", image_url=f"{images}/a.jpg", finalize=True)
        batch = a.create_batch(items=[{"image_url": f"{images}/a.jpg"}], spec_id="us-passport")
        with pytest.raises(JobNotFoundError):
            b.get_job(job.id)
        with pytest.raises(BatchNotFoundError):
            b.get_batch(batch.id)
        with _http(mesh, key_b) as http_b:
            assert http_b.get(f"/v1/jobs/{job.id}").status_code == 404
            assert http_b.get(f"/v1/batches/{batch.id}").status_code == 404
            assert http_b.post(f"/v1/batches/{batch.id}:cancel").status_code == 404
            assert http_b.get(f"/v1/batches/{batch.id}/items").status_code == 404
            assert http_b.get(f"/v1/batches/{batch.id}:watch").status_code == 404
            assert http_b.post(f"/v1/jobs/{job.id}:cancel").status_code == 404
        assert batch.id not in {x.id for x in b.list_batches().batches}
        assert batch.id in {x.id for x in a.list_batches().batches}
        a.wait_batch(batch.id, timeout_s=120)
        keys.revoke(key_a[:12])
        with pytest.raises(UnauthenticatedError):
            a.get_job(job.id)


def test_bursts_past_the_bucket_get_429_with_retry_after_and_nothing_is_lost(mesh, keys, images):
    api_key, _ = keys.create("bursty")
    with _http(mesh, api_key) as http:
        def create(n: int) -> httpx.Response:
            return http.post("/v1/jobs", json={"imageUrl": f"{images}/a.jpg", "specId": "us-passport",
                                               "finalize": True, "idempotencyKey": f"burst-{n}"})

        with ThreadPoolExecutor(max_workers=6) as pool:
            responses = list(pool.map(create, range(3 * BURST)))
        accepted = [r.json()["id"] for r in responses if r.status_code == 200]
        limited = [r for r in responses if r.status_code == 429]
        assert len(accepted) + len(limited) == 3 * BURST
        assert BURST <= len(accepted) < 3 * BURST and limited
        for response in limited:
            assert response.json()["code"] == "RATE_LIMITED"
            assert int(response.headers["retry-after"]) >= 1
        time.sleep(BURST / 4)                                        # let the bucket refill
    states = []
    with _client(mesh, api_key) as client:
        for job_id in accepted:
            states.append(client.wait(job_id, timeout_s=180).state)
            time.sleep(1.0)                                          # under the refill rate: no 429 here
    assert states == [idphoto_pb2.JOB_STATE_SUCCEEDED] * len(accepted)


def test_zip_batch_over_rest_streams_its_progress_until_it_ends(mesh, keys):
    api_key, _ = keys.create("zipper")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("one.jpg", astronaut_bytes("JPEG"))
        archive.writestr("two.png", astronaut_bytes("PNG"))
    with _http(mesh, api_key) as http:
        created = http.post("/v1/batches", data={"specId": "uk-passport", "options.background": "#f0f0f0"},
                            files={"file": ("photos.zip", buffer.getvalue(), "application/zip")})
        assert created.status_code == 200, created.text
        batch_id = created.json()["id"]
        events = []
        with http.stream("GET", f"/v1/batches/{batch_id}:watch") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            for line in stream.iter_lines():
                if line.startswith("data:"):
                    events.append(json.loads(line[5:]))
        batch_events = [e for e in events if "eventId" in e]
        assert batch_events[0]["kind"] == "created" and "item" in {e["kind"] for e in batch_events}
        last = batch_events[-1]["batch"]
        assert (last["state"], last["succeeded"], last["source"]) == ("BATCH_STATE_SUCCEEDED", 2, "zip")
        progress = [e["batch"].get("progress", 0) for e in batch_events]
        assert progress == sorted(progress) and progress[-1] == 1
        archive = next(o for o in last["outputs"] if o["kind"] == "archive")
        names = zipfile.ZipFile(io.BytesIO(httpx.get(archive["url"]).content)).namelist()
        assert names == ["00001-one.jpg", "00002-two.jpg"]


def test_the_batch_command_waits_reports_failed_rows_and_saves_the_results(mesh, keys, images, tmp_path):
    from typer.testing import CliRunner

    from edges.cli.main import app

    api_key, _ = keys.create("cli")
    table = tmp_path / "photos.csv"
    table.write_text(f"image_url,external_id\n{images}/a.jpg,ann\n{images}/missing.jpg,gone\n")
    args = ["batch", str(table), "--server", mesh.endpoints.grpc_target, "--spec", "us-passport",
            "--api-key", api_key, "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "BATCH_STATE_PARTIAL — 1 succeeded, 1 failed" in result.output
    assert "row 3: gone: URL_NOT_FOUND" in result.output
    assert zipfile.ZipFile(tmp_path / "out" / "photos.zip").namelist() == ["00002-ann.jpg"]
    assert len((tmp_path / "out" / "results.csv").read_text().splitlines()) == 3

    table.write_text("image_url,spec_id\nftp://x/a.jpg,us-passport\n")
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 2 and "BATCH_INVALID" in refused.output and "row 2 image_url" in refused.output

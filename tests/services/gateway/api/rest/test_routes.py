"""Every REST route against the real mesh: uploads (JSON and multipart), jobs (create, get, watch as SSE with
resume, finalize, cancel, list) and specs, in proto3 JSON."""

from __future__ import annotations

import base64
import hashlib
import io
import uuid

from PIL import Image

from tests.services.gateway.api.rest.support import assert_error, messages, watch


def _upload(http, portrait: bytes) -> dict:
    response = http.post("/v1/uploads", files={"file": ("portrait.jpg", portrait, "image/jpeg")})
    assert response.status_code == 200, response.text
    return response.json()


def _create(http, upload_id: str, **extra) -> dict:
    response = http.post("/v1/jobs", json={"uploadId": upload_id, "specId": "us-passport", **extra})
    assert response.status_code == 200, response.text
    return response.json()


def test_upload_as_json_and_as_multipart_store_the_same_bytes(http, portrait):
    digest = hashlib.sha256(portrait).hexdigest()
    as_json = http.post("/v1/uploads", json={"filename": "a.jpg", "contentType": "image/jpeg",
                                             "data": base64.b64encode(portrait).decode()})
    assert as_json.status_code == 200, as_json.text
    multipart = http.post("/v1/uploads", files={"file": ("b.jpg", portrait, "image/jpeg")})
    assert multipart.status_code == 200, multipart.text
    for body, name in ((as_json.json(), "a.jpg"), (multipart.json(), "b.jpg")):
        assert body["sha256"] == digest and body["contentType"] == "image/jpeg" and body["filename"] == name
        assert body["sizeBytes"] == str(len(portrait))            # int64 is a string in proto3 JSON
        assert len(body["uploadId"]) == 32 and body["createTime"].endswith("Z")
    assert as_json.json()["uploadId"] != multipart.json()["uploadId"]
    form_field = http.post("/v1/uploads", data={"filename": "given.jpg"},
                           files={"file": ("ignored.jpg", portrait, "image/jpeg")})
    assert form_field.status_code == 200 and form_field.json()["filename"] == "given.jpg"


def test_job_flow_create_get_watch_finalize_resume_list(http, portrait):
    upload = _upload(http, portrait)
    job = _create(http, upload["uploadId"], options={"background": "white"})
    # a worker may claim the job before the create reply is built: QUEUED or already RUNNING
    assert job["state"] in ("JOB_STATE_QUEUED", "JOB_STATE_RUNNING") and job["specId"] == "us-passport"
    assert job["uploadId"] == upload["uploadId"] and job["options"]["background"] == "white"
    got = http.get(f"/v1/jobs/{job['id']}")
    assert got.status_code == 200 and got.json()["id"] == job["id"]

    first = messages(watch(http, job["id"]))
    states = [e["data"]["state"] for e in first]
    assert states[0] == "JOB_STATE_QUEUED" and states[-1] == "JOB_STATE_PREVIEW_READY"
    assert "JOB_STATE_RUNNING" in states
    assert all(e["id"] == e["data"]["eventId"] for e in first)
    assert {o["kind"] for o in first[-1]["data"]["job"]["outputs"]} >= {"preview", "cutout"}

    finalized = http.post(f"/v1/jobs/{job['id']}:finalize",
                          json={"options": {"background": "blue", "sheet": "4r"}})
    assert finalized.status_code == 200, finalized.text
    assert finalized.json()["state"] == "JOB_STATE_FINALIZING"
    resumed = watch(http, job["id"], headers={"Last-Event-ID": first[-1]["id"]})
    assert resumed[-1]["event"] == "end"
    second = messages(resumed)
    assert second[0]["data"]["state"] == "JOB_STATE_FINALIZING"
    assert second[-1]["data"]["state"] == "JOB_STATE_SUCCEEDED"
    assert not {e["id"] for e in second} & {e["id"] for e in first}
    by_query = messages(watch(http, job["id"], params={"afterEventId": first[-1]["id"]}))
    assert [e["id"] for e in by_query] == [e["id"] for e in second]

    done = http.get(f"/v1/jobs/{job['id']}").json()
    assert done["state"] == "JOB_STATE_SUCCEEDED" and done["report"]["pass"] is True
    assert done["measurements"]["chinY"] > done["measurements"]["crownY"]
    photo = next(o for o in done["outputs"] if o["kind"] == "photo")
    image = Image.open(io.BytesIO(http.get(photo["url"]).content)).convert("RGB")
    assert image.size == (600, 600) and image.getpixel((2, 2))[2] > 150 > image.getpixel((2, 2))[0]
    assert any(o["kind"] == "sheet" for o in done["outputs"])

    listed = http.get("/v1/jobs", params={"pageSize": 50})
    assert listed.status_code == 200 and done["id"] in {j["id"] for j in listed.json()["jobs"]}
    succeeded = http.get("/v1/jobs", params={"state": "JOB_STATE_SUCCEEDED", "page_size": "50"}).json()
    assert done["id"] in {j["id"] for j in succeeded["jobs"]}
    assert all(j["state"] == "JOB_STATE_SUCCEEDED" for j in succeeded["jobs"])
    unchanged = http.post(f"/v1/jobs/{job['id']}:cancel")                  # a finished job is returned as it is
    assert unchanged.status_code == 200 and unchanged.json()["state"] == "JOB_STATE_SUCCEEDED"


def test_cancel_a_job_waiting_for_finalize(http, portrait):
    job = _create(http, _upload(http, portrait)["uploadId"])
    assert messages(watch(http, job["id"]))[-1]["data"]["state"] == "JOB_STATE_PREVIEW_READY"
    cancelled = http.post(f"/v1/jobs/{job['id']}:cancel", json={})
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["state"] == "JOB_STATE_CANCELLED" and cancelled.json()["finishTime"]
    assert http.get(f"/v1/jobs/{job['id']}").json()["state"] == "JOB_STATE_CANCELLED"
    assert_error(http.post(f"/v1/jobs/{job['id']}:finalize", json={}), 409, "INVALID_STATE")


def test_create_job_inline_image_as_json_and_as_multipart_with_idempotency(http, portrait):
    small = io.BytesIO()
    Image.open(io.BytesIO(portrait)).save(small, "JPEG", quality=80)
    key = uuid.uuid4().hex
    body = {"image": base64.b64encode(small.getvalue()).decode(), "specId": "schengen-visa", "idempotencyKey": key,
            "finalize": True}
    first = http.post("/v1/jobs", json=body)
    again = http.post("/v1/jobs", json=body)
    assert first.status_code == again.status_code == 200, first.text
    assert first.json()["id"] == again.json()["id"]
    form = http.post("/v1/jobs", data={"specId": "us-passport", "finalize": "true"},
                     files={"file": ("p.jpg", small.getvalue(), "image/jpeg")})
    assert form.status_code == 200, form.text
    assert form.json()["specId"] == "us-passport" and form.json()["id"] != first.json()["id"]
    events = messages(watch(http, first.json()["id"]))
    assert events[-1]["data"]["state"] == "JOB_STATE_SUCCEEDED"
    http.post(f"/v1/jobs/{form.json()['id']}:cancel")


def test_list_specs_by_country_and_pages(http):
    germany = http.get("/v1/specs", params={"country": "germany"})
    assert germany.status_code == 200
    body = germany.json()
    assert body["totalSize"] >= 2 and all(s["country"] == "germany" for s in body["specs"])
    spec = body["specs"][0]
    assert {"id", "countryName", "widthMm", "heightPx", "dpi", "requirements"} <= set(spec)
    by_id = http.get("/v1/specs?country=GERMANY").json()             # case-insensitive
    assert [s["id"] for s in by_id["specs"]] == [s["id"] for s in body["specs"]]
    page1 = http.get("/v1/specs", params={"pageSize": 100}).json()
    page2 = http.get("/v1/specs", params={"pageSize": 100, "pageToken": page1["nextPageToken"]}).json()
    assert len(page1["specs"]) == 100 and page1["totalSize"] > 200
    assert not {s["id"] for s in page1["specs"]} & {s["id"] for s in page2["specs"]}


def test_request_ids_are_echoed_and_odd_headers_do_not_break_calls(http):
    mine = http.get("/v1/specs", params={"pageSize": 1}, headers={"X-Request-Id": "trace-42.a"})
    assert mine.status_code == 200 and mine.headers["x-request-id"] == "trace-42.a"
    odd = http.get("/v1/specs", params={"pageSize": 1},
                   headers={"X-Request-Id": "not a usable id!", "Authorization": "Bearer caf\xe9".encode("latin-1")})
    assert odd.status_code == 200 and len(odd.headers["x-request-id"]) == 32

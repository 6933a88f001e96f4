"""REST errors against the real mesh: typed codes with the table's HTTP status, JSON everywhere, never a trace."""

from __future__ import annotations

import base64
import json
import socket

import pytest

from tests.services.gateway.api.rest.support import assert_error

TEXT = b"this is not a picture at all, just some words in a file\n" * 4


def test_non_image_upload_is_a_typed_4xx(http):
    multipart = http.post("/v1/uploads", files={"file": ("notes.jpg", TEXT, "image/jpeg")})
    assert_error(multipart, 400, "INVALID_IMAGE")
    as_json = http.post("/v1/uploads", json={"data": base64.b64encode(TEXT).decode()})
    assert_error(as_json, 400, "INVALID_IMAGE")
    assert_error(http.post("/v1/uploads", files={"file": ("empty.jpg", b"", "image/jpeg")}), 400, "EMPTY_INPUT")
    inline = http.post("/v1/jobs", json={"image": base64.b64encode(TEXT).decode(), "specId": "us-passport"})
    assert_error(inline, 400, "INVALID_IMAGE")
    gif = http.post("/v1/uploads", files={"file": ("a.gif", b"GIF89a" + b"\x00" * 64, "image/gif")})
    assert gif.status_code in (400, 415) and gif.json()["code"] in ("INVALID_IMAGE", "UNSUPPORTED_FORMAT")


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/nowhere", 404, "NOT_FOUND"),
    ("GET", "/v1/jobs/a/b", 404, "NOT_FOUND"),
    ("GET", "/v1/jobs/abc:explode", 404, "JOB_NOT_FOUND"),        # a job id may hold a colon
    ("GET", "/v1/uploads", 405, "METHOD_NOT_ALLOWED"),
    ("DELETE", "/v1/jobs/abc", 405, "METHOD_NOT_ALLOWED"),
    ("GET", "/v1/jobs/abc:finalize", 405, "METHOD_NOT_ALLOWED"),
    ("POST", "/v1/jobs/abc:watch", 405, "METHOD_NOT_ALLOWED"),
    ("POST", "/healthz", 405, "METHOD_NOT_ALLOWED"),
    ("GET", "/v1/jobs/%FF%FE", 400, "INVALID_INPUT"),
    ("GET", "/v1/jobs/no-such-job", 404, "JOB_NOT_FOUND"),
    ("GET", "/v1/jobs/no-such-job:watch", 404, "JOB_NOT_FOUND"),
    ("POST", "/v1/jobs/no-such-job:finalize", 404, "JOB_NOT_FOUND"),
    ("POST", "/v1/jobs/no-such-job:cancel", 404, "JOB_NOT_FOUND"),
])
def test_routing_errors(http, method, path, status, code):
    body = assert_error(http.request(method, path), status, code)
    if status == 405:
        assert http.request(method, path).headers["allow"]
    if path.startswith("/v1/jobs/no-such-job"):
        assert "no-such-job" in body["message"]


@pytest.mark.parametrize(("kwargs", "why"), [
    ({"content": b"{not json", "headers": {"content-type": "application/json"}}, "not valid JSON"),
    ({"content": b"[1, 2]", "headers": {"content-type": "application/json"}}, "JSON object"),
    ({"json": {"specId": "us-passport", "colour": "blue"}}, "colour"),
    ({"json": {"specId": 7}}, "specId"),
    ({"json": {"uploadId": "a", "image": "aGk="}}, "oneof"),
    ({"json": {"specId": "us-passport", "uploadId": "x", "options": {"maxKb": "lots"}}}, "maxKb"),
    ({"json": {"specId": "us-passport"}, "params": {"finalize": "true"}}, "JSON body"),
])
def test_bad_create_job_requests_are_400(http, kwargs, why):
    body = assert_error(http.post("/v1/jobs", **kwargs), 400, "INVALID_INPUT")
    assert why in body["message"]


@pytest.mark.parametrize(("params", "why"), [
    ({"pageSize": "ten"}, "pageSize"),
    ({"state": "JOB_STATE_SLEEPING"}, "state"),
    ({"colour": "blue"}, "colour"),
    ({"pageSize": ["1", "2"]}, "2 times"),
])
def test_bad_query_parameters_are_400(http, params, why):
    body = assert_error(http.get("/v1/jobs", params=params), 400, "INVALID_INPUT")
    assert why in body["message"]


def test_unknown_spec_and_bad_options_use_the_error_table(http):
    assert_error(http.post("/v1/jobs", json={"uploadId": "nope", "specId": "atlantis-passport"}), 404,
                 "SPEC_NOT_FOUND")
    assert_error(http.post("/v1/jobs", json={"uploadId": "nope", "specId": "us-passport"}), 404, "UPLOAD_NOT_FOUND")
    bad_colour = http.post("/v1/jobs", json={"uploadId": "x", "specId": "us-passport",
                                             "options": {"background": "plaid"}})
    assert assert_error(bad_colour, 400, "INVALID_OPTION")["details"]["option"] == "background"
    assert_error(http.get("/v1/specs", params={"pageToken": "zz"}), 400, "INVALID_OPTION")


def test_media_types_and_multipart_shape(http, portrait):
    assert_error(http.post("/v1/jobs", content=b"a=b", headers={"content-type": "text/plain"}), 415,
                 "UNSUPPORTED_MEDIA_TYPE")
    no_file = http.post("/v1/uploads", files={"other": ("x.jpg", portrait, "image/jpeg")})
    assert "file" in assert_error(no_file, 400, "INVALID_INPUT")["message"]
    twice = http.post("/v1/uploads", files=[("file", ("a.jpg", portrait, "image/jpeg")),
                                            ("file", ("b.jpg", portrait, "image/jpeg"))])
    assert_error(twice, 400, "INVALID_INPUT")
    boundary = "XyZ"
    truncated = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n\r\n"
                 ).encode() + portrait[:1000]
    cut = http.post("/v1/uploads", content=truncated,
                    headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert "closing boundary" in assert_error(cut, 400, "INVALID_INPUT")["message"]
    finalize_form = http.post("/v1/jobs/x:finalize", files={"file": ("a.jpg", b"x", "image/jpeg")})
    assert_error(finalize_form, 415, "UNSUPPORTED_MEDIA_TYPE")
    no_boundary = http.post("/v1/uploads", content=b"x", headers={"content-type": "multipart/form-data"})
    assert_error(no_boundary, 400, "INVALID_INPUT")


def test_declared_body_over_the_limit_is_refused_before_reading(base_url):
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 1000000000\r\n\r\n{")         # 1 GB announced, 1 byte sent
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413") and b"connection: close" in head.lower()
    error = json.loads(body)
    assert error["code"] == "FILE_TOO_LARGE" and error["details"]["max_bytes"] < 10**9

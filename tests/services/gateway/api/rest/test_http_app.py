"""The gateway's HTTP app around REST, in process: the page and its assets, security headers, CORS, the declared
size limit, JSON for whatever the router refuses, and the config fields that drive them."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from idphoto.config import load_config
from idphoto.errors import ConfigError
from services.gateway.api.http import create_http_app
from services.gateway.api.rest.descriptors import load_surface
from services.gateway.api.rest.transcoder import Transcoder
from services.gateway.config import GatewayConfig
from services.gateway.storage.local import LocalStore

ORIGIN = "https://photos.example"


def _client(tmp_path, **options) -> TestClient:
    async def ready():
        return {"mesh": True}

    # no backend: these requests never reach the gRPC channel
    transcoder = Transcoder(load_surface(), channel=None, max_body_bytes=1000, max_file_bytes=500)
    store = LocalStore(tmp_path / "objects", "http://files.test", b"k" * 32)
    return TestClient(create_http_app(store, ready, transcoder, **options), raise_server_exceptions=False)


def test_page_assets_and_security_headers(tmp_path):
    client = _client(tmp_path)
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<form" in page.text and 'lang="en"' in page.text
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "no-referrer"
    for path, kind in (("/web/app.js", "javascript"), ("/web/api.js", "javascript"), ("/web/style.css", "text/css"),
                       ("/web/favicon.svg", "image/svg+xml")):
        asset = client.get(path)
        assert asset.status_code == 200 and kind in asset.headers["content-type"], path
    missing = client.get("/web/missing.js")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"
    assert client.get("/healthz").headers["x-frame-options"] == "DENY"
    assert client.get("/readyz").json() == {"ready": True, "checks": {"mesh": True}}


def test_cors_is_off_unless_configured(tmp_path):
    plain = _client(tmp_path).options("/v1/jobs", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in plain.headers
    assert plain.status_code == 405 and plain.json()["code"] == "METHOD_NOT_ALLOWED"
    client = _client(tmp_path, cors_origins=(ORIGIN,))
    preflight = client.options("/v1/jobs", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                                                    "Access-Control-Request-Headers": "content-type,last-event-id"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == ORIGIN
    simple = client.get("/nowhere", headers={"Origin": ORIGIN})
    assert simple.headers["access-control-allow-origin"] == ORIGIN and simple.json()["code"] == "NOT_FOUND"
    refused = client.options("/v1/jobs", headers={"Origin": "https://evil.example",
                                                  "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 400 and refused.json()["code"] == "INVALID_INPUT"
    assert "access-control-allow-origin" not in refused.headers


def test_declared_length_over_the_limit_is_413_json(tmp_path):
    client = _client(tmp_path, max_request_bytes=100)
    response = client.post("/v1/jobs", content=b"{" + b" " * 200 + b"}", headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["code"] == "FILE_TOO_LARGE"
    assert response.json()["details"] == {"max_bytes": 100}
    roomy = _client(tmp_path, max_request_bytes=10**6)        # an upload is held to the upload cap instead
    upload = roomy.post("/v1/uploads", content=b"x" * 70_000,
                         headers={"content-type": "multipart/form-data; boundary=b"})
    assert upload.status_code == 413 and upload.headers["connection"] == "close"
    assert upload.json()["message"] == "upload exceeds 500 bytes" and upload.json()["details"] == {"max_bytes": 500}


def test_router_errors_are_json(tmp_path):
    client = _client(tmp_path)
    assert client.post("/openapi.json").json()["code"] == "METHOD_NOT_ALLOWED"
    assert client.delete("/").status_code == 405
    wrong = client.put("/v1/jobs/x:cancel")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"


def test_config_fields(monkeypatch):
    assert GatewayConfig(max_upload_mb=25).max_request_bytes() > 25 * 4 // 3 * 1_000_000
    assert GatewayConfig(max_request_mb=5).max_request_bytes() == 5_000_000
    monkeypatch.setenv("IDPHOTO_GATEWAY_CORS_ORIGINS", f"{ORIGIN}, http://localhost:3000")
    assert load_config(GatewayConfig, "GATEWAY").cors_origins == (ORIGIN, "http://localhost:3000")
    monkeypatch.setenv("IDPHOTO_GATEWAY_CORS_ORIGINS", "photos.example")
    with pytest.raises(ConfigError, match="CORS_ORIGINS"):
        load_config(GatewayConfig, "GATEWAY")

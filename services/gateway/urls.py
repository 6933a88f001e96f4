"""Syntax checks of caller-given URLs (image_url, webhook_url) when a request is accepted. Addresses are vetted
again, with DNS, when the URL is used (services.gateway.fetch): this only refuses what can never work."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from idphoto.errors import InvalidOptionError, UrlForbiddenError
from services.gateway.fetch import address_refused

MAX_URL_CHARS = 2048


def url_problem(url: str, max_chars: int = MAX_URL_CHARS) -> str | None:
    """Why ``url`` is not an http(s) URL with a host, or None."""
    if len(url) > max_chars:
        return f"longer than {max_chars} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return "contains whitespace or control characters"
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return "not a URL"
    if parts.scheme not in ("http", "https"):
        return "not http or https"
    return None if host else "has no host"


def check_http_url(url: str, option: str) -> str:
    problem = url_problem(url)
    if problem:
        raise InvalidOptionError(f"{option} must be an http(s) URL with a host ({problem})", option=option)
    return url


def check_webhook_url(url: str, allow: tuple = ()) -> str:
    """An http(s) URL whose host, when it is a literal address, the SSRF rules allow (names are vetted on send)."""
    check_http_url(url, "webhook_url")
    try:
        address = ipaddress.ip_address(urlsplit(url).hostname or "")
    except ValueError:
        return url
    reason = address_refused(address, allow)
    if reason:
        raise UrlForbiddenError(f"webhook_url points at a {reason} address", option="webhook_url")
    return url

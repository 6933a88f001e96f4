"""Syntax checks of caller-given URLs (image_url, webhook_url) when a request is accepted. Addresses are vetted
again, with DNS, when the URL is used (services.gateway.outbound.fetch): this only refuses what can never work."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from idphoto.errors import InvalidOptionError, UrlForbiddenError
from services.gateway.outbound.fetch import address_refused

MAX_URL_CHARS = 2048


def url_problem(url: str, max_chars: int = MAX_URL_CHARS) -> str | None:
    """Why ``url`` is not an http(s) URL with a host (a phrase like "has no host"), or None."""
    if not url:
        return "is empty"
    if len(url) > max_chars:
        return f"is longer than {max_chars} characters"
    if any(c.isspace() or not c.isprintable() for c in url):
        return "contains whitespace or control characters"
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port
    except ValueError as exc:
        return f"cannot be parsed ({exc})"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not an http or https URL"
    return None if host else "has no host"


def check_http_url(url: str, option: str) -> str:
    problem = url_problem(url)
    if problem:
        raise InvalidOptionError(f"{option} {problem}", option=option)
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

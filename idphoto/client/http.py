"""Downloads of job outputs over HTTP (urllib): retried on connection failures and 502/503/504, typed errors."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from idphoto.client.retry import Backoff
from idphoto.errors import (
    DeadlineExceededError,
    IdPhotoError,
    InternalError,
    ObjectNotFoundError,
    ServiceUnavailableError,
    error_from_code,
)

RETRY_HTTP = frozenset({502, 503, 504})


def _error_from_body(body: bytes) -> IdPhotoError | None:
    """A typed error from a JSON body like {"code", "message"} or {"error": {"code", "message", "details"}}."""
    try:
        data = json.loads(body.decode() or "null")
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = data["error"]
    if not isinstance(data, dict) or not isinstance(data.get("code"), str):
        return None
    details = data.get("details") if isinstance(data.get("details"), dict) else {}
    return error_from_code(data["code"], data.get("message") or None, **details)


def http_error(status: int, body: bytes, url: str) -> IdPhotoError:
    typed = _error_from_body(body)
    if typed is not None:
        return typed
    path = url.split("?", 1)[0]
    if status == 404:
        return ObjectNotFoundError(f"no object at {path}")
    if status == 504:
        return DeadlineExceededError(f"download of {path} timed out")
    if status in RETRY_HTTP:
        return ServiceUnavailableError(f"download of {path} failed: HTTP {status}")
    return InternalError(f"download of {path} failed: HTTP {status}")


def fetch(url: str, timeout_s: float, backoff: Backoff, sleep: Callable[[float], None] = time.sleep) -> bytes:
    """The body of a GET of ``url``."""
    attempt = 0
    while True:
        try:
            with urllib.request.urlopen(url, timeout=timeout_s) as response:
                return response.read()
        except urllib.error.HTTPError as err:
            body = err.read() if err.fp is not None else b""
            if err.code not in RETRY_HTTP or attempt >= backoff.retries:
                raise http_error(err.code, body, url) from None
        except (urllib.error.URLError, OSError) as err:
            if attempt >= backoff.retries:
                reason = getattr(err, "reason", err)
                raise ServiceUnavailableError(f"download of {url.split('?', 1)[0]} failed: {reason}") from None
        sleep(backoff.delay(attempt))
        attempt += 1

"""Verify an idphoto webhook on the receiving side.

    from idphoto.client import verify_webhook

    ok = verify_webhook(secret, request.headers["Idphoto-Signature"], raw_body)

The header is ``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``. Pass the raw body exactly as
received (not re-serialised JSON). Events older (or newer) than ``tolerance_s`` are refused to stop replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def verify_webhook(secret: bytes | str, header: str, body: bytes | str, tolerance_s: float = 300,
                   now: float | None = None) -> bool:
    """True when ``header`` is a valid signature of ``body`` under ``secret`` made within ``tolerance_s``."""
    if not header or not isinstance(header, str):
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1":
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = hmac.new(_as_bytes(secret), str(timestamp).encode() + b"." + _as_bytes(body),
                        hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)

"""Signed webhook events: the body, the ``Idphoto-Signature`` header and one delivery attempt.

    Idphoto-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>

The body is JSON ``{type, id, created, data}`` with ``type`` one of ``job.succeeded``, ``job.failed``,
``batch.completed`` and ``id`` the job or batch id the event is about. Each attempt is signed afresh (a retry hours
later carries a current ``t``), and the target URL obeys the same SSRF rules as image fetching
(``services.gateway.outbound.fetch``). Queueing and retries live in ``services.gateway.webhooks.queue``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from idphoto.config import load_config
from idphoto.errors import IdPhotoError
from services.gateway.outbound.fetch import FetchConfig, safe_request

SIGNATURE_HEADER = "Idphoto-Signature"
DELIVERY_HEADER = "Idphoto-Delivery"
EVENT_TYPES = ("job.succeeded", "job.failed", "batch.completed")
_RESPONSE_CAP = 64 * 1024          # a receiver's reply is read (bounded) and discarded


@dataclass(frozen=True)
class WebhookConfig:
    """Env ``IDPHOTO_WEBHOOKS_<FIELD>`` via ``load_config(WebhookConfig, "WEBHOOKS")``."""

    max_attempts: int = 8
    base_backoff_s: float = 10.0        # delay after the first failure; doubles each attempt
    max_backoff_s: float = 3600.0
    jitter: float = 0.5                 # a delay is scaled by a random factor in [1 - jitter, 1]
    lease_s: float = 120.0              # a claimed delivery is retried after this if its worker dies mid-attempt
    timeout_s: float = 10.0             # connect and read timeout of one attempt
    batch_size: int = 32                # deliveries claimed per deliver_due step
    retention_s: int = 7 * 86400        # how long delivery records (and their attempts) are kept

    def validate(self) -> list[str]:
        problems = []
        for name in ("max_attempts", "batch_size", "retention_s"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1 (got {getattr(self, name)})")
        for name in ("base_backoff_s", "max_backoff_s", "lease_s", "timeout_s"):
            if getattr(self, name) <= 0:
                problems.append(f"{name} must be positive (got {getattr(self, name)})")
        if not 0 <= self.jitter <= 1:
            problems.append(f"jitter must be between 0 and 1 (got {self.jitter})")
        return problems


def load_webhook_config() -> WebhookConfig:
    return load_config(WebhookConfig, "WEBHOOKS")


def _as_bytes(value: bytes | str) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


def signature(secret: bytes | str, body: bytes, t: int) -> str:
    """Hex HMAC-SHA256 of ``"<t>.<body>"`` under ``secret``."""
    return hmac.new(_as_bytes(secret), str(int(t)).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes | str, body: bytes, t: int) -> str:
    """The ``Idphoto-Signature`` header value for ``body`` sent at unix time ``t``."""
    return f"t={int(t)},v1={signature(secret, body, t)}"


def event_body(type: str, id: str, data: dict[str, Any], created: int | None = None) -> bytes:
    """The raw JSON body of an event (the exact bytes that are signed and sent)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r} (expected one of {', '.join(EVENT_TYPES)})")
    created = int(time.time()) if created is None else int(created)
    return json.dumps({"type": type, "id": id, "created": created, "data": data},
                      separators=(",", ":"), sort_keys=True).encode()


@dataclass(frozen=True)
class AttemptResult:
    status_code: int        # 0 when no HTTP response arrived
    error: str = ""         # an error code (URL_FORBIDDEN, URL_UNREACHABLE, HTTP_STATUS) or ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def permanent(self) -> bool:
        """Retrying cannot help: the target is refused by the SSRF rules."""
        return self.error == "URL_FORBIDDEN"


def post_event(url: str, secret: bytes | str, body: bytes, fetch_config: FetchConfig, *, t: int,
               delivery_id: str = "") -> AttemptResult:
    """POST one signed event to ``url`` under the SSRF rules (no redirects followed); never raises."""
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body, t)}
    if delivery_id:
        headers[DELIVERY_HEADER] = delivery_id
    try:
        response = safe_request("POST", url, fetch_config, body=body, headers=headers, follow_redirects=False,
                                max_bytes=_RESPONSE_CAP, truncate=True)   # a long 2xx reply is still a 2xx
    except IdPhotoError as exc:
        return AttemptResult(0, exc.code)
    if 200 <= response.status < 300:
        return AttemptResult(response.status)
    return AttemptResult(response.status, "HTTP_STATUS")

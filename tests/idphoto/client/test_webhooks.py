"""verify_webhook accepts exactly the signatures the gateway makes, within the time tolerance."""

from __future__ import annotations

import hashlib
import hmac
import time

from idphoto.client import verify_webhook
from services.gateway.webhooks.signing import event_body, sign

SECRET = b"whsec-test-secret"


def test_a_fresh_signature_verifies():
    body = event_body("job.succeeded", "job_1", {"state": "SUCCEEDED"})
    header = sign(SECRET, body, int(time.time()))
    assert verify_webhook(SECRET, header, body)
    assert verify_webhook(SECRET.decode(), header, body.decode())       # str secret and body work too


def test_tampered_body_fails():
    body = event_body("job.succeeded", "job_1", {"state": "SUCCEEDED"})
    header = sign(SECRET, body, int(time.time()))
    assert not verify_webhook(SECRET, header, body.replace(b"SUCCEEDED", b"FAILED"))


def test_wrong_secret_fails():
    body = b'{"x":1}'
    assert not verify_webhook(b"other", sign(SECRET, body, int(time.time())), body)


def test_old_and_future_timestamps_fail_by_the_tolerance():
    body = b'{"x":1}'
    now = 1_800_000_000
    assert verify_webhook(SECRET, sign(SECRET, body, now - 299), body, now=now)
    assert not verify_webhook(SECRET, sign(SECRET, body, now - 301), body, now=now)
    assert not verify_webhook(SECRET, sign(SECRET, body, now + 301), body, now=now)
    assert not verify_webhook(SECRET, sign(SECRET, body, now - 3600), body)
    assert verify_webhook(SECRET, sign(SECRET, body, now - 3600), body, tolerance_s=7200, now=now)


def test_changing_the_timestamp_in_the_header_fails():
    body = b'{"x":1}'
    now = int(time.time())
    header = sign(SECRET, body, now - 10)
    forged = header.replace(f"t={now - 10}", f"t={now}")
    assert not verify_webhook(SECRET, forged, body, now=now)


def test_independent_recomputation_and_garbage_headers():
    body = b'{"a":"b"}'
    t = 1_700_000_000
    mac = hmac.new(SECRET, f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert verify_webhook(SECRET, f"t={t},v1={mac}", body, now=t)
    for header in ("", "garbage", f"t={t}", f"v1={mac}", f"t=abc,v1={mac}", f"t={t},v1=00"):
        assert not verify_webhook(SECRET, header, body, now=t)

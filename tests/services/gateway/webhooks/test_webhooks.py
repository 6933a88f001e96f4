"""Webhook signing, the Redis delivery queue and its retries against a local receiver on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from idphoto.client import verify_webhook
from services.gateway.outbound.fetch import FetchConfig
from services.gateway.webhooks.queue import WebhookQueue, backoff_s
from services.gateway.webhooks.signing import SIGNATURE_HEADER, WebhookConfig, event_body, post_event, sign

SECRET = b"tenant-webhook-secret"
T0 = 1_800_000_000.0
ALLOW_LOOPBACK = FetchConfig(allow_networks=("127.0.0.1/32",))


class _Receiver(BaseHTTPRequestHandler):
    fail_first = 0
    received: ClassVar[list[tuple[int, bytes, str]]] = []
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with type(self).lock:
            type(self).received.append((len(type(self).received) + 1, body, self.headers.get(SIGNATURE_HEADER, "")))
            status = 500 if len(type(self).received) <= type(self).fail_first else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.fail_first = 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def queue(redis_client, key_prefix):
    return WebhookQueue(redis_client, ALLOW_LOOPBACK, WebhookConfig(max_attempts=5, base_backoff_s=10),
                        prefix=key_prefix, rng=random.Random(7))


def test_signature_matches_an_independent_recomputation_and_verifies():
    body = event_body("batch.completed", "batch_1", {"total": 4, "succeeded": 2}, created=int(T0))
    header = sign(SECRET, body, int(T0))
    t_part, v_part = header.split(",")
    assert t_part == f"t={int(T0)}"
    assert v_part == "v1=" + hmac.new(SECRET, f"{int(T0)}.".encode() + body, hashlib.sha256).hexdigest()
    assert verify_webhook(SECRET, header, body, now=T0 + 5)
    assert not verify_webhook(SECRET, header, body + b" ", now=T0 + 5)
    assert not verify_webhook(SECRET, header, body, now=T0 + 301)


def test_event_body_shape():
    body = json.loads(event_body("job.failed", "job_9", {"error_code": "NO_FACE"}, created=123))
    assert body == {"type": "job.failed", "id": "job_9", "created": 123, "data": {"error_code": "NO_FACE"}}
    with pytest.raises(ValueError):
        event_body("job.exploded", "job_9", {})


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    config = WebhookConfig(base_backoff_s=10, max_backoff_s=100, jitter=0.5)
    rng = random.Random(1)
    delays = [backoff_s(n, config, rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(100, 10 * 2 ** (n - 1))
        assert ceiling * 0.5 <= delay <= ceiling
    assert delays[-1] <= 100 and delays[2] > delays[0]


def test_failing_receiver_is_retried_until_delivered_once(queue, receiver):
    _Receiver.fail_first = 2
    body = event_body("job.succeeded", "job_1", {"state": "SUCCEEDED"}, created=int(T0))
    delivery_id = queue.enqueue("tenant-a", receiver, SECRET, body, subject="job_1", now=T0)

    assert [r.status_code for _, r in queue.deliver_due(T0)] == [500]
    assert queue.deliver_due(T0 + 1) == []                    # backing off: not due yet
    now = T0
    for _ in range(10):
        now += 3600
        queue.deliver_due(now)
        if queue.get(delivery_id)["state"] != "pending":
            break
    record = queue.get(delivery_id)
    assert record["state"] == "delivered"
    assert [(a["attempt"], a["status_code"]) for a in record["attempts"]] == [(1, 500), (2, 500), (3, 200)]
    assert sum(1 for a in record["attempts"] if a["status_code"] == 200) == 1
    assert len(_Receiver.received) == 3
    for _, got_body, _header in _Receiver.received:
        assert got_body == body
    last_t = record["attempts"][-1]["time"]
    assert verify_webhook(SECRET, _Receiver.received[-1][2], body, now=last_t)
    assert queue.deliveries("job_1") == [record]
    assert queue.deliver_due(now + 10 ** 6) == [] and queue.pending_count() == 0
    assert len(_Receiver.received) == 3                       # nothing more after success


def test_a_restarted_queue_delivers_what_was_pending(redis_client, key_prefix, receiver):
    first = WebhookQueue(redis_client, ALLOW_LOOPBACK, prefix=key_prefix)
    body = event_body("batch.completed", "batch_7", {"total": 1}, created=int(T0))
    delivery_id = first.enqueue("tenant-a", receiver, SECRET, body, subject="batch_7", now=T0)
    del first                                                   # "the gateway restarts"

    second = WebhookQueue(redis_client, ALLOW_LOOPBACK, prefix=key_prefix)
    [(got_id, result)] = second.deliver_due(T0 + 1)
    assert got_id == delivery_id and result.ok
    assert second.get(delivery_id)["state"] == "delivered"
    assert _Receiver.received[0][1] == body


def test_a_delivery_claimed_by_a_dead_worker_is_retried_after_its_lease(redis_client, key_prefix, receiver):
    config = WebhookConfig(lease_s=60)
    queue = WebhookQueue(redis_client, ALLOW_LOOPBACK, config, prefix=key_prefix)
    delivery_id = queue.enqueue("tenant-a", receiver, SECRET, b"{}", now=T0)
    queue._claim(keys=[queue._due], args=[repr(T0), repr(T0 + 60), 10, queue._delivery("")])   # claimed, then died
    assert queue.deliver_due(T0 + 30) == []
    [(got_id, result)] = queue.deliver_due(T0 + 61)
    assert got_id == delivery_id and result.ok
    assert queue.get(delivery_id)["attempts"][-1]["attempt"] == 2


def test_private_receiver_without_allowlist_is_refused_and_recorded(redis_client, key_prefix, receiver):
    queue = WebhookQueue(redis_client, FetchConfig(), prefix=key_prefix)
    delivery_id = queue.enqueue("tenant-a", receiver, SECRET, b"{}", subject="job_2", now=T0)
    [(_, result)] = queue.deliver_due(T0)
    assert not result.ok and result.error == "URL_FORBIDDEN"
    record = queue.get(delivery_id)
    assert record["state"] == "failed"
    assert record["attempts"] == [{"attempt": 1, "status_code": 0, "time": T0, "error": "URL_FORBIDDEN"}]
    assert _Receiver.received == []
    assert queue.deliver_due(T0 + 10 ** 6) == []


def test_metadata_address_receiver_is_refused(redis_client, key_prefix):
    queue = WebhookQueue(redis_client, ALLOW_LOOPBACK, prefix=key_prefix)
    delivery_id = queue.enqueue("t", "http://169.254.169.254/latest/meta-data/", SECRET, b"{}", now=T0)
    queue.deliver_due(T0)
    assert queue.get(delivery_id)["attempts"][0]["error"] == "URL_FORBIDDEN"


def test_attempts_are_capped(redis_client, key_prefix, receiver):
    _Receiver.fail_first = 100
    queue = WebhookQueue(redis_client, ALLOW_LOOPBACK, WebhookConfig(max_attempts=3), prefix=key_prefix)
    delivery_id = queue.enqueue("t", receiver, SECRET, b"{}", now=T0)
    now = T0
    for _ in range(10):
        queue.deliver_due(now)
        now += 10 ** 5
    record = queue.get(delivery_id)
    assert record["state"] == "failed"
    assert [a["status_code"] for a in record["attempts"]] == [500, 500, 500]
    assert len(_Receiver.received) == 3


def test_secret_and_body_are_not_shown(queue, receiver):
    delivery_id = queue.enqueue("t", receiver, SECRET, b"{}", now=time.time())
    shown = queue.get(delivery_id)
    assert "secret" not in shown and "body" not in shown


def test_a_2xx_with_a_long_reply_is_a_delivery_not_a_failure():
    class Chatty(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            reply = b"x" * (512 * 1024)                  # far past the 64 KiB the sender reads
            self.send_response(200)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Chatty)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        result = post_event(f"http://127.0.0.1:{httpd.server_address[1]}/hook", SECRET, b"{}", ALLOW_LOOPBACK, t=1)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.ok and result.status_code == 200 and result.error == ""

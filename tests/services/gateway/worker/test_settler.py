"""The settled stream and the Settler: job webhooks (once per settling), webhook deliveries on the job, the
concurrent-job quota given back, and URL jobs refused under the default SSRF rules."""

from __future__ import annotations

import json

import pytest

from idphoto.client import verify_webhook
from idphoto.domain.types import RenderOptions
from idphoto.errors import RateLimitedError
from services.gateway.jobs.model import JobState
from services.gateway.outbound.fetch import FetchConfig
from services.gateway.tenancy.api_keys import AuthConfig
from services.gateway.tenancy.ratelimit import RateLimiter
from services.gateway.webhooks.events import tenant_webhook_secret
from services.gateway.worker.settler import settled_queue
from tests.services.gateway.harness import Harness, make_parts
from tests.support.http_servers import ServerState, local_server
from tests.support.images import astronaut_bytes

TENANT = "default"


def test_only_settling_transitions_reach_the_settled_stream(job_store, redis_client, key_prefix):
    job, _ = job_store.create(TENANT, "us-passport", {}, "k")
    for state in (JobState.RUNNING, JobState.PREVIEW_READY, JobState.FINALIZING, JobState.SUCCEEDED):
        job_store.transition(job.id, state)
    entries = redis_client.xrange(f"{key_prefix}:settled")
    assert [(e["job_id"], json.loads(e["payload"])["state"]) for _, e in entries] == [
        (job.id, "PREVIEW_READY"), (job.id, "SUCCEEDED")]


def test_job_webhooks_succeeded_and_failed_are_signed_and_sent_once(parts, harness):
    with local_server() as (hook_url, hook), local_server(ServerState(files={})) as (images, _):
        good = parts.core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"),
                                     finalize=True, webhook_url=f"{hook_url}/jobs")
        bad = parts.core.create_job(TENANT, "us-passport", RenderOptions(), image_url=f"{images}/gone.jpg",
                                    finalize=True, webhook_url=f"{hook_url}/jobs")
        harness.drive(lambda: len(hook.received) == 2)
        once = parts.redis.keys(f"{parts.jobs_config.key_prefix}:webhooks:once:{good.id}:job.succeeded:*")
        entry_id = once[0].rsplit(":", 1)[1]                         # the settled stream entry it was sent for
        harness.settler.settle(good.id, JobState.SUCCEEDED, entry_id)   # the same entry again sends nothing new
        for _ in range(3):
            harness.step()
    events = {json.loads(r.body)["id"]: json.loads(r.body) for r in hook.received}
    assert len(hook.received) == 2
    assert events[good.id]["type"] == "job.succeeded"
    assert {o["kind"] for o in events[good.id]["data"]["outputs"]} >= {"photo", "report"}
    assert events[bad.id]["type"] == "job.failed" and events[bad.id]["data"]["error"]["code"] == "URL_NOT_FOUND"
    secret = tenant_webhook_secret(parts.redis, parts.jobs_config.key_prefix, TENANT)
    assert all(verify_webhook(secret, r.headers["idphoto-signature"], r.body) for r in hook.received)
    deliveries = parts.core.deliveries(good.id)
    assert [(d["type"], d["state"], len(d["attempts"])) for d in deliveries] == [("job.succeeded", "delivered", 1)]


def test_a_loopback_url_is_refused_without_the_allowlist(redis_client, local_store, key_prefix, clients):
    parts = make_parts(redis_client, local_store, key_prefix, fetch=FetchConfig())
    harness = Harness(parts, clients, FetchConfig())
    with local_server(ServerState(files={"/a.jpg": astronaut_bytes("JPEG")})) as (base, _):
        job = parts.core.create_job(TENANT, "us-passport", RenderOptions(), image_url=f"{base}/a.jpg",
                                    finalize=True)
        harness.drive(lambda: parts.core.get_job(TENANT, job.id).state == JobState.FAILED)
    assert parts.core.get_job(TENANT, job.id).error_code == "URL_FORBIDDEN"


def test_the_concurrent_job_quota_is_given_back_when_a_job_settles(parts, harness, redis_client, key_prefix):
    limiter = RateLimiter.from_config(redis_client, AuthConfig(max_concurrent_jobs=1), key_prefix)
    parts.core.limiter = harness.settler.limiter = limiter
    photo = astronaut_bytes("JPEG")
    first = parts.core.create_job(TENANT, "us-passport", RenderOptions(), image=photo, quota_key="key_1")
    with pytest.raises(RateLimitedError) as caught:
        parts.core.create_job(TENANT, "us-passport", RenderOptions(), image=photo, quota_key="key_1")
    assert caught.value.details["retry_after_header"] == "1"
    assert parts.core.create_job(TENANT, "us-passport", RenderOptions(), image=photo, quota_key="key_2")
    harness.drive(lambda: limiter.running("key_1") == 0)
    assert parts.core.get_job(TENANT, first.id).state == JobState.PREVIEW_READY
    assert parts.core.create_job(TENANT, "us-passport", RenderOptions(), image=photo, quota_key="key_1")
    assert settled_queue(redis_client, key_prefix).pending_count() == 0


def test_queued_deliveries_hold_no_copy_of_the_secret(parts):
    parts.core.notifier.send(TENANT, "https://hooks.example.com/x", "job.succeeded", "job-1", {"job_id": "job-1"},
                             dedupe="1")
    prefix = parts.jobs_config.key_prefix
    for key in parts.redis.keys(f"{prefix}:webhooks:d:*"):
        if parts.redis.type(key) == "hash":
            assert parts.redis.hget(key, "secret") == ""
    secret = tenant_webhook_secret(parts.redis, prefix, TENANT)
    assert parts.webhooks.secret_for(TENANT) == secret


def test_a_finalize_job_keeps_its_slot_through_preview_until_it_ends(parts, harness, redis_client, key_prefix):
    limiter = RateLimiter.from_config(redis_client, AuthConfig(max_concurrent_jobs=2), key_prefix)
    parts.core.limiter = harness.settler.limiter = limiter
    job = parts.core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"),
                                finalize=True, quota_key="key_f")
    jobs = parts.core.jobs
    jobs.transition(job.id, JobState.RUNNING)
    jobs.transition(job.id, JobState.PREVIEW_READY)
    harness.settler.settle(job.id, JobState.PREVIEW_READY)     # on its way to the render: still running
    assert limiter.running("key_f") == 1
    jobs.transition(job.id, JobState.FINALIZING)
    jobs.transition(job.id, JobState.FAILED, error_code="INTERNAL")
    harness.settler.settle(job.id, JobState.FAILED)
    assert limiter.running("key_f") == 0


def test_a_refused_finalize_gives_its_slot_back_at_once(parts, redis_client, key_prefix):
    from idphoto.errors import InvalidStateError

    limiter = RateLimiter.from_config(redis_client, AuthConfig(max_concurrent_jobs=1), key_prefix)
    parts.core.limiter = limiter
    job = parts.core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"),
                                quota_key="key_r")
    parts.core.jobs.transition(job.id, JobState.FAILED, error_code="NO_FACE")
    limiter.release("key_r", job.id)                      # as the settler does when it fails
    for _ in range(3):
        with pytest.raises(InvalidStateError):
            parts.core.finalize_job(TENANT, job.id, RenderOptions(), quota_key="key_r")
    assert limiter.running("key_r") == 0


def test_a_rotated_secret_signs_deliveries_queued_before_the_rotation(parts):
    from services.gateway.webhooks.events import rotate_webhook_secret

    prefix = parts.jobs_config.key_prefix
    old = tenant_webhook_secret(parts.redis, prefix, TENANT)
    with local_server() as (hook_url, hook):
        parts.core.notifier.send(TENANT, f"{hook_url}/h", "job.failed", "job-9", {"job_id": "job-9"}, dedupe="1")
        new = rotate_webhook_secret(parts.redis, prefix, TENANT)
        parts.webhooks.deliver_due()
    sent = hook.received[0]
    assert verify_webhook(new, sent.headers["idphoto-signature"], sent.body)
    assert not verify_webhook(old, sent.headers["idphoto-signature"], sent.body)

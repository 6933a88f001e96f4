"""Per-key token bucket and concurrent-job quota (services/gateway/tenancy/ratelimit.py) against a real Redis."""

from __future__ import annotations

import threading

import pytest

from idphoto.errors import RateLimitedError
from services.gateway.tenancy.api_keys import AuthConfig
from services.gateway.tenancy.ratelimit import RateLimiter

NOW = 1_000_000.0


@pytest.fixture
def limiter(redis_client, key_prefix):
    return RateLimiter(redis_client, rate_per_s=2.0, burst=5, max_concurrent_jobs=2, prefix=key_prefix,
                       job_slot_ttl_s=60)


def _count_passes(limiter, key_id, attempts, now=NOW):
    passed, errors = 0, []
    for _ in range(attempts):
        try:
            limiter.check(key_id, now=now)
            passed += 1
        except RateLimitedError as exc:
            errors.append(exc)
    return passed, errors


def test_a_burst_beyond_the_bucket_is_limited_with_a_retry_after(limiter):
    passed, errors = _count_passes(limiter, "key_a", 5 + 3)
    assert passed == 5 and len(errors) == 3
    for exc in errors:
        assert exc.code == "RATE_LIMITED" and exc.grpc_status == "RESOURCE_EXHAUSTED" and exc.http_status == 429
        assert 0 < exc.details["retry_after_s"] <= 0.5 + 1e-9   # one token at 2/s
        assert exc.details["retry_after_header"] == "1"


def test_the_bucket_refills_with_time(limiter):
    _count_passes(limiter, "key_a", 6)
    with pytest.raises(RateLimitedError) as info:
        limiter.check("key_a", now=NOW)
    wait = info.value.details["retry_after_s"]
    with pytest.raises(RateLimitedError):
        limiter.check("key_a", now=NOW + wait / 2)       # half way: still nothing
    limiter.check("key_a", now=NOW + 0.5)                  # one refill period later: one token
    with pytest.raises(RateLimitedError):
        limiter.check("key_a", now=NOW + 0.5)
    passed, _ = _count_passes(limiter, "key_a", 10, now=NOW + 100)  # long idle: full burst, never more
    assert passed == 5


def test_keys_have_separate_buckets(limiter):
    assert _count_passes(limiter, "key_a", 7)[0] == 5
    assert _count_passes(limiter, "key_b", 7)[0] == 5


def test_the_redis_clock_is_used_without_now(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, rate_per_s=0.01, burst=3, max_concurrent_jobs=1, prefix=key_prefix)
    passed = 0
    for _ in range(5):
        try:
            limiter.check("key_a")
            passed += 1
        except RateLimitedError as exc:
            assert exc.details["retry_after_s"] > 1
    assert passed == 3


def test_racing_threads_never_get_more_than_the_burst(redis_client, key_prefix):
    limiter = RateLimiter(redis_client, rate_per_s=0.001, burst=20, max_concurrent_jobs=1, prefix=key_prefix)
    passed = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def hammer():
        start.wait()
        mine = _count_passes(limiter, "key_shared", 25)[0]
        with lock:
            passed.append(mine)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(passed) == 8 and sum(passed) == 20, passed


def test_concurrent_job_quota(limiter):
    limiter.acquire("key_a", "job-1", now=NOW)
    limiter.acquire("key_a", "job-2", now=NOW)
    limiter.acquire("key_a", "job-2", now=NOW)           # idempotent: the same job does not take two slots
    with pytest.raises(RateLimitedError) as info:
        limiter.acquire("key_a", "job-3", now=NOW)
    assert info.value.details["retry_after_s"] > 0 and info.value.http_status == 429
    limiter.acquire("key_b", "job-9", now=NOW)           # another key has its own quota
    assert limiter.running("key_a", now=NOW) == 2
    assert limiter.release("key_a", "job-1") is True
    assert limiter.release("key_a", "job-1") is False
    limiter.acquire("key_a", "job-3", now=NOW)
    assert limiter.running("key_a", now=NOW) == 2


def test_an_unreleased_slot_expires(limiter):
    limiter.acquire("key_a", "job-1", now=NOW)
    limiter.acquire("key_a", "job-2", now=NOW)
    with pytest.raises(RateLimitedError):
        limiter.acquire("key_a", "job-3", now=NOW + 59)
    limiter.acquire("key_a", "job-3", now=NOW + 61)      # the crashed holders' slots timed out
    assert limiter.running("key_a", now=NOW + 61) == 1


def test_quota_acquire_races_never_exceed_the_limit(limiter):
    won = []
    start = threading.Barrier(8)

    def grab(i):
        start.wait()
        try:
            limiter.acquire("key_a", f"job-{i}", now=NOW)
            won.append(i)
        except RateLimitedError:
            pass

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(won) == 2


def test_from_config(redis_client, key_prefix):
    config = AuthConfig(rate_per_s=1.0, burst=2, max_concurrent_jobs=1)
    limiter = RateLimiter.from_config(redis_client, config, prefix=key_prefix)
    assert _count_passes(limiter, "key_a", 4)[0] == 2

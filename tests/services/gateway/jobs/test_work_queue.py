"""WorkQueue on a real Redis: claim/ack, takeover of abandoned items, delivery counting, config."""

from __future__ import annotations

import time

import pytest

from idphoto.config import load_config
from idphoto.errors import ConfigError
from services.gateway.jobs import (
    JobsConfig,
    WorkQueue,
    create_job_store,
    create_work_queue,
    too_many_attempts,
)


def test_enqueue_claim_ack(work_queue):
    entry_id = work_queue.enqueue("job-1", "stage_a", {"spec": "us-passport"})
    items = work_queue.claim("worker-1", count=5)
    assert len(items) == 1
    item = items[0]
    assert (item.id, item.job_id, item.task, item.payload, item.deliveries) == (
        entry_id, "job-1", "stage_a", {"spec": "us-passport"}, 1)
    assert work_queue.pending_count() == 1
    assert work_queue.claim("worker-2") == []
    work_queue.ack(item)
    assert work_queue.pending_count() == 0
    assert work_queue.redis.xlen(work_queue.stream) == 0


def test_each_item_goes_to_one_consumer(work_queue):
    sent = [work_queue.enqueue(f"job-{n}", "stage_b", {"n": n}) for n in range(6)]
    first = work_queue.claim("w1", count=4)
    second = work_queue.claim("w2", count=4)
    assert [i.id for i in first + second] == sent and len(second) == 2
    for item in first + second:
        work_queue.ack(item)
    assert work_queue.pending_count() == 0


def test_blocking_claim_waits_then_returns_empty(work_queue):
    started = time.monotonic()
    assert work_queue.claim("w1", block_ms=150) == []
    assert time.monotonic() - started >= 0.1


def test_abandoned_item_is_reclaimed_after_the_visibility_timeout(work_queue):
    work_queue.enqueue("job-1", "stage_a", {})
    [taken] = work_queue.claim("dies")                 # this consumer never acks
    assert work_queue.claim("healthy") == []           # not idle long enough yet
    time.sleep(0.3)                                    # visibility timeout is 0.2 s
    [again] = work_queue.claim("healthy")
    assert again.id == taken.id and again.job_id == "job-1" and again.deliveries == 2
    assert not work_queue.exhausted(again)
    assert work_queue.claim("third") == []             # the new owner holds it now
    work_queue.ack(again)
    assert work_queue.pending_count() == 0
    time.sleep(0.3)
    assert work_queue.claim("third") == []


def test_deliveries_count_up_to_exhaustion(work_queue):
    work_queue.enqueue("job-poison", "stage_a", {})
    deliveries = []
    for attempt in range(4):
        [item] = work_queue.claim(f"w{attempt}")
        deliveries.append(item.deliveries)
        time.sleep(0.25)
    assert deliveries == [1, 2, 3, 4]
    assert work_queue.exhausted(item) and not too_many_attempts(3, 3) and too_many_attempts(4, 3)


def test_reclaim_prefers_abandoned_items_over_new_ones(work_queue):
    old = work_queue.enqueue("job-old", "stage_a", {})
    work_queue.claim("dies")
    work_queue.enqueue("job-new", "stage_a", {})
    time.sleep(0.3)
    [first] = work_queue.claim("w")
    [second] = work_queue.claim("w")
    assert (first.id, first.deliveries) == (old, 2) and (second.job_id, second.deliveries) == ("job-new", 1)


def test_group_is_recreated_when_the_stream_vanishes(work_queue):
    work_queue.redis.delete(work_queue.stream)
    assert work_queue.claim("w1") == []
    work_queue.enqueue("job-1", "stage_a", {})
    assert [i.job_id for i in work_queue.claim("w1")] == ["job-1"]


def test_two_queue_objects_share_one_group(redis_client, key_prefix):
    a = WorkQueue(redis_client, stream=f"{key_prefix}:work")
    b = WorkQueue(redis_client, stream=f"{key_prefix}:work")
    a.enqueue("job-1", "stage_b", {"render": 1})
    assert [i.job_id for i in b.claim("w")] == ["job-1"]


def test_unknown_task_refused(work_queue):
    with pytest.raises(ValueError):
        work_queue.enqueue("job-1", "stage_c", {})


def test_jobs_config_and_factories(redis_url, key_prefix):
    config = load_config(JobsConfig, "JOBS", {
        "IDPHOTO_JOBS_REDIS_URL": redis_url, "IDPHOTO_JOBS_KEY_PREFIX": key_prefix,
        "IDPHOTO_JOBS_WORK_STREAM": f"{key_prefix}:work", "IDPHOTO_JOBS_MAX_ATTEMPTS": "5"})
    store = create_job_store(config)
    queue = create_work_queue(config)
    job, _ = store.create("t1", "us-passport", {}, "u", None)
    queue.enqueue(job.id, "stage_a", {})
    [item] = queue.claim("w")
    assert item.job_id == job.id and queue.max_attempts == 5
    queue.ack(item)
    store.redis.close()
    queue.redis.close()
    with pytest.raises(ConfigError):
        load_config(JobsConfig, "JOBS", {"IDPHOTO_JOBS_REDIS_URL": "http://x", "IDPHOTO_JOBS_RETENTION_S": "0"})

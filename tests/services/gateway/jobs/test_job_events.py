"""Job event streams (replay, blocking reads, capping) and newest-first listings with page tokens."""

from __future__ import annotations

import threading
import time

import pytest

from idphoto.errors import InvalidOptionError, JobNotFoundError
from services.gateway.jobs import JobState, JobStore

S = JobState


def _running_job(store: JobStore, tenant: str = "t1"):
    job, _ = store.create(tenant, "us-passport", {}, "u1", None)
    store.transition(job.id, S.RUNNING)
    return job.id


def test_events_record_every_step(job_store):
    job_id = _running_job(job_store)
    job_store.update_progress(job_id, 0.3, "detect")
    job_store.transition(job_id, S.PREVIEW_READY, stage="preview", progress=0.6)
    events = job_store.events(job_id)
    assert [(e.kind, e.state, e.stage, e.progress) for e in events] == [
        ("created", S.QUEUED, "", 0.0), ("state", S.RUNNING, "", 0.0), ("progress", S.RUNNING, "detect", 0.3),
        ("state", S.PREVIEW_READY, "preview", 0.6)]
    assert all(e.job_id == job_id and e.time > 0 for e in events)
    assert [e.id for e in events] == sorted({e.id for e in events}, key=lambda i: tuple(map(int, i.split("-"))))


def test_replay_after_an_id_misses_nothing_and_repeats_nothing(job_store):
    job_id = _running_job(job_store)
    for step in range(1, 21):
        job_store.update_progress(job_id, step / 100, f"s{step}")
    everything = job_store.events(job_id)
    seen, last = [], None
    while True:
        page = job_store.events(job_id, after_event_id=last, count=3)
        if not page:
            break
        seen += page
        last = page[-1].id
    assert seen == everything and len(everything) == 22
    assert job_store.events(job_id, after_event_id=everything[9].id) == everything[10:]
    assert job_store.events(job_id, after_event_id=everything[-1].id) == []


def test_blocking_read_wakes_on_a_new_event(job_store):
    job_id = _running_job(job_store)
    last = job_store.events(job_id)[-1].id
    received = []
    reader = threading.Thread(target=lambda: received.extend(
        job_store.events(job_id, after_event_id=last, block_ms=5000)))
    started = time.monotonic()
    reader.start()
    time.sleep(0.2)
    job_store.update_progress(job_id, 0.5, "matte")
    reader.join(timeout=6)
    assert not reader.is_alive() and time.monotonic() - started < 3
    assert [(e.kind, e.stage) for e in received] == [("progress", "matte")]


def test_blocking_read_times_out_empty(job_store):
    job_id = _running_job(job_store)
    last = job_store.events(job_id)[-1].id
    started = time.monotonic()
    assert job_store.events(job_id, after_event_id=last, block_ms=150) == []
    assert time.monotonic() - started >= 0.1


def test_events_of_missing_job_and_bad_id(job_store):
    with pytest.raises(JobNotFoundError):
        job_store.events("c" * 32)
    job_id = _running_job(job_store)
    with pytest.raises(InvalidOptionError):
        job_store.events(job_id, after_event_id="not-an-id")


def test_stream_is_capped(redis_client, key_prefix):
    store = JobStore(redis_client, prefix=key_prefix, events_maxlen=10)
    job_id = _running_job(store)
    for step in range(400):
        store.update_progress(job_id, step / 400, "loop")
    length = redis_client.xlen(store.keys.job_events(job_id))
    assert 10 <= length <= 10 + 100           # MAXLEN ~ trims whole stream nodes (100 entries by default)
    events = store.events(job_id)
    assert events[0].kind == "progress" and events[-1].progress == pytest.approx(399 / 400)


def _make_jobs(store: JobStore, tenant: str, count: int) -> list[str]:
    return [store.create(tenant, "us-passport", {"n": n}, "u", None)[0].id for n in range(count)]


def test_list_newest_first_with_pages(job_store):
    ids = _make_jobs(job_store, "t1", 23)
    _make_jobs(job_store, "t2", 4)
    seen, token, pages = [], None, 0
    while True:
        jobs, token = job_store.list("t1", page_size=5, page_token=token)
        seen += [job.id for job in jobs]
        pages += 1
        if token is None:
            break
    assert seen == ids[::-1] and pages == 5
    jobs, token = job_store.list("t1", page_size=23)
    assert len(jobs) == 23 and token is None


def test_list_is_stable_when_new_jobs_arrive(job_store):
    ids = _make_jobs(job_store, "t1", 6)
    first, token = job_store.list("t1", page_size=3)
    newer = _make_jobs(job_store, "t1", 2)
    second, token = job_store.list("t1", page_size=3, page_token=token)
    assert [j.id for j in first + second] == ids[::-1] and token is None
    assert [j.id for j in job_store.list("t1", page_size=2)[0]] == newer[::-1]


def test_list_filters_by_state_and_tenant(job_store):
    ids = _make_jobs(job_store, "t1", 7)
    for job_id in ids[::2]:
        job_store.transition(job_id, S.CANCELLED)
    cancelled, token = job_store.list("t1", page_size=3, state=S.CANCELLED)
    rest, token2 = job_store.list("t1", page_size=3, page_token=token, state="CANCELLED")
    assert [j.id for j in cancelled + rest] == ids[::2][::-1] and token2 is None
    assert [j.id for j in job_store.list("t1", state=S.QUEUED)[0]] == ids[1::2][::-1]
    assert job_store.list("nobody") == ([], None)


def test_list_drops_expired_jobs(job_store, redis_client):
    ids = _make_jobs(job_store, "t1", 5)
    redis_client.delete(job_store.keys.job(ids[2]))
    jobs, token = job_store.list("t1", page_size=2)
    rest, _ = job_store.list("t1", page_size=2, page_token=token)
    assert [j.id for j in jobs + rest] == [ids[4], ids[3], ids[1], ids[0]]
    assert redis_client.zcard(job_store.keys.tenant_jobs("t1")) == 4


def test_list_rejects_bad_arguments(job_store):
    for bad in ("garbage!", "bm90IGpzb24", "WzEsMiwzXQ"):
        with pytest.raises(InvalidOptionError):
            job_store.list("t1", page_token=bad)
    with pytest.raises(InvalidOptionError):
        job_store.list("t1", page_size=0)

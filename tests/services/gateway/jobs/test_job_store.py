"""JobStore on a real Redis: creation, idempotency, tenants, transitions, TTLs, cancellation."""

from __future__ import annotations

import threading

import pytest

from idphoto.errors import InvalidOptionError, InvalidStateError, JobNotFoundError
from services.gateway.jobs import LEGAL, JobState, JobStore

S = JobState


def _job(store: JobStore, tenant: str = "t1", **kw):
    job, created = store.create(tenant, "us-passport", {"background": "white"}, "uploads/u1.jpg", **kw)
    assert created
    return job


def _walk(store, job_id, *states):
    for state in states:
        store.transition(job_id, state)


def test_create_and_get(job_store):
    job = _job(job_store)
    assert job.state == S.QUEUED and job.tenant == "t1" and job.spec_id == "us-passport"
    assert job.options == {"background": "white"} and job.upload_key == "uploads/u1.jpg"
    assert job.progress == 0.0 and job.attempts == 0 and job.outputs == [] and job.measurements is None
    assert job.create_time == job.update_time > 0 and job.finish_time is None
    assert len(job.id) == 32 and job_store.get(job.id) == job


def test_ids_are_unique_and_random(job_store):
    ids = {_job(job_store).id for _ in range(50)}
    assert len(ids) == 50


def test_idempotency_key_returns_the_same_job(job_store):
    first, created = job_store.create("t1", "us-passport", {}, "u1", idempotency_key="req-1")
    again, created_again = job_store.create("t1", "uk-passport", {"x": 1}, "u2", idempotency_key="req-1")
    assert created and not created_again and again.id == first.id and again.spec_id == "us-passport"
    other_tenant, created_other = job_store.create("t2", "us-passport", {}, "u1", idempotency_key="req-1")
    assert created_other and other_tenant.id != first.id
    other_key, _ = job_store.create("t1", "us-passport", {}, "u1", idempotency_key="req-2")
    assert other_key.id != first.id


def test_idempotency_under_concurrency(job_store):
    results, barrier = [], threading.Barrier(8)

    def create():
        barrier.wait()
        results.append(job_store.create("t1", "us-passport", {}, "u1", idempotency_key="same"))

    threads = [threading.Thread(target=create) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len({job.id for job, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    jobs, _ = job_store.list("t1")
    assert len(jobs) == 1


def test_idempotency_key_of_an_expired_job_is_released(job_store, redis_client):
    first, _ = job_store.create("t1", "us-passport", {}, "u1", idempotency_key="k")
    redis_client.delete(job_store.keys.job(first.id))
    second, created = job_store.create("t1", "us-passport", {}, "u1", idempotency_key="k")
    assert created and second.id != first.id


def test_tenant_isolation_on_get(job_store):
    job = _job(job_store, "t1")
    assert job_store.get(job.id, "t1").id == job.id
    with pytest.raises(JobNotFoundError):
        job_store.get(job.id, "t2")
    with pytest.raises(JobNotFoundError):
        job_store.get("0" * 32)
    with pytest.raises(JobNotFoundError):
        job_store.request_cancel(job.id, "t2")
    with pytest.raises(JobNotFoundError):
        job_store.events(job.id, tenant="t2")
    assert job_store.get(job.id).state == S.QUEUED


def _reach(store, state):
    """A fresh job moved to ``state`` along legal transitions."""
    paths = {S.QUEUED: [], S.RUNNING: [S.RUNNING], S.PREVIEW_READY: [S.RUNNING, S.PREVIEW_READY],
             S.FINALIZING: [S.RUNNING, S.PREVIEW_READY, S.FINALIZING],
             S.SUCCEEDED: [S.RUNNING, S.SUCCEEDED], S.FAILED: [S.FAILED], S.CANCELLED: [S.CANCELLED]}
    job = _job(store)
    _walk(store, job.id, *paths[state])
    return job.id


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_transition_table(job_store, source, target):
    job_id = _reach(job_store, source)
    if target in LEGAL[source]:
        assert job_store.transition(job_id, target).state == target
        assert job_store.get(job_id).state == target
    else:
        with pytest.raises(InvalidStateError) as info:
            job_store.transition(job_id, target)
        assert info.value.details["state"] == source.value
        assert job_store.get(job_id).state == source


def test_transition_sets_fields_and_times(job_store):
    job = _job(job_store)
    running = job_store.transition(job.id, S.RUNNING, stage="detect", progress=0.1, attempts=1)
    assert running.stage == "detect" and running.progress == 0.1 and running.attempts == 1
    assert running.update_time >= job.update_time and running.finish_time is None
    outputs = [{"key": "jobs/x/photo.jpg", "content_type": "image/jpeg"}]
    done = job_store.transition(job.id, "SUCCEEDED", progress=1.0, outputs=outputs,
                                measurements={"head_mm": 31.2}, report={"ok": True})
    assert done.outputs == outputs and done.measurements == {"head_mm": 31.2} and done.report == {"ok": True}
    assert done.finish_time is not None and done.finish_time >= running.update_time
    assert job_store.get(job.id) == done


def test_failed_render_returns_to_preview_with_error(job_store):
    job_id = _reach(job_store, S.FINALIZING)
    back = job_store.transition(job_id, S.PREVIEW_READY, error_code="OUTPUT_TOO_LARGE", error_message="too big")
    assert back.state == S.PREVIEW_READY and back.error_code == "OUTPUT_TOO_LARGE"
    again = job_store.transition(job_id, S.FINALIZING)
    assert again.error_code == "" and again.error_message == ""
    done = job_store.transition(job_id, S.SUCCEEDED)
    rerender = job_store.transition(job_id, S.FINALIZING)
    assert rerender.state == S.FINALIZING and rerender.finish_time == done.finish_time


def test_expected_states_narrow_the_transition(job_store):
    job = _job(job_store)
    with pytest.raises(InvalidStateError):
        job_store.transition(job.id, S.CANCELLED, expected={S.RUNNING})
    assert job_store.transition(job.id, S.CANCELLED, expected={S.QUEUED}).state == S.CANCELLED


def test_transition_rejects_unknown_fields_and_missing_jobs(job_store):
    job = _job(job_store)
    with pytest.raises(TypeError):
        job_store.transition(job.id, S.RUNNING, tenant="t2")
    with pytest.raises(ValueError):
        job_store.transition(job.id, S.RUNNING, progress=2.0)
    with pytest.raises(JobNotFoundError):
        job_store.transition("f" * 32, S.RUNNING)
    assert job_store.get(job.id).state == S.QUEUED


def test_racing_transitions_have_exactly_one_winner(job_store):
    job = _job(job_store)
    barrier, wins, losses = threading.Barrier(8), [], []

    def race(worker: int):
        barrier.wait()
        try:
            wins.append(job_store.transition(job.id, S.RUNNING, stage=f"worker-{worker}"))
        except InvalidStateError:
            losses.append(worker)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(wins) == 1 and len(losses) == 7
    assert job_store.get(job.id).stage == wins[0].stage
    assert [e.state for e in job_store.events(job.id)] == [S.QUEUED, S.RUNNING]


def test_ttls_are_set_and_refreshed(job_store, redis_client):
    job, _ = job_store.create("t1", "us-passport", {}, "u1", idempotency_key="ttl")
    keys = [job_store.keys.job(job.id), job_store.keys.job_events(job.id), job_store.keys.tenant_jobs("t1"),
            job_store.keys.job_idempotency("t1", "ttl")]
    for key in keys:
        assert 3500 < redis_client.ttl(key) <= 3600, key
    for key in keys[:2]:
        redis_client.expire(key, 10)
    job_store.transition(job.id, S.RUNNING)
    for key in keys[:2]:
        assert redis_client.ttl(key) > 3500


def test_progress_updates(job_store):
    job = _job(job_store)
    with pytest.raises(InvalidStateError):
        job_store.update_progress(job.id, 0.5, "detect")
    job_store.transition(job.id, S.RUNNING)
    job_store.update_progress(job.id, 0.5, "matte")
    record = job_store.get(job.id)
    assert record.progress == 0.5 and record.stage == "matte" and record.state == S.RUNNING
    with pytest.raises(InvalidOptionError):
        job_store.update_progress(job.id, 1.5, "matte")
    with pytest.raises(JobNotFoundError):
        job_store.update_progress("a" * 32, 0.1, "x")


@pytest.mark.parametrize("state", [S.QUEUED, S.PREVIEW_READY])
def test_cancel_idle_job_cancels_at_once(job_store, state):
    job_id = _reach(job_store, state)
    cancelled = job_store.request_cancel(job_id, "t1")
    assert cancelled.state == S.CANCELLED and cancelled.finish_time is not None
    assert job_store.request_cancel(job_id).state == S.CANCELLED


@pytest.mark.parametrize("state", [S.RUNNING, S.FINALIZING])
def test_cancel_working_job_sets_the_flag(job_store, state):
    job_id = _reach(job_store, state)
    assert not job_store.cancel_requested(job_id)
    flagged = job_store.request_cancel(job_id)
    assert flagged.state == state and flagged.cancel_requested
    assert job_store.cancel_requested(job_id)
    assert job_store.events(job_id)[-1].kind == "cancel_requested"
    assert job_store.transition(job_id, S.CANCELLED).state == S.CANCELLED


@pytest.mark.parametrize("state", [S.SUCCEEDED, S.FAILED])
def test_cancel_finished_job_is_refused(job_store, state):
    job_id = _reach(job_store, state)
    with pytest.raises(InvalidStateError):
        job_store.request_cancel(job_id)
    with pytest.raises(JobNotFoundError):
        job_store.cancel_requested("b" * 32)


def test_works_with_a_bytes_client(redis_url, key_prefix):
    import redis

    client = redis.Redis.from_url(redis_url)
    store = JobStore(client, prefix=key_prefix)
    job, _ = store.create("t1", "us-passport", {"a": 1}, "u1", idempotency_key="b")
    assert store.transition(job.id, S.RUNNING).state == S.RUNNING
    assert store.get(job.id, "t1").options == {"a": 1}
    assert [e.kind for e in store.events(job.id)] == ["created", "state"]
    assert [j.id for j in store.list("t1")[0]] == [job.id]
    client.close()


def test_a_new_job_and_its_first_work_item_are_one_step(job_store, work_queue):
    work = work_queue.item_spec("stage_a", {"finalize": True})
    job, created = job_store.create("acme", "us-passport", {}, "k", "same-key", work=work)
    again, created_again = job_store.create("acme", "us-passport", {}, "k", "same-key", work=work)
    assert created and not created_again and again.id == job.id
    items = work_queue.claim("w1", count=10)
    assert [(i.job_id, i.task, i.payload) for i in items] == [(job.id, "stage_a", {"finalize": True})]

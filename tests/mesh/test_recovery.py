"""Crash recovery on the full mesh: a worker killed mid-Stage A, the whole gateway restarted mid-job, one of two
matting replicas killed mid-run — every job still succeeds, with one set of outputs."""

from __future__ import annotations

import time

import pytest
import redis

from idphoto.client import raise_for_job, state_name
from idphoto.v1 import idphoto_pb2
from tests.mesh.conftest import VISIBILITY_TIMEOUT_S, wait_until

pytestmark = [pytest.mark.models, pytest.mark.timeout(150)]
S = idphoto_pb2


def _holder(mesh, job_id: str) -> str | None:
    """The worker process whose consumer holds ``job_id``'s work item (from the stream's pending list)."""
    stream = mesh.options.env["IDPHOTO_JOBS_WORK_STREAM"]
    client = redis.Redis.from_url(mesh.redis_url, decode_responses=True)
    try:
        for row in client.xpending_range(stream, "workers", "-", "+", 100):
            entries = client.xrange(stream, row["message_id"], row["message_id"])
            if not entries or entries[0][1].get("job_id") != job_id:
                continue
            for name in mesh.names("worker"):
                if row["consumer"].startswith(mesh.processes[name].spec.env["IDPHOTO_WORKER_CONSUMER"] + "-"):
                    return name
    finally:
        client.close()
    return None


def _kill_a_worker_holding_a_running_job(mesh, client, jobs) -> tuple[str, str] | None:
    """kill -9 the worker of the first job seen RUNNING; (job id, worker) or None if none was caught."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for job in jobs:
            if client.get_job(job.id).state != S.JOB_STATE_RUNNING:
                continue
            worker = _holder(mesh, job.id)
            if worker is not None:
                mesh.kill(worker)
                return job.id, worker
        if all(client.get_job(job.id).state in (S.JOB_STATE_SUCCEEDED, S.JOB_STATE_FAILED) for job in jobs):
            return None
        time.sleep(0.01)
    return None


def _stored_files(mesh, job_id: str) -> set[str]:
    root = mesh.data_dir / "objects" / "objects"
    return {path.name for path in root.glob(f"**/jobs/{job_id}/*") if path.is_file()}


def _reference_files(mesh, jobs) -> set[str]:
    """The files of a job that ran once, undisturbed (what every job of the batch must have: no more)."""
    once = [job for job in jobs if job.attempts == 1]
    assert once, "no job of the batch ran undisturbed"
    files = _stored_files(mesh, once[0].id)
    assert {"photo.jpg", "report.json"} <= files
    return files


def _all_succeed(client, jobs, timeout_s: float = 90) -> list:
    done = [client.wait(job.id, timeout_s=timeout_s) for job in jobs]
    for job in done:
        assert state_name(job.state) == "SUCCEEDED", (job.id, job.error)
    return done


def test_a_worker_killed_during_stage_a_loses_no_job_and_duplicates_no_output(mesh, client, portrait):
    upload = client.upload(portrait, filename="astronaut.jpg")
    reclaimed = None
    for _ in range(4):                                  # until a kill lands while the job is really mid-flight
        jobs = [client.create_job("us-passport", upload_id=upload.upload_id, finalize=True) for _ in range(4)]
        caught = _kill_a_worker_holding_a_running_job(mesh, client, jobs)
        started = time.monotonic()
        done = _all_succeed(client, jobs)
        if caught is None:
            continue
        job = client.get_job(caught[0])
        if job.attempts >= 2:                           # another worker took it over
            reclaimed = job
            assert time.monotonic() - started < VISIBILITY_TIMEOUT_S + 30
            break
    assert reclaimed is not None, "no kill landed mid Stage A"
    kinds = [o.kind for o in reclaimed.outputs]
    assert sorted(kinds) == sorted(set(kinds)) == ["cutout", "photo", "report"]     # finalize: no preview
    assert _stored_files(mesh, reclaimed.id) == _reference_files(mesh, done)
    assert any("exited with code -9" in event for event in mesh.events)


def test_restarting_the_whole_gateway_mid_job_still_completes(mesh, client, portrait):
    upload = client.upload(portrait, filename="astronaut.jpg")
    jobs = [client.create_job("us-passport", upload_id=upload.upload_id, finalize=True) for _ in range(4)]
    wait_until(lambda: any(client.get_job(j.id).state == S.JOB_STATE_RUNNING for j in jobs), 20, 0.01,
               "a job RUNNING")
    before = mesh.pids()
    mesh.restart("gateway-1", *mesh.names("worker"))
    assert all(mesh.pids()[name] != before[name] for name in ("gateway-1", *mesh.names("worker")))
    done = _all_succeed(client, jobs)
    reference = _reference_files(mesh, done)
    for job in done:
        assert _stored_files(mesh, job.id) == reference


def test_killing_one_of_two_matting_replicas_mid_run_loses_no_job(mesh, client, portrait):
    upload = client.upload(portrait, filename="astronaut.jpg")
    jobs = [client.create_job("us-passport", upload_id=upload.upload_id, finalize=True) for _ in range(6)]
    # A job's stage is the last one finished: "region" done means its matting call is in flight (the "matte"
    # label shows only during the few milliseconds of "measure").
    wait_until(lambda: any(client.get_job(j.id).stage == "region" for j in jobs), 20, 0.01, "a job matting")
    mesh.kill("matting-1")
    for job in _all_succeed(client, jobs):
        raise_for_job(job)
    wait_until(lambda: mesh.processes["matting-1"].alive() and any("matting-1 restarted" in e for e in mesh.events),
               20, 0.2, "matting-1 restarted")

"""A backend service down: jobs fail fast with the typed SERVICE_UNAVAILABLE code (none hangs in RUNNING), the
gateway reports not ready, and everything works again once the service is back."""

from __future__ import annotations

import time

import pytest

from edges.serve.health import http_status
from idphoto.client import state_name
from idphoto.v1 import idphoto_pb2
from tests.mesh.conftest import wait_until

pytestmark = [pytest.mark.models, pytest.mark.timeout(120)]
S = idphoto_pb2


def test_compose_down_fails_jobs_with_service_unavailable_then_recovers(mesh, client, portrait):
    upload = client.upload(portrait, filename="astronaut.jpg")
    ready = f"{mesh.endpoints.http_url}/readyz"
    assert http_status(ready) == 200
    mesh.stop_process("compose")
    try:
        started = time.monotonic()
        jobs = [client.create_job("us-passport", upload_id=upload.upload_id, finalize=True) for _ in range(2)]
        done = [client.wait(job.id, timeout_s=60) for job in jobs]
        assert time.monotonic() - started < 60
        for job in done:
            assert state_name(job.state) == "FAILED", job
            assert job.error.code == "SERVICE_UNAVAILABLE", job.error
        assert not client.list_jobs(state="RUNNING").jobs
        assert http_status(ready) == 503
        assert not any("compose" in event for event in mesh.events)     # stopped on purpose: not restarted
        assert not mesh.processes["compose"].alive()
    finally:
        mesh.start_process("compose")
    wait_until(lambda: http_status(ready) == 200, 30, 0.2, "gateway ready again")
    job = client.wait(client.create_job("us-passport", upload_id=upload.upload_id, finalize=True).id, timeout_s=60)
    assert state_name(job.state) == "SUCCEEDED", job.error

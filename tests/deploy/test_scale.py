"""Scale on one machine, what the Kubernetes deployment does across nodes: two gateway replicas and two matting
replicas against one Redis, the workers shared by both gateways through the work stream, the matting replicas
balanced per call (round robin over every replica's address, retries on UNAVAILABLE).

20 small jobs alternate between the two gateways; the metrics show both gateways took jobs and both matting
replicas matted, the worker logs show every worker did work; one matting replica is killed with SIGKILL
mid-run (the supervisor restarts it, like a Deployment would) and every job still succeeds."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import pytest

from edges.serve.supervisor import Mesh, MeshOptions
from idphoto.client import IdPhotoClient, state_name

pytestmark = [pytest.mark.models, pytest.mark.timeout(240)]
JOBS = 20
METRIC = re.compile(r'^idphoto_rpc_calls_total\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.e+]+)$')


def calls(metrics_url: str, method: str) -> float:
    """idphoto_rpc_calls_total summed over codes for the methods whose name ends with ``method``."""
    with urllib.request.urlopen(metrics_url, timeout=5) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        match = METRIC.match(line)
        if match:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
            if labels.get("method", "").rsplit("/", 1)[-1] == method:
                total += float(match["value"])
    return total


def work_done_by_worker(log_path: str) -> Counter:
    """Consumers named in a worker's "work item done" JSON log lines."""
    done: Counter = Counter()
    for line in Path(log_path).read_text().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("event") == "work item done":
            done[record.get("worker", "?")] += 1
    return done


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    prefix = f"idphoto-scale-test-{uuid.uuid4().hex[:8]}"
    options = MeshOptions(grpc_port=0, http_port=0, data_dir=tmp_path_factory.mktemp("scale"), matting_replicas=2,
                          gateway_replicas=2, gateway_workers=2, start_timeout_s=120, stop_timeout_s=10,
                          log_level="INFO",
                          env={"IDPHOTO_JOBS_VISIBILITY_TIMEOUT_S": "3", "IDPHOTO_JOBS_KEY_PREFIX": prefix,
                               "IDPHOTO_JOBS_WORK_STREAM": f"{prefix}:work"})
    mesh = Mesh(options)
    mesh.start()
    try:
        yield mesh
    finally:
        mesh.stop()


def test_jobs_spread_over_both_gateways_workers_and_matting_replicas_and_survive_a_replica_kill(mesh):
    from tests.support.images import astronaut_bytes

    portrait = astronaut_bytes("JPEG")                          # 512 x 512
    gateways = [mesh.endpoints.get(name) for name in mesh.names("gateway")]
    mattings = {name: mesh.endpoints.get(name).metrics for name in mesh.names("service") if name.startswith("matting-")}
    assert len(gateways) == 2 and len(mattings) == 2 and len(mesh.names("worker")) >= 2
    clients = [IdPhotoClient(g.grpc, timeout_s=30, retries=8, backoff_s=0.2, max_backoff_s=2.0,
                             watch_timeout_s=120) for g in gateways]
    try:
        jobs = []
        for i in range(JOBS):                                   # alternate: gateway-1, gateway-2, gateway-1 …
            jobs.append((i % 2, clients[i % 2].create_job("us-passport", image=portrait, finalize=True)))

        # kill -9 matting-1 once it has done some of the work and while most jobs are still to come
        deadline = time.monotonic() + 60
        while calls(mattings["matting-1"], "Matte") < 2:
            assert time.monotonic() < deadline, "matting-1 got no Matte calls"
            time.sleep(0.05)
        matting_1_before_kill = calls(mattings["matting-1"], "Matte")
        finished_at_kill = sum(state_name(clients[g].get_job(j.id).state) == "SUCCEEDED" for g, j in jobs)
        mesh.kill("matting-1")
        assert finished_at_kill < JOBS, "the kill came too late to be mid-run"

        done = [clients[g].wait(j.id, timeout_s=150) for g, j in jobs]
    finally:
        for client in clients:
            client.close()

    # no job lost: every one succeeded, once
    states = Counter(state_name(job.state) for job in done)
    assert states == {"SUCCEEDED": JOBS}, [(job.id, state_name(job.state), job.error) for job in done
                                            if state_name(job.state) != "SUCCEEDED"]
    assert len({job.id for job in done}) == JOBS
    assert any("matting-1" in event and "exited with code -9" in event for event in mesh.events)

    # both gateways took their half of the jobs
    assert [calls(g.metrics, "CreateJob") for g in gateways] == [JOBS / 2, JOBS / 2]

    # both matting replicas matted: matting-1 before it was killed, matting-2 throughout (it took over)
    matting_2 = calls(mattings["matting-2"], "Matte")
    assert matting_1_before_kill >= 2 and matting_2 >= 2, (matting_1_before_kill, matting_2)
    # every job was matted by someone: matting-1 before the kill, its restarted process, or matting-2 (a call
    # that completed between the last scrape and the SIGKILL is counted nowhere, hence the slack of 2)
    matting_1_after_restart = calls(mattings["matting-1"], "Matte")
    assert matting_1_before_kill + matting_1_after_restart + matting_2 >= JOBS - 2

    # every worker did work (their consumers are named in the JSON log lines), and together all of it:
    # Stage A (+ preview and the final render, finalize=True) is one item per job
    per_worker = {name: work_done_by_worker(mesh.endpoints.get(name).log) for name in mesh.names("worker")}
    assert all(sum(done.values()) >= 1 for done in per_worker.values()), per_worker
    assert sum(sum(done.values()) for done in per_worker.values()) >= JOBS
    consumers = {c for done in per_worker.values() for c in done}
    assert len(consumers) >= 2

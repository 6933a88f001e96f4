"""The scripts the manifests mount and run: the worker's exec probes (against a real Redis) and the bucket
bootstrap Job (against an S3 server: moto)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
import uuid

import pytest
import redis

from edges.serve.redis_server import free_port
from tests.deploy.conftest import K8S, ROOT
from tests.support.redis_server import redis_url_for_tests

PROBE = K8S / "base" / "worker_probe.py"
BOOTSTRAP = K8S / "overlays" / "dev" / "bucket_bootstrap.py"


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _probe(mode: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the probe as the kubelet would: `python /etc/idphoto/probe/worker_probe.py <mode>`."""
    full = {k: v for k, v in os.environ.items() if not k.startswith("IDPHOTO_")}
    full.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, str(PROBE), mode], env=full, capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def redis_url():
    with redis_url_for_tests() as url:
        yield url


@pytest.fixture
def work(redis_url):
    """A unique work stream and group; consumer worker-abc-0 (pod worker-abc) holds one delivered item."""
    stream = f"idphoto-test:probe:{uuid.uuid4().hex[:8]}:work"
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    client.xgroup_create(stream, "workers", id="0", mkstream=True)
    client.xadd(stream, {"job_id": "j1", "task": "stage_a"})
    client.xreadgroup("workers", "worker-abc-0", {stream: ">"}, count=1)
    env = {"IDPHOTO_JOBS_REDIS_URL": redis_url, "IDPHOTO_JOBS_WORK_STREAM": stream,
           "IDPHOTO_WORKER_CONSUMER": "worker-abc"}
    yield client, stream, env
    client.delete(stream)
    client.close()


def test_ready_when_redis_answers_and_not_when_it_does_not(work):
    _, _, env = work
    assert _probe("ready", env).returncode == 0
    down = _probe("ready", {**env, "IDPHOTO_JOBS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
                            "IDPHOTO_JOBS_SOCKET_TIMEOUT_S": "2"})
    assert down.returncode == 1 and "Redis does not answer" in down.stderr


def test_live_while_items_are_worked_on_within_the_deadlines(work):
    _, _, env = work
    run = _probe("live", env)
    assert run.returncode == 0, run.stderr


def test_not_live_when_this_pod_holds_an_item_past_the_deadlines(work):
    """Deadlines and visibility timeout shrunk to milliseconds: the held item makes its consumer stuck; once it
    is acknowledged the pod is live again. Another pod's stale item never counts."""
    client, stream, env = work
    tight = {**env, "IDPHOTO_WORKER_STAGE_A_DEADLINE_S": "0.001", "IDPHOTO_WORKER_STAGE_B_DEADLINE_S": "0.001",
             "IDPHOTO_JOBS_VISIBILITY_TIMEOUT_S": "0.001"}
    probe = _load(PROBE, "worker_probe")
    margin = probe.MARGIN_S
    try:
        probe.MARGIN_S = 0.0
        os.environ.update(tight)
        time.sleep(0.05)
        assert probe.live() == 1
        os.environ["IDPHOTO_WORKER_CONSUMER"] = "worker-other"
        assert probe.live() == 0
        os.environ["IDPHOTO_WORKER_CONSUMER"] = "worker-abc"
        for entry in client.xpending_range(stream, "workers", "-", "+", 10):
            client.xack(stream, "workers", entry["message_id"])
        assert probe.live() == 0
    finally:
        probe.MARGIN_S = margin
        for key in tight:
            os.environ.pop(key, None)
    # the real margin (60 s) keeps a just-delivered item live, run the way the kubelet runs it
    assert _probe("live", tight).returncode == 0


def test_silence_counts_only_where_redis_reports_read_attempts():
    """Redis >= 7.2 reports "inactive" and counts "idle" from the last read attempt: silence means stuck. Older
    versions count from the last delivery, so an idle healthy worker must not be called stuck there."""
    probe = _load(PROBE, "worker_probe")
    new = [{"name": "worker-abc-0", "idle": 500_000, "inactive": 500_000, "pending": 0},
           {"name": "worker-abc-1", "idle": 10, "inactive": 900_000, "pending": 0},
           {"name": "worker-abcd-0", "idle": 900_000, "inactive": 900_000, "pending": 0},
           {"name": "worker-xyz-0", "idle": 900_000, "inactive": 900_000, "pending": 0}]
    assert probe.stuck_consumers(new, "worker-abc", 300_000) == ["worker-abc-0"]
    assert probe.stuck_consumers(new, "worker-new", 300_000) == []
    old = [{k: v for k, v in c.items() if k != "inactive"} for c in new]
    assert probe.stuck_consumers(old, "worker-abc", 300_000) == []
    pending = [{"consumer": "worker-abc-0", "time_since_delivered": 400_000},
               {"consumer": "worker-abc-1", "time_since_delivered": 5_000}]
    assert probe.stale_holders(pending, 360_000) == ["worker-abc-0"]


def test_live_passes_when_redis_is_down_or_the_group_is_missing(work):
    _, _, env = work
    down = _probe("live", {**env, "IDPHOTO_JOBS_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
                           "IDPHOTO_JOBS_SOCKET_TIMEOUT_S": "2"})
    assert down.returncode == 0, "a Redis outage must not restart every worker"
    missing = _probe("live", {**env, "IDPHOTO_JOBS_WORK_STREAM": "idphoto-test:no-such-stream"})
    assert missing.returncode == 0


def test_probe_usage_error():
    assert _probe("sideways", {}).returncode == 2


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()


def test_bucket_bootstrap_creates_the_bucket_and_its_expiry_rule_idempotently(s3_endpoint):
    from minio import Minio

    bootstrap = _load(BOOTSTRAP, "bucket_bootstrap")
    bucket = f"idphoto-{uuid.uuid4().hex[:8]}"
    env = {"IDPHOTO_STORAGE_BACKEND": "s3", "IDPHOTO_STORAGE_S3_ENDPOINT": s3_endpoint,
           "IDPHOTO_STORAGE_S3_ACCESS_KEY": "testing", "IDPHOTO_STORAGE_S3_SECRET_KEY": "testing-secret",
           "IDPHOTO_STORAGE_S3_BUCKET": bucket, "IDPHOTO_STORAGE_S3_SECURE": "false",
           "IDPHOTO_JOBS_RETENTION_S": str(3 * 86400)}
    assert "created" in bootstrap.bootstrap(env, wait_s=10)
    assert "existed" in bootstrap.bootstrap(env, wait_s=10)
    client = Minio(s3_endpoint, access_key="testing", secret_key="testing-secret", secure=False,
                   region="us-east-1")
    assert client.bucket_exists(bucket)
    rules = client.get_bucket_lifecycle(bucket).rules
    assert len(rules) == 1
    assert rules[0].rule_filter.prefix == "t/" and rules[0].expiration.days == 4   # 3 days of retention + 1


def test_bucket_bootstrap_expiry_days():
    bootstrap = _load(BOOTSTRAP, "bucket_bootstrap")
    assert [bootstrap.expiry_days(s) for s in (60, 86400, 86401, 7 * 86400)] == [2, 2, 3, 8]


def test_bucket_bootstrap_refuses_a_local_backend():
    bootstrap = _load(BOOTSTRAP, "bucket_bootstrap")
    with pytest.raises(SystemExit, match="not s3"):
        bootstrap.bootstrap({"IDPHOTO_STORAGE_BACKEND": "local"}, wait_s=1)

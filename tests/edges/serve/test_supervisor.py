"""The supervisor on the real internal services (no gateway): start, SERVING, the table, restart, clean stop."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import grpc
import psutil
import pytest

from edges.serve.endpoints import format_table
from edges.serve.health import health_status
from edges.serve.supervisor import Mesh, MeshOptions, StartError

pytestmark = [pytest.mark.models, pytest.mark.timeout(120)]
SERVICES = ["face", "matting-1", "matting-2", "compose"]


def _options(tmp_path, **overrides) -> MeshOptions:
    values = {"grpc_port": 0, "http_port": 0, "data_dir": tmp_path / "var", "matting_replicas": 2,
              "with_gateway": False, "start_timeout_s": 60, "stop_timeout_s": 10}
    return MeshOptions(**{**values, **overrides})


def _status(target: str) -> str:
    with grpc.insecure_channel(target) as channel:
        return health_status(channel, timeout_s=2)


def _gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _descendants() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True)}


def test_mesh_starts_every_service_to_serving_and_stops_without_leftovers(tmp_path):
    before = _descendants()
    mesh = Mesh(_options(tmp_path))
    endpoints = mesh.start()
    try:
        assert [e.name for e in endpoints.items] == SERVICES
        assert endpoints.redis_url.startswith("redis://")
        for endpoint in endpoints.items:
            assert _status(endpoint.grpc) == "SERVING", endpoint.name
            assert endpoint.metrics.startswith("http://127.0.0.1:")
        table = format_table(endpoints)
        for endpoint in endpoints.items:
            assert endpoint.name in table and endpoint.grpc in table and endpoint.metrics in table
        assert str(mesh.logs_dir) in table
        assert (mesh.logs_dir / "face.log").read_text().count('"service": "face"') >= 1
        pids = [pid for pid in mesh.pids().values() if pid]
        assert len(pids) == 4 and all(not _gone(pid) for pid in pids)
    finally:
        started = time.monotonic()
        mesh.stop()
    assert time.monotonic() - started < 30
    assert all(_gone(pid) for pid in pids)
    assert _descendants() - before == set()                       # the private redis-server is gone too


def test_a_killed_replica_is_restarted_on_the_same_port(tmp_path):
    with Mesh(_options(tmp_path, matting_replicas=1)) as mesh:
        target = mesh.endpoints.get("matting-1").grpc
        old = mesh.kill("matting-1")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            new = mesh.processes["matting-1"].pid
            if new != old and _status(target) == "SERVING":
                break
            time.sleep(0.2)
        assert new != old and _gone(old)
        assert _status(target) == "SERVING"
        assert any("matting-1" in event and "exited" in event for event in mesh.events)
        assert "start #2" in (mesh.logs_dir / "matting-1.log").read_text()


def test_a_service_that_exits_at_start_is_named_and_nothing_is_left_running(tmp_path):
    before = _descendants()
    mesh = Mesh(_options(tmp_path, env={"IDPHOTO_COMPOSE_MAX_MESSAGE_MB": "0"}))
    with pytest.raises(StartError) as caught:
        mesh.start()
    assert caught.value.service == "compose"
    assert "compose exited with code 2" in str(caught.value)
    assert "CONFIG_INVALID" in str(caught.value) and "compose.log" in str(caught.value)
    assert _descendants() - before == set()


def test_a_service_that_never_gets_ready_times_out_with_its_name(tmp_path, monkeypatch):
    from edges.serve import plan
    (tmp_path / "sleeper.py").write_text("import time\ntime.sleep(60)\n")   # runs, never answers health
    monkeypatch.setitem(plan.SERVICE_MODULES, "face", "sleeper")
    pythonpath = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    mesh = Mesh(_options(tmp_path, matting_replicas=1, start_timeout_s=1.5, env={"PYTHONPATH": pythonpath}))
    started = time.monotonic()
    with pytest.raises(StartError) as caught:
        mesh.start()
    assert time.monotonic() - started < 20
    assert caught.value.service == "face" and "did not report SERVING" in str(caught.value)
    assert all(not child.alive() for child in mesh.processes.values())


def test_idphoto_serve_prints_the_endpoints_and_stops_on_sigterm(tmp_path):
    command = [sys.executable, "-m", "edges.cli.main", "serve", "--no-gateway", "--grpc-port", "0",
               "--http-port", "0", "--data-dir", str(tmp_path / "var"), "--start-timeout", "60"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "COLUMNS": "200"})
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("serving;"):
                break
        text = "".join(lines)
        assert "serving;" in text, text + process.stderr.read() if process.poll() is not None else text
        for name in ("face", "matting-1", "compose"):
            row = next(line for line in lines if line.startswith(name + " "))
            grpc_target = re.search(r"127\.0\.0\.1:\d+", row).group(0)
            assert re.search(r"http://127\.0\.0\.1:\d+/metrics", row)
            assert _status(grpc_target) == "SERVING"
        assert "logs:" in text and "redis:" in text
        children = [p.pid for p in psutil.Process(process.pid).children(recursive=True)]
        assert len(children) >= 3
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=40) == 0
        assert "stopped" in process.stderr.read()
        assert all(_gone(pid) for pid in children)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

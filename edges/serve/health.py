"""Bounded readiness waits for the supervisor: gRPC health SERVING, the gateway's /readyz, a worker's announcement.

Every wait watches the process too: if it exits, the wait fails at once with ``StartError`` naming the process,
its exit code and the last lines of its log; if the time runs out, the same, with the last health answer.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from edges.serve.process import Child

POLL_S = 0.2


class StartError(RuntimeError):
    """A child process that did not come up; ``service`` names it."""

    def __init__(self, service: str, problem: str, tail: str = "", log_path: str = "") -> None:
        self.service, self.problem, self.tail, self.log_path = service, problem, tail, log_path
        text = f"{service} {problem}"
        if tail:
            where = f" ({log_path})" if log_path else ""
            text += f"; last log lines{where}:\n" + "\n".join("  " + line for line in tail.splitlines())
        super().__init__(text)


def _fail(child: Child, problem: str) -> StartError:
    return StartError(child.name, problem, child.tail(), str(child.spec.log_path))


def _check_alive(child: Child) -> None:
    if not child.alive():
        raise _fail(child, f"exited with code {child.returncode()} while starting")


def health_status(channel: grpc.Channel, timeout_s: float = 1.0, service: str = "") -> str:
    """The health status name ("SERVING", "NOT_SERVING" …) or the gRPC code name of the failed check."""
    try:
        reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service),
                                                          timeout=timeout_s)
    except grpc.RpcError as err:
        return err.code().name
    return health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)


def wait_serving(child: Child, target: str, timeout_s: float) -> None:
    """Until ``target`` answers SERVING on the standard health service."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    with grpc.insecure_channel(target) as channel:
        while time.monotonic() < deadline:
            _check_alive(child)
            last = health_status(channel, min(1.0, max(0.05, deadline - time.monotonic())))
            if last == "SERVING":
                return
            time.sleep(POLL_S)
    _check_alive(child)
    raise _fail(child, f"did not report SERVING on {target} within {timeout_s:.0f}s (last: {last})")


def http_status(url: str, timeout_s: float = 1.0) -> int:
    """The HTTP status of a GET (0 when nothing answered)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except (urllib.error.URLError, OSError):
        return 0


def wait_gateway(child: Child, target: str, ready_url: str, timeout_s: float) -> None:
    """Until the gateway's gRPC port accepts connections and its /readyz answers 200."""
    deadline = time.monotonic() + timeout_s
    last = "no answer"
    with grpc.insecure_channel(target) as channel:
        while time.monotonic() < deadline:
            _check_alive(child)
            try:
                grpc.channel_ready_future(channel).result(timeout=min(1.0, max(0.05, deadline - time.monotonic())))
            except grpc.FutureTimeoutError:
                last = f"gRPC {target} not accepting connections"
                continue
            status = http_status(ready_url)
            if status == 200:
                return
            last = f"{ready_url} answered {status or 'nothing'}"
            time.sleep(POLL_S)
    _check_alive(child)
    raise _fail(child, f"was not ready within {timeout_s:.0f}s (last: {last})")


def wait_announced(child: Child, timeout_s: float) -> dict:
    """Until the child prints its JSON start line; returns it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        _check_alive(child)
        announced = child.announcement()
        if announced is not None:
            return announced
        time.sleep(POLL_S)
    _check_alive(child)
    raise _fail(child, f"printed no start line within {timeout_s:.0f}s")

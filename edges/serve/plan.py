"""What ``idphoto serve`` starts: one ChildSpec per process, with its ports and environment chosen up front.

Internal services listen on 127.0.0.1 on free ports set explicitly (``IDPHOTO_<NAME>_PORT`` / ``_METRICS_PORT``),
so a restarted process comes back on the same address and the gateways' target lists stay valid. Gateways and
workers share one environment: the service targets (every matting replica listed, so the gateway's client
balances them round robin), Redis, and local-directory storage under the data dir whose download URLs point at
the first gateway's HTTP server and are signed with a key generated once into ``<data dir>/signing_key``.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from edges.serve.process import ChildSpec
from edges.serve.redis_server import free_port

SERVICE_MODULES = {"face": "services.face", "matting": "services.matting", "compose": "services.compose"}
GATEWAY_MODULE = "services.gateway"
WORKER_MODULE = "services.gateway.worker"
SIGNING_KEY_FILE = "signing_key"


@dataclass(frozen=True)
class MeshOptions:
    grpc_port: int = 50050                # the first gateway's public gRPC port (0 = a free one)
    http_port: int = 8080                 # the first gateway's HTTP port (0 = a free one)
    data_dir: Path = Path("var")          # objects/, logs/ and the signing key
    matting_replicas: int = 1
    gateway_replicas: int = 1
    gateway_workers: int = 2              # worker processes in total
    log_level: str = "INFO"
    host: str = "127.0.0.1"               # where the gateways listen (internal services: always 127.0.0.1)
    redis_url: str | None = None          # None: REDIS_URL if set, else a private redis-server
    with_gateway: bool = True             # False: only Redis and the internal services
    restart: bool = True                  # restart a child that dies while serving (with backoff)
    start_timeout_s: float = 180.0        # per process, until SERVING / ready
    stop_timeout_s: float = 15.0          # per tier, SIGTERM → SIGKILL
    env: Mapping[str, str] = field(default_factory=dict)   # extra environment for every child

    def validate(self) -> list[str]:
        problems = []
        for name in ("grpc_port", "http_port"):
            if not 0 <= getattr(self, name) <= 65535:
                problems.append(f"{name} must be within 0..65535")
        if self.grpc_port and self.grpc_port == self.http_port:
            problems.append("grpc_port and http_port must differ")
        for name in ("matting_replicas", "gateway_replicas", "gateway_workers"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        if self.start_timeout_s <= 0 or self.stop_timeout_s <= 0:
            problems.append("start_timeout_s and stop_timeout_s must be positive")
        return problems


class PortPicker:
    """Free ports, never the same one twice in one plan."""

    def __init__(self) -> None:
        self.used: set[int] = set()

    def pick(self, wanted: int = 0) -> int:
        port = wanted
        while port == 0 or (port in self.used and not wanted):
            port = free_port()
        self.used.add(port)
        return port


def signing_key(data_dir: Path) -> str:
    """The key kept in ``data_dir`` (created once, mode 0600), so every replica and every restart agrees."""
    path = Path(data_dir) / SIGNING_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text().strip()
        if len(key) < 32:
            raise RuntimeError(f"{path} holds no usable signing key: delete it to make a new one") from None
        return key
    key = secrets.token_hex(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _public_host(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def base_env(options: MeshOptions) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **{k: str(v) for k, v in options.env.items()}}


def plan_services(options: MeshOptions, ports: PortPicker, logs: Path) -> list[ChildSpec]:
    names = ["face", *[f"matting-{i}" for i in range(1, options.matting_replicas + 1)], "compose"]
    specs = []
    for name in names:
        kind = name.split("-")[0]
        section = kind.upper()
        port, metrics = ports.pick(), ports.pick()
        env = {**base_env(options), f"IDPHOTO_{section}_HOST": "127.0.0.1", f"IDPHOTO_{section}_PORT": str(port),
               f"IDPHOTO_{section}_METRICS_PORT": str(metrics), f"IDPHOTO_{section}_LOG_LEVEL": options.log_level}
        specs.append(ChildSpec(name, SERVICE_MODULES[kind], env, logs / f"{name}.log", "service",
                               {"grpc": port, "metrics": metrics}))
    return specs


def _targets(services: list[ChildSpec], kind: str) -> str:
    return ",".join(f"127.0.0.1:{s.ports['grpc']}" for s in services if s.name.split("-")[0] == kind)


def gateway_env(options: MeshOptions, services: list[ChildSpec], redis_url: str, public_http_port: int,
                key: str) -> dict[str, str]:
    """What every gateway replica and worker shares."""
    data_dir = Path(options.data_dir).resolve()
    return {
        **base_env(options),
        "IDPHOTO_GATEWAY_FACE_TARGETS": _targets(services, "face"),
        "IDPHOTO_GATEWAY_MATTING_TARGETS": _targets(services, "matting"),
        "IDPHOTO_GATEWAY_COMPOSE_TARGETS": _targets(services, "compose"),
        "IDPHOTO_GATEWAY_LOG_LEVEL": options.log_level,
        "IDPHOTO_WORKER_LOG_LEVEL": options.log_level,
        "IDPHOTO_JOBS_REDIS_URL": redis_url,
        "IDPHOTO_STORAGE_BACKEND": "local",
        "IDPHOTO_STORAGE_LOCAL_ROOT": str(data_dir / "objects"),
        "IDPHOTO_STORAGE_PUBLIC_BASE_URL": f"http://{_public_host(options.host)}:{public_http_port}",
        "IDPHOTO_STORAGE_SIGNING_KEY": key,
        **{k: str(v) for k, v in options.env.items()},
    }


def plan_gateways(options: MeshOptions, ports: PortPicker, logs: Path, shared: dict[str, str],
                  first_ports: tuple[int, int]) -> list[ChildSpec]:
    specs = []
    for i in range(1, options.gateway_replicas + 1):
        grpc_port, http_port = first_ports if i == 1 else (ports.pick(), ports.pick())
        metrics = ports.pick()
        env = {**shared, "IDPHOTO_GATEWAY_HOST": options.host, "IDPHOTO_GATEWAY_PORT": str(grpc_port),
               "IDPHOTO_GATEWAY_HTTP_HOST": options.host, "IDPHOTO_GATEWAY_HTTP_PORT": str(http_port),
               "IDPHOTO_GATEWAY_METRICS_PORT": str(metrics)}
        specs.append(ChildSpec(f"gateway-{i}", GATEWAY_MODULE, env, logs / f"gateway-{i}.log", "gateway",
                               {"grpc": grpc_port, "http": http_port, "metrics": metrics}))
    return specs


def plan_workers(options: MeshOptions, logs: Path, shared: dict[str, str]) -> list[ChildSpec]:
    token = f"{socket.gethostname()}-{secrets.token_hex(3)}"
    return [ChildSpec(f"worker-{i}", WORKER_MODULE, {**shared, "IDPHOTO_WORKER_CONSUMER": f"{token}-worker-{i}"},
                      logs / f"worker-{i}.log", "worker") for i in range(1, options.gateway_workers + 1)]


def consumer_for(spec: ChildSpec, incarnation: int) -> str:
    """A worker's consumer name for its ``incarnation``-th start (each start is a new Redis consumer)."""
    base = spec.env["IDPHOTO_WORKER_CONSUMER"].split(".r")[0]
    return base if incarnation == 0 else f"{base}.r{incarnation}"

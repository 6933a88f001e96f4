"""One gRPC server per service process: health, reflection, the interceptor, metrics and a graceful stop.

Life cycle: ``create_host`` (binds the port, health NOT_SERVING) → ``start()`` → ``warm_up()`` (the service's
model loading and warm-up, then SERVING) → ``serve_until_signal()`` → on SIGTERM/SIGINT ``stop(grace)``:
health NOT_SERVING first, then new calls are refused and in-flight calls get ``grace`` seconds to finish.
Create the host inside the running event loop (grpc.aio binds the server to it).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1.health import aio as health_aio
from grpc_reflection.v1alpha import reflection

from idphoto.config import load_config
from idphoto.errors import ConfigError
from idphoto.log import configure_logging, get_logger
from idphoto.rpc.interceptors import ServerInterceptor
from idphoto.rpc.metrics import MetricsServer

log = get_logger("idphoto.rpc.server")
T = TypeVar("T")
SERVING = health_pb2.HealthCheckResponse.SERVING
MAX_CONNECTION_AGE_MS = 120_000
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 0                 # 0 = pick a free port
    metrics_port: int = 0         # 0 = pick a free port; -1 = no metrics HTTP server
    max_message_mb: int = 64
    grace_s: float = 10.0         # how long in-flight calls may run on after a stop
    max_concurrent_rpcs: int = 0  # 0 = unlimited
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    def validate(self) -> list[str]:
        problems = []
        if not 0 <= self.port <= 65535:
            problems.append("port must be within 0..65535")
        if not -1 <= self.metrics_port <= 65535:
            problems.append("metrics_port must be within -1..65535")
        if not 1 <= self.max_message_mb <= 2047:
            problems.append("max_message_mb must be within 1..2047")
        if self.grace_s < 0:
            problems.append("grace_s must be ≥ 0")
        if self.max_concurrent_rpcs < 0:
            problems.append("max_concurrent_rpcs must be ≥ 0")
        return problems


def section(config, cls: type[T]) -> T:
    """The ``cls`` part of a combined service config (e.g. ServerConfig out of FaceServiceConfig)."""
    return cls(**{f.name: getattr(config, f.name) for f in dataclasses.fields(cls)})  # type: ignore[arg-type]


class ServiceHost:
    def __init__(self, server: grpc.aio.Server, port: int, config: ServerConfig, service: str,
                 health: health_aio.HealthServicer, names: list[str], stats: Counter) -> None:
        self.server, self.port, self.config, self.service = server, port, config, service
        self.health, self.stats = health, stats
        self.metrics_port: int | None = None
        self.servicer: object | None = None      # the service's servicer (set by its create_server)
        self._names = ["", *names]
        self._metrics: MetricsServer | None = None
        self._warmup: Callable[[], Awaitable[None]] | None = None
        self._stopped = False

    async def mark_serving(self) -> None:
        for name in self._names:
            await self.health.set(name, SERVING)

    async def mark_not_serving(self) -> None:
        for name in self._names:
            await self.health.set(name, NOT_SERVING)

    def set_warmup(self, warmup: Callable[[], Awaitable[None]]) -> None:
        """What ``warm_up()`` runs before marking the host SERVING (model loading and warm-up)."""
        self._warmup = warmup

    async def warm_up(self) -> None:
        if self._warmup is not None:
            await self._warmup()
        await self.mark_serving()
        log.info("serving", service=self.service, port=self.port, metrics_port=self.metrics_port)

    async def start(self) -> None:
        await self.mark_not_serving()                  # until warm_up() has run
        await self.server.start()
        if self.config.metrics_port >= 0 and self._metrics is None:
            self._metrics = MetricsServer(self.config.host, self.config.metrics_port)
            self.metrics_port = self._metrics.port
        log.info("started", service=self.service, host=self.config.host, port=self.port,
                 metrics_port=self.metrics_port)

    async def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING first, then refuse new calls and let in-flight ones finish within ``grace``."""
        if self._stopped:
            return
        self._stopped = True
        grace = self.config.grace_s if grace is None else grace
        await self.health.enter_graceful_shutdown()
        log.info("stopping", service=self.service, grace_s=grace)
        await self.server.stop(grace)
        if self._metrics is not None:
            await asyncio.to_thread(self._metrics.close)
            self._metrics = None
        log.info("stopped", service=self.service)

    async def serve_until_signal(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
        await self.stop()


def create_host(service_names: list[str], config: ServerConfig, service: str) -> ServiceHost:
    """A grpc.aio server bound to ``config.host:port`` with health, reflection and the interceptor.
    ``service_names`` are the full names of the services the caller will add (e.g. "idphoto.v1.FaceService")."""
    problems = config.validate()
    if problems:
        raise ConfigError("invalid server configuration: " + "; ".join(problems), problems=problems)
    limit = config.max_message_mb * 1024 * 1024
    stats: Counter = Counter()
    server = grpc.aio.server(
        interceptors=[ServerInterceptor(service, stats)],
        options=[("grpc.max_receive_message_length", limit), ("grpc.max_send_message_length", limit),
                 ("grpc.so_reuseport", 0),
                 # Clients reconnect (and re-resolve DNS) every few minutes, so replicas added by a scale-up
                 # receive traffic without anyone restarting the callers; in-flight calls get the grace period.
                 ("grpc.max_connection_age_ms", MAX_CONNECTION_AGE_MS),
                 ("grpc.max_connection_age_grace_ms", int(config.grace_s * 1000))],
        maximum_concurrent_rpcs=config.max_concurrent_rpcs or None)
    health = health_aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    names = [*service_names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME]
    reflection.enable_server_reflection(names, server)
    try:
        port = server.add_insecure_port(f"{_host_for_address(config.host)}:{config.port}")
    except RuntimeError:
        port = 0
    if port == 0:
        raise ConfigError(f"cannot bind {config.host}:{config.port}", host=config.host, port=config.port)
    return ServiceHost(server, port, config, service, health, list(service_names), stats)


def _host_for_address(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


async def serve(host: ServiceHost) -> None:
    """Start, print the bound ports (one JSON line on stdout), warm up, then serve until SIGTERM/SIGINT."""
    await host.start()
    print(json.dumps({"service": host.service, "host": host.config.host, "port": host.port,
                      "metrics_port": host.metrics_port}), flush=True)
    try:
        await host.warm_up()
    except BaseException:
        await host.stop(0)
        raise
    await host.serve_until_signal()


def run_main(config_cls: type, section: str, create_server: Callable) -> int:
    """``python -m services.<name>``: typed config from IDPHOTO_<SECTION>_*, JSON logs, serve until a signal."""
    try:
        config = load_config(config_cls, section)
    except ConfigError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)

    async def main() -> None:
        host, _ = create_server(config)
        await serve(host)

    asyncio.run(main())
    return 0

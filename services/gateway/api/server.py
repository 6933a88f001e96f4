"""The gateway process: the public IdPhotoService (grpc.aio) and the HTTP side (uvicorn) in one event loop.

Health turns SERVING once Redis answers; ``/readyz`` additionally requires every face, matting and compose
target to report SERVING on the standard health service. The HTTP side's REST API reaches the same servicer
through a loopback gRPC channel to this process's own port (services/gateway/rest).
"""

from __future__ import annotations

import asyncio
import json
import sys

import grpc
import prometheus_client
import uvicorn
from grpc_health.v1 import health_pb2, health_pb2_grpc

from idphoto.errors import ConfigError, ServiceUnavailableError
from idphoto.log import configure_logging, get_logger
from idphoto.rpc.server import ServerConfig, ServiceHost, create_host, section
from idphoto.v1 import idphoto_pb2, idphoto_pb2_grpc
from services.gateway.api.backlog import BacklogCollector
from services.gateway.api.http import create_http_app
from services.gateway.api.rest.descriptors import load_surface
from services.gateway.api.rest.transcoder import Transcoder
from services.gateway.api.servicer import IdPhotoServicer
from services.gateway.config import GatewayConfig
from services.gateway.wiring import ExtraConfigs, GatewayParts, build_parts, load_configs

SERVICE_NAME = idphoto_pb2.DESCRIPTOR.services_by_name["IdPhotoService"].full_name
log = get_logger("idphoto.gateway")


async def _target_serving(target: str, timeout_s: float = 2.0) -> bool:
    async with grpc.aio.insecure_channel(target) as channel:
        try:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(),
                                                                     timeout=timeout_s)
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def readiness_probe(parts: GatewayParts):
    targets = {f"{kind}:{t}": t for kind in ("face", "matting", "compose")
               for t in getattr(parts.config, f"{kind}_targets")}

    async def check() -> dict[str, bool]:
        results = await asyncio.gather(*(_target_serving(t) for t in targets.values()))
        checks = dict(zip(targets, results))
        try:
            checks["redis"] = bool(await asyncio.to_thread(parts.redis.ping))
        except Exception:  # noqa: BLE001 - any Redis failure means not ready
            checks["redis"] = False
        return checks

    return check


def create_server(config: GatewayConfig, parts: GatewayParts) -> tuple[ServiceHost, int]:
    """The gateway's gRPC host (not started); tests pass parts built on their own Redis and store."""
    host = create_host([SERVICE_NAME], section(config, ServerConfig), "gateway")
    servicer = IdPhotoServicer(parts.core, parts.tenants)
    idphoto_pb2_grpc.add_IdPhotoServiceServicer_to_server(servicer, host.server)
    host.servicer = servicer

    async def redis_ready() -> None:
        for _ in range(50):
            try:
                if await asyncio.to_thread(parts.redis.ping):
                    return
            except Exception:  # noqa: BLE001 - retried, then reported as unavailable
                await asyncio.sleep(0.2)
        raise ServiceUnavailableError("Redis does not answer")

    host.set_warmup(redis_ready)
    return host, host.port


def as_base64_json(file_bytes: int) -> int:
    """Room for a file of ``file_bytes`` as base64 in a JSON body."""
    return (file_bytes * 4 + 2) // 3 + 64 * 1024


def loopback_channel(config: GatewayConfig, port: int) -> grpc.aio.Channel:
    """A channel to this process's own gRPC port (the REST transcoder's way into the servicer)."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(config.host, config.host)
    limit = config.max_message_mb * 1024 * 1024
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return grpc.aio.insecure_channel(target, options=[("grpc.max_send_message_length", limit),
                                                      ("grpc.max_receive_message_length", limit)])


def create_http(config: GatewayConfig, parts: GatewayParts, port: int) -> tuple[object, grpc.aio.Channel]:
    """The HTTP app with REST over a loopback channel to ``port``; close the channel when done."""
    channel = loopback_channel(config, port)
    batch_file = parts.extra.batch.max_file_mb * 1_000_000
    batch_body = as_base64_json(batch_file)            # a CSV or zip sent as JSON {"file": "<base64>"}
    rest = Transcoder(load_surface(), channel, max_body_bytes=config.max_request_bytes(),
                      max_file_bytes=config.max_upload_mb * 1_000_000, timeout_s=config.rpc_timeout_s,
                      method_limits={"CreateBatch": (batch_body, batch_file)})
    app = create_http_app(parts.core.store, readiness_probe(parts), rest, cors_origins=config.cors_origins,
                          max_request_bytes=max(config.max_request_bytes(), batch_body))
    return app, channel


def register_backlog(parts: GatewayParts, registry=prometheus_client.REGISTRY) -> BacklogCollector:
    """The backlog gauges on /metrics (once per process)."""
    jobs = parts.jobs_config
    collector = BacklogCollector(parts.redis, jobs.key_prefix, jobs.work_stream, jobs.work_group)
    registry.register(collector)
    return collector


async def run_gateway(config: GatewayConfig, parts: GatewayParts) -> None:
    register_backlog(parts)
    host, port = create_server(config, parts)
    app, channel = create_http(config, parts, port)
    http = uvicorn.Server(uvicorn.Config(app, host=config.http_host, port=config.http_port, log_level="warning",
                                         lifespan="off", access_log=False, server_header=False,
                                         timeout_graceful_shutdown=max(config.grace_s, 1.0)))
    http_task = asyncio.create_task(http.serve())
    await host.start()
    while not http.started and not http_task.done():
        await asyncio.sleep(0.02)
    http_port = http.servers[0].sockets[0].getsockname()[1] if http.started else None
    print(json.dumps({"service": "gateway", "port": port, "http_port": http_port,
                      "metrics_port": host.metrics_port}), flush=True)
    await host.warm_up()
    try:
        await host.serve_until_signal()
    finally:
        http.should_exit = True
        await http_task
        await channel.close()


def main() -> int:
    try:
        config, jobs_config, storage_config = load_configs()
        extra = ExtraConfigs.load()
    except ConfigError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 2
    configure_logging(config.log_level)
    asyncio.run(run_gateway(config, build_parts(config, jobs_config, storage_config, extra)))
    return 0

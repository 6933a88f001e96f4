"""Helpers for tests that run real grpc.aio servers in-process (no pytest-asyncio: each test is asyncio.run)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import urllib.request
from typing import Self

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from idphoto.log import configure_logging
from idphoto.rpc.server import ServiceHost


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, timeout=50))


@contextlib.asynccontextmanager
async def serving(host: ServiceHost, warm: bool = True):
    """Start ``host`` (and warm it up), yield it, stop it without grace."""
    await host.start()
    try:
        if warm:
            await host.warm_up()
        yield host
    finally:
        await host.stop(0)


@contextlib.asynccontextmanager
async def insecure(target: str):
    channel = grpc.aio.insecure_channel(target)
    try:
        yield channel
    finally:
        await channel.close()


async def health_status(channel: grpc.aio.Channel, service: str = "") -> str:
    response = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=service))
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


async def reflected_services(channel: grpc.aio.Channel) -> set[str]:
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    async for response in stub.ServerReflectionInfo(iter([request])):
        return {s.name for s in response.list_services_response.service}
    return set()


async def scrape(port: int) -> str:
    def fetch() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            return response.read().decode()

    return await asyncio.to_thread(fetch)


def metric_value(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        head, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


class LogCapture:
    """The JSON log lines written while active (structlog reconfigured to a buffer, DEBUG level)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def __enter__(self) -> Self:
        configure_logging("DEBUG", stream=self.buffer)
        return self

    def __exit__(self, *exc) -> None:
        configure_logging()

    def lines(self) -> list[dict]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines() if line.startswith("{")]

    def events(self, event: str) -> list[dict]:
        return [line for line in self.lines() if line.get("event") == event]


async def raw_detect(target: str, request, **kwargs):
    """One FaceService.Detect call without retries: (response, trailing metadata, error)."""
    from idphoto.v1 import face_pb2_grpc

    async with insecure(target) as ch:
        call = face_pb2_grpc.FaceServiceStub(ch).Detect(request, **kwargs)
        try:
            return await call, await call.trailing_metadata(), None
        except grpc.RpcError as err:
            return None, err.trailing_metadata(), err

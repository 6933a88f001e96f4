"""Prometheus metrics of the mesh: one registry per process (prometheus_client's default), served over HTTP
by each ServiceHost on its metrics port."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any
from wsgiref.simple_server import WSGIServer

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, start_http_server

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

RPC_CALLS = Counter("idphoto_rpc_calls_total", "gRPC calls handled, by final status code",
                    ["service", "method", "code"], registry=REGISTRY)
RPC_LATENCY = Histogram("idphoto_rpc_latency_seconds", "gRPC call duration", ["service", "method"],
                        buckets=LATENCY_BUCKETS, registry=REGISTRY)
RPC_IN_FLIGHT = Gauge("idphoto_rpc_in_flight", "gRPC calls being handled", ["service", "method"],
                      registry=REGISTRY)
MODEL_INFERENCE = Histogram("idphoto_model_inference_seconds", "Model inference time inside a service",
                            ["service", "model"], buckets=LATENCY_BUCKETS, registry=REGISTRY)


def observe_inference(service: str, model: str, seconds: float) -> None:
    MODEL_INFERENCE.labels(service=service, model=model).observe(seconds)


async def timed_inference(service: str, model: str, fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Run a CPU-heavy core call in a worker thread (the event loop stays responsive) and observe its time;
    returns (result, seconds)."""
    start = time.perf_counter()
    result = await asyncio.to_thread(fn, *args)
    seconds = time.perf_counter() - start
    observe_inference(service, model, seconds)
    return result, seconds


class MetricsServer:
    """The /metrics HTTP endpoint (prometheus_client's WSGI server in a daemon thread)."""

    def __init__(self, host: str, port: int) -> None:
        self._server: WSGIServer
        self._server, self._thread = start_http_server(port, addr=host, registry=REGISTRY)
        self.port: int = self._server.server_port

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if isinstance(self._thread, threading.Thread):
            self._thread.join(timeout=5)

"""Where the processes of a running mesh can be reached, and the short table ``idphoto serve`` prints."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edges.serve.process import ChildSpec


@dataclass(frozen=True)
class Endpoint:
    name: str            # "face", "matting-2", "gateway-1", "worker-1" …
    kind: str            # "service", "gateway" or "worker"
    grpc: str = ""       # host:port
    http: str = ""       # base URL (gateways)
    metrics: str = ""    # Prometheus URL
    log: str = ""        # the process's log file


@dataclass(frozen=True)
class Endpoints:
    items: tuple[Endpoint, ...]
    redis_url: str
    private_redis: bool
    data_dir: Path
    logs_dir: Path

    def get(self, name: str) -> Endpoint:
        for item in self.items:
            if item.name == name:
                return item
        raise KeyError(name)

    def of_kind(self, kind: str) -> list[Endpoint]:
        return [item for item in self.items if item.kind == kind]

    @property
    def grpc_target(self) -> str:
        """The first gateway's public gRPC address ("" without gateways)."""
        gateways = self.of_kind("gateway")
        return gateways[0].grpc if gateways else ""

    @property
    def http_url(self) -> str:
        gateways = self.of_kind("gateway")
        return gateways[0].http if gateways else ""


def endpoint_of(spec: ChildSpec, host: str = "127.0.0.1") -> Endpoint:
    ports = spec.ports
    grpc = f"{host}:{ports['grpc']}" if "grpc" in ports else ""
    http = f"http://{host}:{ports['http']}" if "http" in ports else ""
    metrics = f"http://127.0.0.1:{ports['metrics']}/metrics" if "metrics" in ports else ""
    if spec.kind == "gateway":
        metrics = f"{http}/metrics"
    return Endpoint(spec.name, spec.kind, grpc, http, metrics, str(spec.log_path))


def _redact(url: str) -> str:
    """A Redis URL without its password."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"


def format_table(endpoints: Endpoints) -> str:
    """Plain text: one line per process (gRPC, HTTP, metrics), then Redis and the log directory."""
    rows = [("process", "gRPC", "HTTP", "metrics")]
    for item in endpoints.items:
        rows.append((item.name, item.grpc or "-", item.http or "-", item.metrics or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    redis_kind = "private redis-server, stopped with the mesh" if endpoints.private_redis else "REDIS_URL"
    lines.append(f"redis: {_redact(endpoints.redis_url)} ({redis_kind})")
    lines.append(f"logs:  {endpoints.logs_dir}/<process>.log (stdout and stderr of each process)")
    return "\n".join(lines)

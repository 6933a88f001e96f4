"""Gateway configuration: the public gRPC server (IDPHOTO_GATEWAY_*) and its workers (IDPHOTO_WORKER_*).

Redis and storage have their own sections: IDPHOTO_JOBS_* (services.gateway.jobs.config) and IDPHOTO_STORAGE_*
(services.gateway.storage.config).
"""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass

from idphoto.rpc.server import ServerConfig

_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-\[\]:]+")


def _targets_problems(name: str, targets: tuple[str, ...]) -> list[str]:
    if not targets:
        return [f"IDPHOTO_GATEWAY_{name.upper()} needs at least one host:port"]
    return [f"IDPHOTO_GATEWAY_{name.upper()}: {t!r} is not host:port" for t in targets
            if ":" not in t or not t.rsplit(":", 1)[1].isdigit()]


@dataclass(frozen=True)
class GatewayConfig(ServerConfig):
    port: int = 50050                     # the public gRPC port
    metrics_port: int = -1                # /metrics is served on the HTTP port
    http_host: str = "127.0.0.1"
    http_port: int = 8080                 # health, readiness, metrics, signed downloads (0 = a free port)
    face_targets: tuple[str, ...] = ("127.0.0.1:50051",)
    matting_targets: tuple[str, ...] = ("127.0.0.1:50052",)
    compose_targets: tuple[str, ...] = ("127.0.0.1:50053",)
    rpc_timeout_s: float = 60.0
    max_upload_mb: int = 25
    max_inline_mb: int = 4
    default_tenant: str = "default"       # the tenant of every call until API keys are switched on
    max_request_mb: int = 0               # REST request bodies; 0 = room for a max_upload_mb file as base64 JSON
    cors_origins: tuple[str, ...] = ()    # browser origins allowed to call the REST API ("*" = any); () = none

    def max_request_bytes(self) -> int:
        if self.max_request_mb:
            return self.max_request_mb * 1_000_000
        return (self.max_upload_mb * 1_000_000 * 4 + 2) // 3 + 64 * 1024      # base64 of an upload, and room

    def validate(self) -> list[str]:
        problems = ServerConfig.validate(self)
        for name in ("face_targets", "matting_targets", "compose_targets"):
            problems += _targets_problems(name, getattr(self, name))
        if not 0 <= self.http_port <= 65535:
            problems.append("IDPHOTO_GATEWAY_HTTP_PORT must be within 0..65535")
        if self.rpc_timeout_s <= 0:
            problems.append("IDPHOTO_GATEWAY_RPC_TIMEOUT_S must be positive")
        if not 1 <= self.max_inline_mb <= self.max_upload_mb:
            problems.append("IDPHOTO_GATEWAY_MAX_INLINE_MB must be within 1..MAX_UPLOAD_MB")
        if self.max_request_mb < 0:
            problems.append("IDPHOTO_GATEWAY_MAX_REQUEST_MB must be 0 (derived) or positive")
        problems += [f"IDPHOTO_GATEWAY_CORS_ORIGINS: {o!r} is not * or scheme://host[:port]"
                     for o in self.cors_origins if o != "*" and not _ORIGIN.fullmatch(o)]
        return problems


@dataclass(frozen=True)
class WorkerConfig:
    consumer: str = ""                    # unique per worker process; default host-pid
    threads: int = 1                      # jobs worked on at once in this process
    stage_a_deadline_s: float = 120.0
    stage_b_deadline_s: float = 60.0
    log_level: str = "INFO"
    background: bool = True               # also settle jobs, send webhooks, sweep batches, delete expired files
    janitor_interval_s: float = 30.0      # how often expired files are looked for

    def consumer_name(self) -> str:
        return self.consumer or f"{socket.gethostname()}-{os.getpid()}"

    def validate(self) -> list[str]:
        problems = []
        if self.threads < 1:
            problems.append("IDPHOTO_WORKER_THREADS must be at least 1")
        if self.stage_a_deadline_s <= 0 or self.stage_b_deadline_s <= 0:
            problems.append("IDPHOTO_WORKER_STAGE_A_DEADLINE_S and _STAGE_B_DEADLINE_S must be positive")
        if self.janitor_interval_s <= 0:
            problems.append("IDPHOTO_WORKER_JANITOR_INTERVAL_S must be positive")
        return problems

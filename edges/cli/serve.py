"""`idphoto serve`: the whole mesh on this machine (Redis, face, matting, compose, gateway, workers), supervised.

See edges.serve.supervisor for the start order, the readiness waits and the restart policy. Ctrl-C or SIGTERM
stops everything in reverse order (and the private Redis, if one was started).
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def _say(text: str) -> None:
    err.print(f"[dim]{time.strftime('%H:%M:%S')}[/dim] {text}", markup=True, highlight=False)


class _Signals:
    """SIGINT/SIGTERM: before the mesh is up, abort the start (KeyboardInterrupt); afterwards, ask to stop."""

    def __init__(self) -> None:
        self.up = False
        self.stop = threading.Event()
        self.received = ""

    def __call__(self, signum, frame) -> None:
        self.received = signal.Signals(signum).name
        if not self.up:
            raise KeyboardInterrupt
        self.stop.set()

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self)


def serve(
    grpc_port: int = typer.Option(50050, "--grpc-port", help="the (first) gateway's public gRPC port; 0 = free"),
    http_port: int = typer.Option(8080, "--http-port", help="the (first) gateway's HTTP port; 0 = free"),
    data_dir: Path = typer.Option(Path("var"), "--data-dir", help="stored objects, logs/ and the signing key"),
    matting_replicas: int = typer.Option(1, "--matting-replicas", min=1),
    gateway_replicas: int = typer.Option(1, "--gateway-replicas", min=1),
    gateway_workers: int = typer.Option(2, "--gateway-workers", min=1, help="worker processes (in total)"),
    log_level: str = typer.Option("INFO", "--log-level", help="DEBUG, INFO, WARNING or ERROR"),
    host: str = typer.Option("127.0.0.1", "--host", help="where the gateways listen"),
    no_gateway: bool = typer.Option(False, "--no-gateway", help="only Redis and the internal services"),
    no_restart: bool = typer.Option(False, "--no-restart", help="do not restart processes that die"),
    start_timeout: float = typer.Option(180.0, "--start-timeout", help="seconds each process may take to be ready"),
) -> None:
    """Run the whole mesh locally until Ctrl-C or SIGTERM."""
    from edges.serve.endpoints import format_table
    from edges.serve.supervisor import Mesh, MeshOptions, StartError

    if log_level.upper() not in LOG_LEVELS:
        err.print(f"error: CONFIG_INVALID: --log-level must be one of {', '.join(LOG_LEVELS)}")
        raise typer.Exit(2) from None
    options = MeshOptions(grpc_port=grpc_port, http_port=http_port, data_dir=data_dir,
                          matting_replicas=matting_replicas, gateway_replicas=gateway_replicas,
                          gateway_workers=gateway_workers, log_level=log_level.upper(), host=host,
                          with_gateway=not no_gateway, restart=not no_restart, start_timeout_s=start_timeout)
    try:
        mesh = Mesh(options, on_event=_say)
    except ValueError as exc:
        err.print(f"error: CONFIG_INVALID: {exc}")
        raise typer.Exit(2) from None
    signals = _Signals()
    signals.install()
    _say(f"starting the mesh; each process logs to {mesh.logs_dir}/<process>.log")
    try:
        endpoints = mesh.start()
    except StartError as exc:
        err.print(f"error: SERVICE_UNAVAILABLE: {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        _say(f"interrupted ({signals.received or 'SIGINT'}) while starting; stopped what had started")
        raise typer.Exit(130) from None
    signals.up = True
    out.print(format_table(endpoints), markup=False)
    out.print("serving; Ctrl-C or SIGTERM stops everything", markup=False)
    while not signals.stop.wait(0.5):
        pass
    tiers = (["workers", "gateways"] if options.with_gateway else []) + ["services"]
    tiers += ["redis"] if endpoints.private_redis else []
    _say(f"{signals.received}: stopping {', '.join(tiers)}")
    mesh.stop()
    _say("stopped")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

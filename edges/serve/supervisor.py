"""``idphoto serve`` as a class: Redis, the internal services, the gateway replicas and the workers, supervised.

``Mesh(options).start()`` brings the processes up in dependency order and returns their ``Endpoints``:

1. Redis: ``options.redis_url``, else ``REDIS_URL``, else a private redis-server (stopped with the mesh);
2. face, ``matting_replicas`` × matting and compose, launched together, each waited on until it reports SERVING
   on the standard gRPC health service;
3. the gateway replicas, each waited on until its gRPC port accepts connections and ``/readyz`` answers 200;
4. the workers, each waited on until it prints its start line.

Every wait is bounded (``start_timeout_s``); a process that exits or times out stops whatever was started and
raises ``StartError`` naming it, with the last lines of its log. ``stop()`` stops the tiers in reverse order
(workers, gateways, services: SIGTERM to a tier, ``stop_timeout_s``, then SIGKILL), then the private Redis.

Restart policy (``options.restart``, on by default): a monitor thread checks the children twice a second. A
child that exits while it should be running (a crash, an OOM kill, ``kill()`` from a test) is logged and started
again after a backoff of 1 s, doubling with each consecutive crash up to 30 s; the count resets once a process
has stayed up for 60 s. This applies to every process kind: service replicas come back on the same port (the
gateways' targets stay valid), workers come back under a new Redis consumer name (what the dead one held is
reclaimed after the jobs' visibility timeout). ``stop_process(name)`` stops one on purpose (no restart) and
``start_process(name)`` brings it back.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from edges.serve import health
from edges.serve.endpoints import Endpoints, endpoint_of
from edges.serve.health import StartError
from edges.serve.plan import (
    MeshOptions,
    PortPicker,
    consumer_for,
    gateway_env,
    plan_gateways,
    plan_services,
    plan_workers,
    signing_key,
)
from edges.serve.process import Child, stop_all
from edges.serve.redis_server import redis_url_or_private
from idphoto.log import get_logger

__all__ = ["Mesh", "MeshOptions", "StartError"]
log = get_logger("edges.serve")
BACKOFF_FIRST_S, BACKOFF_MAX_S, STABLE_AFTER_S, MONITOR_EVERY_S = 1.0, 30.0, 60.0, 0.5


class Mesh:
    def __init__(self, options: MeshOptions = MeshOptions(), on_event: Callable[[str], None] | None = None) -> None:
        problems = options.validate()
        if problems:
            raise ValueError("invalid mesh options: " + "; ".join(problems))
        self.options = options
        self.data_dir = Path(options.data_dir).resolve()
        self.logs_dir = self.data_dir / "logs"
        self.processes: dict[str, Child] = {}            # in start order
        self.endpoints: Endpoints | None = None
        self.redis_url = ""
        self.events: list[str] = []                      # what the monitor saw (died, restarted)
        self._on_event = on_event
        self._stack = contextlib.ExitStack()
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._monitor: threading.Thread | None = None
        self._crashes: dict[str, int] = {}
        self._private_redis = False
        self._restart_at: dict[str, float] = {}

    # --- life cycle ------------------------------------------------------------------------------------------
    def start(self) -> Endpoints:
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> Endpoints:
        opts = self.options
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.redis_url = self._start_redis()
        ports = PortPicker()
        first = (ports.pick(opts.grpc_port), ports.pick(opts.http_port)) if opts.with_gateway else (0, 0)
        services = plan_services(opts, ports, self.logs_dir)
        self._launch_and_wait(services, lambda c: health.wait_serving(
            c, f"127.0.0.1:{c.spec.ports['grpc']}", opts.start_timeout_s))
        specs = list(services)
        if opts.with_gateway:
            shared = gateway_env(opts, services, self.redis_url, first[1], signing_key(self.data_dir))
            gateways = plan_gateways(opts, ports, self.logs_dir, shared, first)
            self._launch_and_wait(gateways, self._wait_gateway)
            workers = plan_workers(opts, self.logs_dir, shared)
            self._launch_and_wait(workers, lambda c: health.wait_announced(c, opts.start_timeout_s))
            specs += gateways + workers
        host = "127.0.0.1" if opts.host in ("0.0.0.0", "::", "") else opts.host
        self.endpoints = Endpoints(tuple(endpoint_of(s, host if s.kind == "gateway" else "127.0.0.1")
                                         for s in specs), self.redis_url, self._private_redis, self.data_dir,
                                   self.logs_dir)
        if opts.restart:
            self._monitor = threading.Thread(target=self._watch, name="mesh-monitor", daemon=True)
            self._monitor.start()
        return self.endpoints

    def _start_redis(self) -> str:
        self._private_redis = False
        if self.options.redis_url:
            return self.options.redis_url
        self._private_redis = not os.environ.get("REDIS_URL")
        # the private redis-server shares our process group: keep a terminal's Ctrl-C away from it (a blocked
        # signal stays blocked across exec) so that it outlives the workers and is stopped last, by us
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return self._stack.enter_context(redis_url_or_private())
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _launch_and_wait(self, specs, wait: Callable[[Child], object]) -> None:
        children = [Child(spec) for spec in specs]
        for child in children:
            with self._lock:
                self.processes[child.name] = child
                self._launch(child)
        for child in children:
            wait(child)

    def _wait_gateway(self, child: Child) -> None:
        ports = child.spec.ports
        health.wait_gateway(child, f"127.0.0.1:{ports['grpc']}", f"http://127.0.0.1:{ports['http']}/readyz",
                            self.options.start_timeout_s)

    def _launch(self, child: Child) -> None:
        if child.spec.kind == "worker":
            child.spec.env["IDPHOTO_WORKER_CONSUMER"] = consumer_for(child.spec, child.incarnation)
        child.start()
        self._event(f"started {child.name} (pid {child.pid})", quiet=True)

    def stop(self) -> None:
        """Workers, then gateways, then services (each tier SIGTERM → bounded wait → SIGKILL); then Redis."""
        self._stopping.set()
        if self._monitor is not None:
            self._monitor.join(timeout=5)
        with self._lock:
            children = list(self.processes.values())
            for kind in ("worker", "gateway", "service"):
                stop_all([c for c in children if c.spec.kind == kind], self.options.stop_timeout_s)
        self._stack.close()

    def __enter__(self) -> Mesh:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- one process -----------------------------------------------------------------------------------------
    def kill(self, name: str, sig: int = signal.SIGKILL) -> int:
        """Send ``sig`` (default SIGKILL) to one process, as a crash would: the monitor restarts it. Returns
        the pid."""
        child = self.processes[name]
        pid = child.pid
        child.signal(sig)
        return pid

    def stop_process(self, name: str, timeout_s: float | None = None) -> None:
        """Stop one process on purpose (SIGTERM, bounded wait, SIGKILL); it is not restarted."""
        with self._lock:
            self._restart_at.pop(name, None)
            stop_all([self.processes[name]], self.options.stop_timeout_s if timeout_s is None else timeout_s)

    def start_process(self, name: str, wait: bool = True) -> None:
        """Start a stopped process again (and wait until it is ready)."""
        child = self.processes[name]
        with self._lock:
            if child.alive():
                return
            self._launch(child)
        if wait:
            self._wait_ready(child)

    def restart(self, *names: str) -> None:
        """Stop the named processes together, then start them again in the order given, waiting for each."""
        with self._lock:
            for name in names:
                self._restart_at.pop(name, None)
            stop_all([self.processes[n] for n in names], self.options.stop_timeout_s)
        for name in names:
            self.start_process(name, wait=False)
        for name in names:
            self._wait_ready(self.processes[name])

    def _wait_ready(self, child: Child) -> None:
        timeout = self.options.start_timeout_s
        if child.spec.kind == "service":
            health.wait_serving(child, f"127.0.0.1:{child.spec.ports['grpc']}", timeout)
        elif child.spec.kind == "gateway":
            self._wait_gateway(child)
        else:
            health.wait_announced(child, timeout)

    def names(self, kind: str) -> list[str]:
        return [name for name, child in self.processes.items() if child.spec.kind == kind]

    def pids(self) -> dict[str, int | None]:
        return {name: child.pid for name, child in self.processes.items()}

    # --- monitor ---------------------------------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._stopping.wait(MONITOR_EVERY_S):
            with self._lock:
                if self._stopping.is_set():
                    return
                for child in self.processes.values():
                    self._check(child)

    def _check(self, child: Child) -> None:
        if not child.wanted or child.alive():
            return
        now = time.monotonic()
        due = self._restart_at.get(child.name)
        if due is None:
            stable = now - child.started_at >= STABLE_AFTER_S
            crashes = 1 if stable else self._crashes.get(child.name, 0) + 1
            self._crashes[child.name] = crashes
            delay = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (crashes - 1))
            self._restart_at[child.name] = now + delay
            self._event(f"{child.name} (pid {child.pid}) exited with code {child.returncode()}; restarting in "
                        f"{delay:.0f}s (log: {child.spec.log_path})")
        elif now >= due:
            del self._restart_at[child.name]
            self._launch(child)
            self._event(f"{child.name} restarted (pid {child.pid})")

    def _event(self, text: str, quiet: bool = False) -> None:
        """To ``on_event`` when given (the CLI prints it), else to the log; ``quiet`` ones are not kept."""
        if not quiet:
            self.events.append(text)
        if self._on_event is not None:
            self._on_event(text)
        elif not quiet:
            log.warning("mesh.event", message=text)

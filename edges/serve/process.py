"""One supervised child process of ``idphoto serve``: how to start it, its log file, and a bounded stop.

stdout and stderr of the child both go (appended, across restarts) to ``<logs>/<name>.log``. Every child runs in
its own session, so a Ctrl-C in the terminal reaches only the supervisor, which then stops the children in order.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ChildSpec:
    name: str                               # e.g. "face", "matting-2", "gateway-1", "worker-1"
    module: str                             # run as ``python -m <module>``
    env: dict[str, str]                     # the child's whole environment
    log_path: Path
    kind: str = "service"                   # "service", "gateway" or "worker"
    ports: dict[str, int] = field(default_factory=dict)


class Child:
    """A ``python -m module`` process with its log file; restartable (each start is a new incarnation)."""

    def __init__(self, spec: ChildSpec, python: str = sys.executable) -> None:
        self.spec = spec
        self.python = python
        self.process: subprocess.Popen | None = None
        self.incarnation = 0
        self.started_at = 0.0
        self.wanted = False                  # False once the supervisor stopped it on purpose
        self._log_offset = 0                 # where this incarnation's output starts in the log file

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        self.spec.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.spec.log_path, "ab") as log:
            self._log_offset = log.tell()
            header = f"--- {self.name} start #{self.incarnation + 1} at {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
            log.write(header.encode())
            log.flush()
            self.process = subprocess.Popen([self.python, "-m", self.spec.module], env=self.spec.env,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        self.incarnation += 1
        self.started_at = time.monotonic()
        self.wanted = True

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def signal(self, sig: int) -> None:
        if self.alive():
            try:
                os.kill(self.process.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout_s: float) -> bool:
        """True when the process has exited within ``timeout_s``."""
        if self.process is None:
            return True
        try:
            self.process.wait(timeout=max(0.0, timeout_s))
            return True
        except subprocess.TimeoutExpired:
            return False

    def kill(self) -> None:
        """SIGKILL and reap."""
        self.signal(signal.SIGKILL)
        self.wait(10)

    def output(self) -> str:
        """What this incarnation has written so far."""
        try:
            with open(self.spec.log_path, "rb") as log:
                log.seek(self._log_offset)
                return log.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def tail(self, lines: int = 12) -> str:
        return "\n".join(deque(self.output().splitlines(), maxlen=lines))

    def announcement(self) -> dict | None:
        """The one JSON line the child prints on stdout when bound (a JSON object with "service" and no "event")."""
        for line in self.output().splitlines():
            if not line.startswith("{"):
                continue
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if isinstance(data, dict) and "service" in data and "event" not in data:
                return data
        return None


def stop_all(children: list[Child], timeout_s: float) -> None:
    """SIGTERM every child at once, wait up to ``timeout_s`` in total, then SIGKILL whatever is left."""
    for child in children:
        child.wanted = False
        child.signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    for child in children:
        if not child.wait(deadline - time.monotonic()):
            child.kill()

"""The shared loop: a Redis outage or a bug in one step is logged and waited out; the loop ends only on stop."""

from __future__ import annotations

import threading

import redis

from services.gateway.worker import loops


def test_the_loop_outlives_failing_steps_and_stops_when_told(monkeypatch):
    monkeypatch.setattr(loops, "FIRST_BACKOFF_S", 0.01)
    stop = threading.Event()
    seen = []

    def step():
        seen.append(len(seen))
        if len(seen) == 1:
            raise redis.ConnectionError("down")
        if len(seen) == 2:
            raise KeyError("a bug")
        if len(seen) == 5:
            stop.set()

    thread = threading.Thread(target=loops.run_until, args=(stop, step, "test", 0.001))
    thread.start()
    thread.join(5)
    assert not thread.is_alive() and seen == [0, 1, 2, 3, 4]

"""Gateway parts assembled on the test Redis and a local store, an in-process worker and the background steps,
driven by hand (``drive``) so batch, webhook and quota tests need no processes. Fixtures: ``parts``, ``harness``
(registered in this package's conftest)."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial

from services.gateway.batches.config import BatchConfig
from services.gateway.config import GatewayConfig
from services.gateway.jobs.config import JobsConfig
from services.gateway.outbound.fetch import FetchConfig, fetch_image
from services.gateway.webhooks.signing import WebhookConfig
from services.gateway.wiring import ExtraConfigs, assemble
from services.gateway.worker.loop import Worker
from services.gateway.worker.settler import Settler, settled_queue

LOOPBACK = FetchConfig(allow_networks=("127.0.0.1/32",), connect_timeout_s=2, read_timeout_s=5)


class Harness:
    def __init__(self, parts, clients, fetch_config: FetchConfig) -> None:
        self.parts = parts
        core = parts.core
        self.worker = Worker(core.jobs, core.queue, core.store, clients, "w1",
                             fetch=partial(fetch_image, config=fetch_config), uploads=core.uploads)
        self.settler = Settler(core.jobs, settled_queue(parts.redis, parts.jobs_config.key_prefix), core.store,
                               "s1", runner=parts.runner, notifier=core.notifier, limiter=core.limiter,
                               retention=parts.retention)

    def step(self) -> bool:
        """One round of everything a worker process does; True if anything happened."""
        worked = self.worker.run_once(None)
        settled = self.settler.run_once()
        self.parts.runner.sweep()
        sent = self.parts.webhooks.deliver_due()
        return bool(worked or settled or sent)

    def drive(self, done, timeout_s: float = 90.0) -> None:
        """Step until ``done()``; idle rounds wait a little (webhook backoffs are real time)."""
        deadline = time.monotonic() + timeout_s
        while not done():
            assert time.monotonic() < deadline, "did not finish"
            if not self.step():
                time.sleep(0.02)


def make_parts(redis_client, local_store, key_prefix, fetch: FetchConfig = LOOPBACK, **batch):
    jobs_config = JobsConfig(key_prefix=key_prefix, work_stream=f"{key_prefix}:work")
    extra = ExtraConfigs(fetch=fetch, webhooks=WebhookConfig(base_backoff_s=0.05, max_backoff_s=0.2, jitter=0.0),
                         batch=replace(BatchConfig(), sweep_interval_s=0.1, **batch))
    return assemble(GatewayConfig(port=0), jobs_config, redis_client, local_store, extra)

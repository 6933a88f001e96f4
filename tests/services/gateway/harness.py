"""Gateway parts assembled on the test Redis and a local store, an in-process worker and the background steps,
driven by hand (``drive``) so batch, webhook and quota tests need no processes. Fixtures: ``parts``, ``harness``
(registered in this package's conftest)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from services.gateway.batches.config import BatchConfig
from services.gateway.config import GatewayConfig
from services.gateway.fetch import FetchConfig, fetch_image
from services.gateway.jobs.config import JobsConfig
from services.gateway.settler import Settler, settled_queue
from services.gateway.webhooks import WebhookConfig
from services.gateway.wiring import ExtraConfigs, assemble
from services.gateway.worker import Worker

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

    def drive(self, done, rounds: int = 200) -> None:
        for _ in range(rounds):
            if done():
                return
            self.step()
        assert done(), "did not finish"


def make_parts(redis_client, local_store, key_prefix, fetch: FetchConfig = LOOPBACK, **batch):
    jobs_config = JobsConfig(key_prefix=key_prefix, work_stream=f"{key_prefix}:work")
    extra = ExtraConfigs(fetch=fetch, webhooks=WebhookConfig(base_backoff_s=0.05, max_backoff_s=0.2, jitter=0.0),
                         batch=replace(BatchConfig(), sweep_interval_s=0.1, **batch))
    return assemble(GatewayConfig(port=0), jobs_config, redis_client, local_store, extra)

"""Backlog gauges read from Redis when /metrics is scraped (the gateway's HTTP port): how much background work
waits. The workers have no port of their own, and these numbers live in Redis anyway, the same for every replica.

- ``idphoto_work_pending``       work items delivered to a worker and not acknowledged yet
- ``idphoto_work_stream_length`` work items in the stream (waiting or in progress)
- ``idphoto_settle_backlog``     settled jobs not yet acted on (quota, batches, job webhooks)
- ``idphoto_webhooks_waiting``   webhook deliveries waiting for an attempt (due now or backing off)
- ``idphoto_batches_running``    batches not ended
- ``idphoto_retention_due``      object prefixes past their deletion time (the janitor is behind if this grows)
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from idphoto.log import get_logger

log = get_logger("idphoto.backlog")
GAUGES = {
    "idphoto_work_pending": "work items delivered and not acknowledged",
    "idphoto_work_stream_length": "work items in the stream",
    "idphoto_settle_backlog": "settled jobs not yet acted on",
    "idphoto_webhooks_waiting": "webhook deliveries waiting for an attempt",
    "idphoto_batches_running": "batches not ended",
    "idphoto_retention_due": "object prefixes past their deletion time",
}


class BacklogCollector(Collector):
    def __init__(self, redis_client: redis.Redis, prefix: str, work_stream: str, work_group: str) -> None:
        self.redis, self.prefix = redis_client, prefix
        self.work_stream, self.work_group = work_stream, work_group

    def _pending(self, stream: str, group: str) -> int:
        try:
            summary = self.redis.xpending(stream, group)
        except redis.ResponseError:                  # no stream or group yet
            return 0
        return int(summary.get("pending", 0) if isinstance(summary, dict) else summary[0])

    def _values(self) -> dict[str, float]:
        p = self.prefix
        return {
            "idphoto_work_pending": self._pending(self.work_stream, self.work_group),
            "idphoto_work_stream_length": self.redis.xlen(self.work_stream),
            "idphoto_settle_backlog": self.redis.xlen(f"{p}:settled"),
            "idphoto_webhooks_waiting": self.redis.zcard(f"{p}:webhooks:due"),
            "idphoto_batches_running": self.redis.scard(f"{p}:batches:active"),
            "idphoto_retention_due": self.redis.zcount(f"{p}:retention", "-inf", repr(time.time())),
        }

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            values = self._values()
        except redis.RedisError as exc:               # a scrape never fails because Redis is down
            log.warning("backlog gauges unavailable", error=str(exc))
            return
        for name, value in values.items():
            yield GaugeMetricFamily(name, GAUGES[name], value=float(value))

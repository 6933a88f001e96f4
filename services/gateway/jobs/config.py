"""Job store and work queue settings (env ``IDPHOTO_JOBS_<FIELD>``, via ``load_config(JobsConfig, "JOBS")``)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from services.gateway.jobs.queue import WorkQueue
from services.gateway.jobs.store import JobStore


@dataclass(frozen=True)
class JobsConfig:
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "idphoto"
    retention_s: int = 86400
    events_maxlen: int = 1000
    work_stream: str = "idphoto:work"
    work_group: str = "workers"
    visibility_timeout_s: float = 300.0     # an unacknowledged item is handed to another worker after this
    max_attempts: int = 3                   # deliveries of one work item before the job is failed
    socket_timeout_s: float = 60.0          # must exceed the longest blocking read (events, claim)

    def validate(self) -> list[str]:
        problems = []
        if not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            problems.append(f"redis_url must be a redis://, rediss:// or unix:// URL (got {self.redis_url!r})")
        for name in ("retention_s", "events_maxlen", "max_attempts"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1 (got {getattr(self, name)})")
        if self.visibility_timeout_s <= 0 or self.socket_timeout_s <= 0:
            problems.append("visibility_timeout_s and socket_timeout_s must be positive")
        if not self.key_prefix or not self.work_stream or not self.work_group:
            problems.append("key_prefix, work_stream and work_group must not be empty")
        return problems


def connect(config: JobsConfig) -> redis.Redis:
    return redis.Redis.from_url(config.redis_url, decode_responses=True, socket_timeout=config.socket_timeout_s,
                                health_check_interval=30)


def create_job_store(config: JobsConfig, client: redis.Redis | None = None) -> JobStore:
    return JobStore(client or connect(config), prefix=config.key_prefix, retention_s=config.retention_s,
                    events_maxlen=config.events_maxlen)


def create_work_queue(config: JobsConfig, client: redis.Redis | None = None) -> WorkQueue:
    return WorkQueue(client or connect(config), stream=config.work_stream, group=config.work_group,
                     visibility_timeout_s=config.visibility_timeout_s, max_attempts=config.max_attempts)

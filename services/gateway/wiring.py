"""Build the gateway's parts from typed config (shared by the API process and the worker processes).

Sections: IDPHOTO_GATEWAY_*, IDPHOTO_JOBS_*, IDPHOTO_STORAGE_* (``load_configs``) and, loaded by ``build_parts``,
IDPHOTO_AUTH (+ IDPHOTO_AUTH_*), IDPHOTO_FETCH_*, IDPHOTO_WEBHOOKS_*, IDPHOTO_BATCH_*. Each is validated whole at
start (a ConfigError lists every problem of the section).
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from idphoto.config import load_config
from services.gateway.batches.config import BatchConfig
from services.gateway.batches.runner import BatchRunner, RunnerParts
from services.gateway.batches.service import BatchService
from services.gateway.batches.store import BatchStore
from services.gateway.config import GatewayConfig
from services.gateway.core.service import GatewayCore, GatewayLimits
from services.gateway.jobs.config import JobsConfig, connect, create_job_store, create_work_queue
from services.gateway.outbound.fetch import FetchConfig
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.config import StorageConfig, create_store
from services.gateway.storage.retention import RetentionIndex
from services.gateway.storage.uploads import UploadStore
from services.gateway.tenancy.api_keys import AuthConfig, load_auth_config
from services.gateway.tenancy.caller import TenantResolver
from services.gateway.tenancy.ratelimit import RateLimiter
from services.gateway.webhooks.events import Notifier, secret_lookup
from services.gateway.webhooks.queue import WebhookQueue
from services.gateway.webhooks.signing import WebhookConfig


@dataclass(frozen=True)
class ExtraConfigs:
    auth: AuthConfig = AuthConfig()
    fetch: FetchConfig = FetchConfig()
    webhooks: WebhookConfig = WebhookConfig()
    batch: BatchConfig = BatchConfig()

    @classmethod
    def load(cls, env=None, worker: bool = False) -> ExtraConfigs:
        """Every extra section; a worker needs no API-key pepper (it never authenticates anyone)."""
        return cls(load_auth_config(env, need_pepper=not worker), load_config(FetchConfig, "FETCH", env),
                   load_config(WebhookConfig, "WEBHOOKS", env), load_config(BatchConfig, "BATCH", env))


@dataclass
class GatewayParts:
    config: GatewayConfig
    jobs_config: JobsConfig
    storage_config: StorageConfig
    redis: redis.Redis
    core: GatewayCore
    tenants: TenantResolver | None = None
    extra: ExtraConfigs = ExtraConfigs()
    runner: BatchRunner | None = None
    webhooks: WebhookQueue | None = None
    retention: RetentionIndex | None = None


def load_configs(env=None) -> tuple[GatewayConfig, JobsConfig, StorageConfig]:
    """The three core sections, each validated (a ConfigError lists every problem of the section)."""
    return (load_config(GatewayConfig, "GATEWAY", env), load_config(JobsConfig, "JOBS", env),
            load_config(StorageConfig, "STORAGE", env))


def tenant_resolver(config: GatewayConfig, jobs_config: JobsConfig, client: redis.Redis,
                    auth: AuthConfig | None = None, env=None) -> TenantResolver:
    auth = auth or load_auth_config(env)
    return TenantResolver(auth, client, jobs_config.key_prefix, config.default_tenant)


def assemble(config: GatewayConfig, jobs_config: JobsConfig, client: redis.Redis, store: ObjectStore,
             extra: ExtraConfigs = ExtraConfigs(), storage_config: StorageConfig | None = None) -> GatewayParts:
    """Every part on one Redis client and object store (tests pass their own)."""
    prefix = jobs_config.key_prefix
    jobs, queue = create_job_store(jobs_config, client), create_work_queue(jobs_config, client)
    retention = RetentionIndex(client, prefix)
    uploads = UploadStore(client, store, jobs_config.retention_s, prefix, retention=retention)
    webhooks = WebhookQueue(client, extra.fetch, extra.webhooks, prefix=prefix,
                            secret_for=secret_lookup(client, prefix))
    notifier = Notifier(webhooks, prefix)
    batches = BatchStore(client, prefix, jobs_config.retention_s, jobs_config.events_maxlen)
    runner = BatchRunner(RunnerParts(batches, jobs, queue, store, extra.batch, retention, notifier))
    networks = extra.fetch.networks()
    service = BatchService(batches, runner, uploads, store, extra.batch, retention, networks,
                           max_entry_bytes=config.max_upload_mb * 1_000_000)
    serves_keys = not extra.auth.required or bool(extra.auth.pepper)      # a worker without the pepper: no
    tenants = TenantResolver(extra.auth, client, prefix, config.default_tenant) if serves_keys else None
    limiter = RateLimiter.from_config(client, extra.auth, prefix) if extra.auth.required else None
    limits = GatewayLimits(max_upload_bytes=config.max_upload_mb * 1_000_000,
                           max_inline_bytes=config.max_inline_mb * 1_000_000)
    core = GatewayCore(jobs, queue, uploads, store, limits, limiter=limiter, retention=retention,
                       notifier=notifier, batches=service, allow_networks=networks)
    return GatewayParts(config, jobs_config, storage_config or StorageConfig(), client, core, tenants, extra,
                        runner, webhooks, retention)


def build_parts(config: GatewayConfig, jobs_config: JobsConfig, storage_config: StorageConfig,
                extra: ExtraConfigs | None = None) -> GatewayParts:
    extra = extra or ExtraConfigs.load()
    client = connect(jobs_config)
    store = create_store(storage_config, jobs_config.retention_s)
    return assemble(config, jobs_config, client, store, extra, storage_config)

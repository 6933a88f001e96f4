"""Build the gateway's parts from typed config (shared by the API process and the worker processes)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from idphoto.config import load_config
from services.gateway.auth import AuthConfig
from services.gateway.config import GatewayConfig
from services.gateway.core import GatewayCore, GatewayLimits
from services.gateway.jobs.config import JobsConfig, connect, create_job_store, create_work_queue
from services.gateway.storage.config import StorageConfig, create_store
from services.gateway.tenancy import TenantResolver
from services.gateway.uploads import UploadStore


@dataclass
class GatewayParts:
    config: GatewayConfig
    jobs_config: JobsConfig
    storage_config: StorageConfig
    redis: redis.Redis
    core: GatewayCore
    tenants: TenantResolver | None = None


def load_configs(env=None) -> tuple[GatewayConfig, JobsConfig, StorageConfig]:
    """All three sections, each validated (a ConfigError lists every problem of the section)."""
    return (load_config(GatewayConfig, "GATEWAY", env), load_config(JobsConfig, "JOBS", env),
            load_config(StorageConfig, "STORAGE", env))


def tenant_resolver(config: GatewayConfig, jobs_config: JobsConfig, client: redis.Redis,
                    auth: AuthConfig | None = None, env=None) -> TenantResolver:
    auth = auth or load_config(AuthConfig, "AUTH", env)
    return TenantResolver(auth, client, jobs_config.key_prefix, config.default_tenant)


def build_parts(config: GatewayConfig, jobs_config: JobsConfig, storage_config: StorageConfig) -> GatewayParts:
    client = connect(jobs_config)
    store = create_store(storage_config)
    uploads = UploadStore(client, store, jobs_config.retention_s, jobs_config.key_prefix)
    limits = GatewayLimits(max_upload_bytes=config.max_upload_mb * 1_000_000,
                           max_inline_bytes=config.max_inline_mb * 1_000_000)
    core = GatewayCore(create_job_store(jobs_config, client), create_work_queue(jobs_config, client), uploads,
                       store, limits)
    return GatewayParts(config, jobs_config, storage_config, client, core,
                        tenant_resolver(config, jobs_config, client))

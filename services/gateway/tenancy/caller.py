"""Who is calling: with IDPHOTO_AUTH_MODE=off every call belongs to the default tenant; with "required" the
`authorization: Bearer <key>` metadata (gRPC) or header (REST, forwarded as metadata) must name a live key, and
each key is rate limited. Jobs, uploads and outputs are then scoped to the key's tenant."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from services.gateway.tenancy.api_keys import AuthConfig, KeyStore, bearer_key
from services.gateway.tenancy.ratelimit import RateLimiter


@dataclass(frozen=True)
class Caller:
    tenant: str
    key_id: str = ""            # the API key used (its rate limit and job quota); '' with auth off


class TenantResolver:
    def __init__(self, config: AuthConfig, redis_client: redis.Redis | None, prefix: str,
                 default_tenant: str = "default") -> None:
        self.config = config
        self.default_tenant = default_tenant
        self.keys = KeyStore(redis_client, config.pepper, prefix) if config.required else None
        self.limiter = RateLimiter.from_config(redis_client, config, prefix) if config.required else None

    def resolve(self, metadata: dict[str, str]) -> str:
        """The caller's tenant; UNAUTHENTICATED without a live key, RATE_LIMITED past the key's budget."""
        return self.caller(metadata).tenant

    def caller(self, metadata: dict[str, str]) -> Caller:
        """The caller's tenant and key id ('' with auth off); errors as ``resolve``."""
        if self.keys is None:
            return Caller(self.default_tenant)
        tenant = self.keys.authenticate(bearer_key(metadata.get("authorization")))
        self.limiter.check(tenant.key_id)
        return Caller(tenant.name, tenant.key_id)


def call_metadata(context) -> dict[str, str]:
    return {key.lower(): value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}

"""Redis key layout of API keys, tenants and rate limits (next to the job store's keys, same prefix).

- ``{prefix}:auth:key:{digest}``        hash: one API key (tenant, key id, display prefix, created, revoked),
  found by ``digest`` = hex HMAC-SHA256(pepper, api key); the key itself is never stored
- ``{prefix}:auth:keys``                hash: key id -> digest (the listing / revocation index)
- ``{prefix}:auth:tenant:{tenant}``     hash: the tenant (webhook secret, created)
- ``{prefix}:rl:{key_id}:bucket``       hash: token bucket (tokens, ts), expires when it would be full again
- ``{prefix}:rl:{key_id}:jobs``         sorted set: job ids holding a concurrency slot, scored by slot expiry
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuthKeys:
    prefix: str = "idphoto"

    def api_key(self, digest: str) -> str:
        return f"{self.prefix}:auth:key:{digest}"

    def key_index(self) -> str:
        return f"{self.prefix}:auth:keys"

    def tenant(self, tenant: str) -> str:
        return f"{self.prefix}:auth:tenant:{tenant}"

    def bucket(self, key_id: str) -> str:
        return f"{self.prefix}:rl:{key_id}:bucket"

    def job_slots(self, key_id: str) -> str:
        return f"{self.prefix}:rl:{key_id}:jobs"

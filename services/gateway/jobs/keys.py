"""Redis key layout of the job store (single Redis node or a Sentinel-managed primary; not Redis Cluster).

- ``{prefix}:job:{id}``            hash: the job record (JSON for options/outputs/measurements/report)
- ``{prefix}:job:{id}:events``     stream: the job's events, capped with ``XADD MAXLEN ~``
- ``{prefix}:tenant:{tenant}:jobs`` sorted set: job ids scored by create time (the listing index)
- ``{prefix}:idem:{sha256}``       string: job id for one (tenant, idempotency key)
- ``{prefix}:settled``             stream: ids of jobs that just settled (consumer group "settlers")

Every key carries the retention TTL, refreshed whenever the key is written.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class JobKeys:
    prefix: str = "idphoto"

    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def events(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:events"

    def tenant_jobs(self, tenant: str) -> str:
        return f"{self.prefix}:tenant:{tenant}:jobs"

    def settled(self) -> str:
        return f"{self.prefix}:settled"

    def idempotency(self, tenant: str, key: str) -> str:
        digest = hashlib.sha256(f"{len(tenant)}:{tenant}:{key}".encode()).hexdigest()
        return f"{self.prefix}:idem:{digest}"

"""The gateway's whole Redis key layout, in one place (single Redis node or a Sentinel-managed primary; not Redis
Cluster). Every key starts with the configured prefix ``p`` (``IDPHOTO_JOBS_PREFIX``, default ``idphoto``).

Jobs (``JobStore``; each key carries the retention TTL, refreshed whenever it is written):
- ``p:job:{id}``                      hash: the job record (JSON for options/outputs/measurements/report)
- ``p:job:{id}:events``               stream: the job's events, capped with ``XADD MAXLEN ~``
- ``p:tenant:{tenant}:jobs``          sorted set: job ids by create time (the listing index)
- ``p:idem:{sha256}``                 string: job id for one (tenant, idempotency key)
- ``p:settled``                       stream: ids of jobs that just settled (consumer group "settlers")
  (the work queue's stream and group are their own settings: ``IDPHOTO_JOBS_WORK_STREAM``/``_WORK_GROUP``)

Batches (``BatchStore``, ``BatchRunner``):
- ``p:batch:{id}``                    hash: the batch record (counters, state, outputs …)
- ``p:batch:{id}:items``              hash: item index -> item record (JSON)
- ``p:batch:{id}:events``             stream: the batch's events (WatchBatch), capped
- ``p:tenant:{tenant}:batches``       sorted set: batch ids by create time (ListBatches)
- ``p:batches:active``                set: running batches (the runner's sweep)
- ``p:bidem:{sha256}``                string: batch id for one (tenant, idempotency key)
- ``p:tenant:{tenant}:batch_slots``   sorted set: the tenant's running batch children (a slot pool)

Uploads and stored objects (``UploadStore``, ``RetentionIndex``, ``Janitor``):
- ``p:upload:{id}``                   hash: one upload's record
- ``p:retention``                     sorted set: object prefix scored by when it may be deleted
- ``p:retention:keys``                hash: object prefix -> the Redis key that governs its life
- ``p:retention:lock``                string: the janitor's lock

API keys, tenants and rate limits (``KeyStore``, ``RateLimiter``):
- ``p:auth:key:{digest}``             hash: one API key (tenant, key id, display prefix, created, revoked), found by
  ``digest`` = hex HMAC-SHA256(pepper, api key); the key itself is never stored
- ``p:auth:keys``                     hash: key id -> digest (the listing / revocation index)
- ``p:auth:tenant:{tenant}``          hash: the tenant (webhook secret, created)
- ``p:rl:{key_id}:bucket``            hash: token bucket (tokens, ts), expires when it would be full again
- ``p:rl:{key_id}:jobs``              sorted set: job ids holding a concurrency slot, scored by slot expiry

Webhooks (``WebhookQueue``):
- ``p:webhooks:due``                  sorted set: delivery ids by when they are due
- ``p:webhooks:d:{id}``               hash: one delivery (url, body, state, attempts …)
- ``p:webhooks:d:{id}:attempts``      list: every attempt of that delivery
- ``p:webhooks:s:{subject}``          list: the deliveries of one job or batch
- ``p:webhooks:once:{dedupe}``        string: the delivery already queued for one event
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


def _digest(tenant: str, key: str) -> str:
    """An idempotency key's digest, scoped to the tenant (the length prefix keeps ``a:b`` + ``c`` apart from
    ``a`` + ``b:c``)."""
    return hashlib.sha256(f"{len(tenant)}:{tenant}:{key}".encode()).hexdigest()


@dataclass(frozen=True)
class RedisKeys:
    prefix: str = "idphoto"

    # --- jobs ---------------------------------------------------------------------------------------------
    def job(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}"

    def job_events(self, job_id: str) -> str:
        return f"{self.prefix}:job:{job_id}:events"

    def tenant_jobs(self, tenant: str) -> str:
        return f"{self.prefix}:tenant:{tenant}:jobs"

    def job_idempotency(self, tenant: str, key: str) -> str:
        return f"{self.prefix}:idem:{_digest(tenant, key)}"

    def settled(self) -> str:
        return f"{self.prefix}:settled"

    # --- batches ------------------------------------------------------------------------------------------
    def batch(self, batch_id: str) -> str:
        return f"{self.prefix}:batch:{batch_id}"

    def batch_items(self, batch_id: str) -> str:
        return f"{self.prefix}:batch:{batch_id}:items"

    def batch_events(self, batch_id: str) -> str:
        return f"{self.prefix}:batch:{batch_id}:events"

    def tenant_batches(self, tenant: str) -> str:
        return f"{self.prefix}:tenant:{tenant}:batches"

    def active_batches(self) -> str:
        return f"{self.prefix}:batches:active"

    def batch_idempotency(self, tenant: str, key: str) -> str:
        return f"{self.prefix}:bidem:{_digest(tenant, key)}"

    def batch_slots(self, tenant: str) -> str:
        return f"{self.prefix}:tenant:{tenant}:batch_slots"

    # --- uploads and stored objects -----------------------------------------------------------------------
    def upload(self, upload_id: str) -> str:
        return f"{self.prefix}:upload:{upload_id}"

    def retention_schedule(self) -> str:
        return f"{self.prefix}:retention"

    def retention_owners(self) -> str:
        return f"{self.prefix}:retention:keys"

    def retention_lock(self) -> str:
        return f"{self.prefix}:retention:lock"

    # --- API keys, tenants, rate limits -------------------------------------------------------------------
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

    # --- webhooks -----------------------------------------------------------------------------------------
    def webhooks_due(self) -> str:
        return f"{self.prefix}:webhooks:due"

    def delivery(self, delivery_id: str) -> str:
        return f"{self.prefix}:webhooks:d:{delivery_id}"

    def delivery_attempts(self, delivery_id: str) -> str:
        return f"{self.prefix}:webhooks:d:{delivery_id}:attempts"

    def subject_deliveries(self, subject: str) -> str:
        return f"{self.prefix}:webhooks:s:{subject}"

    def delivery_once(self, dedupe: str) -> str:
        return f"{self.prefix}:webhooks:once:{dedupe}"

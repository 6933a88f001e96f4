"""Batch listings: newest first, paged by cursor, filtered by state, only the tenant's own, expired ones dropped."""

from __future__ import annotations

from services.gateway.batches.model import BatchRecord, BatchState
from services.gateway.batches.store import BatchStore


def _batch(store: BatchStore, tenant: str) -> str:
    batch_id, _ = store.reserve(tenant)
    store.create(BatchRecord(id=batch_id, tenant=tenant, state=BatchState.RUNNING, source="items",
                             spec_id="us-passport", total=0, max_concurrency=1), [])
    return batch_id


def test_listing_pages_newest_first_per_tenant_and_by_state(redis_client, key_prefix):
    store = BatchStore(redis_client, key_prefix, retention_s=3600)
    mine = [_batch(store, "acme") for _ in range(3)]
    _batch(store, "other")
    store.update(store.get(mine[0]), "state", state=BatchState.FAILED)
    seen, token = [], ""
    while True:
        page, token = store.list("acme", 1, token)
        seen += [b.id for b in page]
        if not token:
            break
    assert seen == mine[::-1]
    assert [b.id for b in store.list("acme", 10, "", BatchState.FAILED)[0]] == [mine[0]]
    redis_client.delete(store.key(mine[1]))                         # expired
    assert [b.id for b in store.list("acme", 10)[0]] == [mine[2], mine[0]]
    assert redis_client.zcard(f"{key_prefix}:tenant:acme:batches") == 2

"""The gateway's batch operations (CreateBatch, GetBatch, CancelBatch, ListBatches, ListBatchItems, WatchBatch),
transport-free: the servicer converts messages and calls these."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from idphoto.domain.options import check_options, options_to_dict
from idphoto.domain.specs import parse_spec
from idphoto.domain.types import RenderOptions
from idphoto.errors import (
    BatchInvalidError,
    BatchNotFoundError,
    FileTooLargeError,
    ServiceUnavailableError,
)
from services.gateway.batches.config import BatchConfig
from services.gateway.batches.intake import IntakeLimits, ItemInput, check_items, detect_kind, parse_csv, parse_zip
from services.gateway.batches.model import BatchRecord, BatchState, ItemRecord
from services.gateway.batches.runner import BatchRunner
from services.gateway.batches.store import BatchStore
from services.gateway.jobs.paging import offset_page
from services.gateway.outbound.urls import check_webhook_url
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.retention import RetentionIndex
from services.gateway.storage.uploads import UploadStore, check_tenant


@dataclass(frozen=True)
class BatchInput:
    """What CreateBatch was given: a file (CSV or zip) or JSON items, plus the batch-wide settings."""

    file: bytes = b""
    filename: str = ""
    content_type: str = ""
    spec_id: str = ""
    defaults: RenderOptions = field(default_factory=RenderOptions)
    items: tuple[ItemInput, ...] = ()
    webhook_url: str = ""
    idempotency_key: str = ""
    max_concurrency: int = 0


class BatchService:
    def __init__(self, batches: BatchStore, runner: BatchRunner, uploads: UploadStore, store: ObjectStore,
                 config: BatchConfig, retention: RetentionIndex | None = None, allow_networks: tuple = (),
                 watch_poll_ms: int = 1000, max_entry_bytes: int = 25_000_000) -> None:
        self.batches, self.runner, self.uploads, self.store = batches, runner, uploads, store
        self.config, self.retention, self.allow_networks = config, retention, allow_networks
        self.watch_poll_ms = watch_poll_ms
        self.max_entry_bytes = max_entry_bytes          # one zip entry or inline image: the upload cap

    def create(self, tenant: str, given: BatchInput) -> BatchRecord:
        check_tenant(tenant)
        if bool(given.file) == bool(given.items):
            raise BatchInvalidError("give exactly one of a file (CSV or zip) or items", errors=[], error_count=0)
        if len(given.file) > self.config.max_file_mb * 1_000_000:
            raise FileTooLargeError(f"batch files are limited to {self.config.max_file_mb} MB")
        if given.webhook_url:
            check_webhook_url(given.webhook_url, self.allow_networks)
        source, inputs = self._parse(given)
        upload_keys = {i.index: self.uploads.get(i.upload_id, tenant).key for i in inputs if i.upload_id}
        batch_id, fresh = self.batches.reserve(tenant, given.idempotency_key)   # after every check that can fail
        if not fresh:
            return self._existing(tenant, batch_id)
        try:
            self._store(tenant, batch_id, source, inputs, upload_keys, given)
        except BaseException:
            self.batches.release(tenant, given.idempotency_key, batch_id)      # a retry may use the key again
            raise
        self.runner.advance(batch_id)                     # the first items start now, not at the next sweep
        return self.batches.get(batch_id)

    def _existing(self, tenant: str, batch_id: str) -> BatchRecord:
        """The batch a repeated request's idempotency key names; while the first request is still storing its
        inputs, SERVICE_UNAVAILABLE (clients retry that) rather than a NOT_FOUND they would give up on."""
        try:
            return self.batches.get(batch_id, tenant, attempts=20)
        except BatchNotFoundError:
            raise ServiceUnavailableError("this batch is still being created: retry shortly",
                                          batch_id=batch_id) from None

    def _store(self, tenant: str, batch_id: str, source: str, inputs: list[ItemInput], upload_keys: dict[int, str],
               given: BatchInput) -> None:
        if self.retention is not None:                    # first: inline images stored below are covered too
            self.retention.track(f"t/{tenant}/batches/{batch_id}/", self.batches.key(batch_id),
                                 time.time() + self.batches.retention_s)
        items = [self._item(tenant, batch_id, item, upload_keys.get(item.index, "")) for item in inputs]
        record = BatchRecord(id=batch_id, tenant=tenant, state=BatchState.RUNNING, source=source,
                             spec_id=given.spec_id, total=len(items),
                             max_concurrency=self.config.concurrency(given.max_concurrency),
                             webhook_url=given.webhook_url, idempotency_key=given.idempotency_key)
        self.batches.create(record, items)

    def _parse(self, given: BatchInput) -> tuple[str, list[ItemInput]]:
        limits = IntakeLimits(max_items=self.config.max_items, max_entry_bytes=self.max_entry_bytes)
        defaults = check_options(given.defaults)
        if given.spec_id:
            parse_spec(given.spec_id)
        if given.items:
            items = [i if i.spec_id else replace(i, spec_id=given.spec_id) for i in given.items]
            return "items", check_items(items, limits)
        kind = detect_kind(given.file, given.filename, given.content_type)
        parse = parse_zip if kind == "zip" else parse_csv
        return kind, parse(given.file, default_spec_id=given.spec_id, defaults=defaults, limits=limits)

    def _item(self, tenant: str, batch_id: str, item: ItemInput, upload_key: str) -> ItemRecord:
        """The item's record; an inline image or zip entry is stored under the batch (``upload_key`` otherwise)."""
        if item.image:
            upload_key = f"t/{tenant}/batches/{batch_id}/inputs/{item.index:05d}"
            self.store.put(upload_key, item.image, "application/octet-stream")
        return ItemRecord(index=item.index, row=item.row, spec_id=item.spec_id, options=options_to_dict(item.options),
                          external_id=item.external_id or item.filename, image_url=item.image_url,
                          upload_key=upload_key)

    # --- reads and cancel --------------------------------------------------------------------------------
    def get(self, tenant: str, batch_id: str) -> BatchRecord:
        return self.batches.get(batch_id, tenant)

    def cancel(self, tenant: str, batch_id: str) -> BatchRecord:
        batch = self.batches.request_cancel(batch_id, tenant)
        if not batch.finished:
            self.runner.advance(batch_id)
        return self.batches.get(batch_id, tenant)

    def list(self, tenant: str, page_size: int = 50, page_token: str = "",
             state: BatchState | None = None) -> tuple[list[BatchRecord], str]:
        return self.batches.list(tenant, max(1, min(page_size or 50, 200)), page_token, state)

    def items(self, tenant: str, batch_id: str, page_size: int = 100, page_token: str = "") -> tuple[list, str]:
        batch = self.batches.get(batch_id, tenant)
        page = offset_page(page_token, page_size, batch.total, default_size=100, max_size=1000)
        return self.batches.items(batch_id, page.start, page.size), page.next_token

    def watch(self, tenant: str, batch_id: str, after: str = "") -> Iterator[tuple[str, dict, BatchRecord]]:
        """(event id, event fields, batch snapshot) after ``after``, following until the batch has ended."""
        batch = self.batches.get(batch_id, tenant)
        cursor = after or None
        while True:
            events = self.batches.events(batch_id, cursor, block_ms=self.watch_poll_ms)
            for event_id, fields in events:
                cursor = event_id
                batch = self.batches.get(batch_id, tenant)
                yield event_id, fields, batch
            if not events:
                batch = self.batches.get(batch_id, tenant)
            if batch.finished and not self.batches.events(batch_id, cursor):
                return


"""The client's batch methods (mixed into IdPhotoClient): create from a CSV/zip file or items, read, wait, cancel,
list, and the items' outcomes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import grpc

from idphoto.client.convert import OptionsLike, render_options
from idphoto.client.retry import retryable
from idphoto.errors import DeadlineExceededError
from idphoto.rpc.errors import error_from_rpc
from idphoto.v1 import batch_pb2

BATCH_DONE = frozenset({batch_pb2.BATCH_STATE_SUCCEEDED, batch_pb2.BATCH_STATE_PARTIAL, batch_pb2.BATCH_STATE_FAILED,
                        batch_pb2.BATCH_STATE_CANCELLED})


def batch_item(item: dict[str, Any]) -> batch_pb2.BatchItem:
    """A BatchItem from ``{"image_url" | "upload_id" | "image": …, "spec_id", "external_id", "options"}``."""
    message = batch_pb2.BatchItem(spec_id=item.get("spec_id", ""), external_id=item.get("external_id", ""))
    for source in ("image_url", "upload_id", "image"):
        if item.get(source) is not None:
            setattr(message, source, item[source])
    if item.get("options") is not None:
        message.options.CopyFrom(render_options(item["options"]))
    return message


class BatchMethods:
    """Needs ``self.stub``, ``self._unary`` and ``self._metadata`` (IdPhotoClient)."""

    def create_batch(self, file: bytes | str | Path | None = None, items: Iterable[dict] | None = None, *,
                     spec_id: str = "", options: OptionsLike = None, webhook_url: str = "",
                     idempotency_key: str | None = None, max_concurrency: int = 0) -> batch_pb2.Batch:
        """Start a batch from a CSV or zip (path or bytes) or from item dicts (see ``batch_item``)."""
        if (file is None) == (items is None):
            raise ValueError("give exactly one of file or items")
        key = uuid.uuid4().hex if idempotency_key is None else idempotency_key
        request = batch_pb2.CreateBatchRequest(spec_id=spec_id, options=render_options(options),
                                               webhook_url=webhook_url, idempotency_key=key,
                                               max_concurrency=max_concurrency)
        if file is not None:
            request.file = file if isinstance(file, bytes) else Path(file).read_bytes()
            request.filename = "" if isinstance(file, bytes) else Path(file).name
        else:
            request.items.extend(batch_item(item) for item in items)
        return self._unary(self.stub.CreateBatch, request, retry=bool(key))

    def get_batch(self, batch_id: str) -> batch_pb2.Batch:
        return self._unary(self.stub.GetBatch, batch_pb2.GetBatchRequest(batch_id=batch_id))

    def cancel_batch(self, batch_id: str) -> batch_pb2.Batch:
        return self._unary(self.stub.CancelBatch, batch_pb2.CancelBatchRequest(batch_id=batch_id))

    def list_batches(self, page_size: int = 0, page_token: str = "", state: int = 0) -> batch_pb2.ListBatchesResponse:
        return self._unary(self.stub.ListBatches, batch_pb2.ListBatchesRequest(
            page_size=page_size, page_token=page_token, state=state))

    def batch_items(self, batch_id: str, page_size: int = 500) -> Iterator[batch_pb2.BatchItemStatus]:
        """Every item of the batch, in input order (all pages)."""
        token = ""
        while True:
            page = self._unary(self.stub.ListBatchItems, batch_pb2.ListBatchItemsRequest(
                batch_id=batch_id, page_size=page_size, page_token=token))
            yield from page.items
            token = page.next_page_token
            if not token:
                return

    def wait_batch(self, batch_id: str, timeout_s: float = 600.0) -> batch_pb2.Batch:
        """The batch once it has ended (following WatchBatch); DeadlineExceededError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        batch = self.get_batch(batch_id)
        while batch.state not in BATCH_DONE:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineExceededError(f"batch {batch_id} has not ended after {timeout_s:.0f}s",
                                            batch_id=batch_id)
            call = self.stub.WatchBatch(batch_pb2.WatchBatchRequest(batch_id=batch_id), timeout=left,
                                        metadata=self._metadata())
            try:
                for event in call:
                    if event.batch.state in BATCH_DONE:
                        return event.batch
            except grpc.RpcError as err:
                if not retryable(err):
                    raise error_from_rpc(err) from err
                time.sleep(0.2)                 # a broken stream: read the snapshot and go round again
            finally:
                call.cancel()
            batch = self.get_batch(batch_id)
        return batch

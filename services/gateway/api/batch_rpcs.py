"""The batch RPCs of IdPhotoService (mixed into the servicer): convert, then delegate to BatchService."""

from __future__ import annotations

from idphoto.domain.types import RenderOptions
from idphoto.rpc.convert import options_from_proto
from idphoto.v1 import batch_pb2
from services.gateway.api.convert import BATCH_STATE_FROM_PROTO, batch_to_proto, item_to_proto, timestamp
from services.gateway.api.offload import off_loop
from services.gateway.batches.intake import ItemInput
from services.gateway.batches.service import BatchInput


def item_input(index: int, item: batch_pb2.BatchItem, defaults: RenderOptions) -> ItemInput:
    source = item.WhichOneof("source")
    options = options_from_proto(item.options) if item.HasField("options") else defaults
    return ItemInput(index=index, row=index + 1, spec_id=item.spec_id, options=options,
                     external_id=item.external_id, image_url=item.image_url if source == "image_url" else "",
                     upload_id=item.upload_id if source == "upload_id" else "",
                     image=item.image if source == "image" else b"")


def batch_input(request: batch_pb2.CreateBatchRequest) -> BatchInput:
    defaults = options_from_proto(request.options)
    return BatchInput(file=request.file, filename=request.filename, content_type=request.content_type,
                      spec_id=request.spec_id, defaults=defaults,
                      items=tuple(item_input(i, item, defaults) for i, item in enumerate(request.items)),
                      webhook_url=request.webhook_url, idempotency_key=request.idempotency_key,
                      max_concurrency=request.max_concurrency)


class BatchRpcs:
    """Needs ``self.core`` (GatewayCore with ``batches``) and ``self._tenant_of(context)``."""

    def _batch(self, batch) -> batch_pb2.Batch:
        outputs = self.core.with_urls(batch.outputs)
        deliveries = self.core.deliveries(batch.id) if batch.webhook_url else []
        return batch_to_proto(batch, outputs, deliveries, self.core.batches.batches.retention_s)

    async def CreateBatch(self, request: batch_pb2.CreateBatchRequest, context) -> batch_pb2.Batch:
        tenant = await self._tenant_of(context)
        return self._batch(await off_loop(self.core.batches.create, tenant, batch_input(request)))

    async def GetBatch(self, request: batch_pb2.GetBatchRequest, context) -> batch_pb2.Batch:
        tenant = await self._tenant_of(context)
        return self._batch(await off_loop(self.core.batches.get, tenant, request.batch_id))

    async def CancelBatch(self, request: batch_pb2.CancelBatchRequest, context) -> batch_pb2.Batch:
        tenant = await self._tenant_of(context)
        return self._batch(await off_loop(self.core.batches.cancel, tenant, request.batch_id))

    async def ListBatches(self, request: batch_pb2.ListBatchesRequest, context) -> batch_pb2.ListBatchesResponse:
        tenant = await self._tenant_of(context)
        batches, token = await off_loop(self.core.batches.list, tenant, request.page_size, request.page_token,
                                        BATCH_STATE_FROM_PROTO.get(request.state))
        return batch_pb2.ListBatchesResponse(batches=[self._batch(b) for b in batches], next_page_token=token)

    async def ListBatchItems(self, request: batch_pb2.ListBatchItemsRequest,
                             context) -> batch_pb2.ListBatchItemsResponse:
        tenant = await self._tenant_of(context)
        items, token = await off_loop(self.core.batches.items, tenant, request.batch_id, request.page_size,
                                      request.page_token)
        return batch_pb2.ListBatchItemsResponse(items=[item_to_proto(i) for i in items], next_page_token=token)

    async def WatchBatch(self, request: batch_pb2.WatchBatchRequest, context):
        tenant = await self._tenant_of(context)
        events = self.core.batches.watch(tenant, request.batch_id, request.after_event_id)
        while not context.done():
            item = await off_loop(next, events, None)
            if item is None:
                return
            event_id, fields, batch = item
            message = self._batch(batch)
            yield batch_pb2.BatchEvent(event_id=event_id, kind=fields.get("kind", ""), state=message.state,
                                       batch=message, event_time=timestamp(float(fields.get("time") or 0)))

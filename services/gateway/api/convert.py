"""Gateway records ↔ public API messages (idphoto.v1.Job, JobEvent, Upload, Batch, BatchItemStatus)."""

from __future__ import annotations

from google.protobuf import timestamp_pb2

from idphoto.domain.options import options_from_dict
from idphoto.domain.types import HeadGeometry
from idphoto.rpc.convert import dict_to_struct, head_to_proto, options_to_proto
from idphoto.v1 import batch_pb2, common_pb2, idphoto_pb2
from services.gateway.batches.model import BatchRecord, BatchState, ItemRecord
from services.gateway.jobs.model import JobEvent, JobRecord, JobState
from services.gateway.storage.uploads import UploadRecord

STATE_TO_PROTO = {state: idphoto_pb2.JobState.Value(f"JOB_STATE_{state.value}") for state in JobState}
STATE_FROM_PROTO = {v: k for k, v in STATE_TO_PROTO.items()}


def timestamp(seconds: float | None) -> timestamp_pb2.Timestamp | None:
    if not seconds:
        return None
    ts = timestamp_pb2.Timestamp()
    ts.FromNanoseconds(int(seconds * 1e9))
    return ts


def upload_to_proto(upload: UploadRecord) -> idphoto_pb2.Upload:
    return idphoto_pb2.Upload(upload_id=upload.id, sha256=upload.sha256, size_bytes=upload.size_bytes,
                              content_type=upload.content_type, filename=upload.filename,
                              create_time=timestamp(upload.create_time), expire_time=timestamp(upload.expire_time))


def output_to_proto(output: dict) -> common_pb2.Output:
    return common_pb2.Output(kind=output["kind"], url=output.get("url", ""), key=output["key"],
                              content_type=output.get("content_type", ""), width_px=output.get("width_px", 0),
                              height_px=output.get("height_px", 0), size_bytes=output.get("size_bytes", 0),
                              url_expire_time=timestamp(output.get("url_expire_time")))


def delivery_to_proto(delivery: dict) -> batch_pb2.WebhookDelivery:
    attempts = [batch_pb2.WebhookAttempt(attempt=a["attempt"], status_code=a["status_code"],
                                         time=timestamp(a["time"]), error=a.get("error", ""))
                for a in delivery.get("attempts", [])]
    return batch_pb2.WebhookDelivery(delivery_id=delivery["delivery_id"], type=delivery.get("type", ""),
                                     url=delivery["url"], state=delivery["state"], attempts=attempts)


def job_to_proto(job: JobRecord, outputs: list[dict], deliveries: list[dict] = (),
                 retention_s: float = 0.0) -> idphoto_pb2.Job:
    """``outputs``: the job's outputs with fresh URLs (GatewayCore.output_urls)."""
    message = idphoto_pb2.Job(
        id=job.id, state=STATE_TO_PROTO[job.state], progress=job.progress, stage=job.stage, spec_id=job.spec_id,
        options=options_to_proto(options_from_dict(job.options)), outputs=[output_to_proto(o) for o in outputs],
        attempts=job.attempts, create_time=timestamp(job.create_time), update_time=timestamp(job.update_time),
        finish_time=timestamp(job.finish_time), upload_id=job.options.get("upload_id", ""),
        batch_id=job.batch_id, webhook_url=job.webhook_url, image_url=job.image_url,
        webhook_deliveries=[delivery_to_proto(d) for d in deliveries],
        expire_time=timestamp(job.update_time + retention_s if retention_s else None))
    if job.report:
        message.report.CopyFrom(dict_to_struct(job.report))
    if job.measurements:
        message.measurements.CopyFrom(head_to_proto(HeadGeometry.from_dict(job.measurements)))
    if job.error_code:
        message.error.CopyFrom(common_pb2.Error(code=job.error_code, message=job.error_message))
    return message


def event_to_proto(event: JobEvent, job: idphoto_pb2.Job) -> idphoto_pb2.JobEvent:
    return idphoto_pb2.JobEvent(event_id=event.id, state=STATE_TO_PROTO[event.state], progress=event.progress,
                                stage=event.stage, job=job, event_time=timestamp(event.time))


BATCH_STATE_TO_PROTO = {state: batch_pb2.BatchState.Value(f"BATCH_STATE_{state.value}") for state in BatchState}
BATCH_STATE_FROM_PROTO = {v: k for k, v in BATCH_STATE_TO_PROTO.items()}


def batch_to_proto(batch: BatchRecord, outputs: list[dict], deliveries: list[dict] = (),
                   retention_s: float = 0.0) -> batch_pb2.Batch:
    """``outputs``: the batch's outputs with fresh URLs."""
    return batch_pb2.Batch(
        id=batch.id, state=BATCH_STATE_TO_PROTO[batch.state], total=batch.total, succeeded=batch.succeeded,
        failed=batch.failed, cancelled=batch.cancelled, running=len(batch.running_items), pending=batch.pending,
        progress=batch.progress, outputs=[output_to_proto(o) for o in outputs], webhook_url=batch.webhook_url,
        webhook_deliveries=[delivery_to_proto(d) for d in deliveries], source=batch.source, spec_id=batch.spec_id,
        max_concurrency=batch.max_concurrency, idempotency_key=batch.idempotency_key,
        create_time=timestamp(batch.create_time), update_time=timestamp(batch.update_time),
        finish_time=timestamp(batch.finish_time),
        expire_time=timestamp(batch.update_time + retention_s if retention_s else None))


def item_to_proto(item: ItemRecord) -> batch_pb2.BatchItemStatus:
    message = batch_pb2.BatchItemStatus(index=item.index, row=item.row, external_id=item.external_id,
                                        image_url=item.image_url, spec_id=item.spec_id, status=item.status,
                                        job_id=item.job_id)
    if item.error_code:
        message.error.CopyFrom(common_pb2.Error(code=item.error_code, message=item.error_message))
    return message

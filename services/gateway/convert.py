"""Gateway records ↔ public API messages (idphoto.v1.Job, JobEvent, Upload)."""

from __future__ import annotations

from google.protobuf import timestamp_pb2

from idphoto.rpc.convert import dict_to_struct, head_to_proto, options_to_proto
from idphoto.types import HeadGeometry
from idphoto.v1 import common_pb2, idphoto_pb2
from services.compose.options import options_from_dict
from services.gateway.jobs.model import JobEvent, JobRecord, JobState
from services.gateway.uploads import UploadRecord

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


def job_to_proto(job: JobRecord, outputs: list[dict]) -> idphoto_pb2.Job:
    """``outputs``: the job's outputs with fresh URLs (GatewayCore.output_urls)."""
    message = idphoto_pb2.Job(
        id=job.id, state=STATE_TO_PROTO[job.state], progress=job.progress, stage=job.stage, spec_id=job.spec_id,
        options=options_to_proto(options_from_dict(job.options)), outputs=[output_to_proto(o) for o in outputs],
        attempts=job.attempts, create_time=timestamp(job.create_time), update_time=timestamp(job.update_time),
        finish_time=timestamp(job.finish_time), upload_id=job.options.get("upload_id", ""))
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

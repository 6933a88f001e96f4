"""Plain values to the public API's messages (render options, job states) and back (a failed job's error)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from google.protobuf import json_format

from idphoto.errors import CancelledError, IdPhotoError, InvalidOptionError
from idphoto.rpc.errors import error_from_proto
from idphoto.v1 import common_pb2, idphoto_pb2

JobState = idphoto_pb2.JobState
TERMINAL = frozenset({idphoto_pb2.JOB_STATE_SUCCEEDED, idphoto_pb2.JOB_STATE_FAILED,
                      idphoto_pb2.JOB_STATE_CANCELLED})
OptionsLike = common_pb2.RenderOptions | Mapping[str, Any] | Any | None


def render_options(options: OptionsLike) -> common_pb2.RenderOptions:
    """A RenderOptions message from a message, a dict of its fields (``None`` values = unset) or an
    ``idphoto.domain.types.RenderOptions``."""
    if options is None:
        return common_pb2.RenderOptions()
    if isinstance(options, common_pb2.RenderOptions):
        return options
    if dataclasses.is_dataclass(options) and not isinstance(options, type):
        options = dataclasses.asdict(options)
    if not isinstance(options, Mapping):
        raise TypeError(f"options must be a RenderOptions message, a dict or idphoto.domain.types.RenderOptions, "
                        f"not {type(options).__name__}")
    values = {key: value for key, value in options.items() if value is not None}
    try:
        return json_format.ParseDict(values, common_pb2.RenderOptions())
    except json_format.ParseError as exc:
        raise InvalidOptionError(f"bad render options: {exc}") from None


def job_state(state: int | str) -> int:
    """A JobState value from a value, "SUCCEEDED" or "JOB_STATE_SUCCEEDED"."""
    if isinstance(state, int):
        return state
    name = state.upper()
    return idphoto_pb2.JobState.Value(name if name.startswith("JOB_STATE_") else "JOB_STATE_" + name)


def job_states(states: Iterable[int | str]) -> frozenset[int]:
    return frozenset(job_state(s) for s in states)


def state_name(state: int) -> str:
    return idphoto_pb2.JobState.Name(state).removeprefix("JOB_STATE_")


def settled(job: idphoto_pb2.Job) -> bool:
    """Nothing more happens to ``job`` without a new request: SUCCEEDED, FAILED, CANCELLED, or PREVIEW_READY
    with an error (a render refused for its options, e.g. OUTPUT_TOO_LARGE, leaves the job there)."""
    return job.state in TERMINAL or (job.state == idphoto_pb2.JOB_STATE_PREVIEW_READY and bool(job.error.code))


def job_error(job: idphoto_pb2.Job) -> IdPhotoError | None:
    """The typed error of a FAILED job (or CancelledError for a cancelled one); None otherwise."""
    if job.state == idphoto_pb2.JOB_STATE_CANCELLED:
        return CancelledError(f"job {job.id} was cancelled", job_id=job.id)
    if job.state == idphoto_pb2.JOB_STATE_FAILED or (job.HasField("error") and job.error.code):
        if job.HasField("error") and job.error.code:
            return error_from_proto(job.error)
        return error_from_proto(common_pb2.Error(code="INTERNAL", message=f"job {job.id} failed"))
    return None


def raise_for_job(job: idphoto_pb2.Job) -> idphoto_pb2.Job:
    """``job`` itself, unless it failed or was cancelled: then its typed error is raised."""
    error = job_error(job)
    if error is not None:
        raise error
    return job

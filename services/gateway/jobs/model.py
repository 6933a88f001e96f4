"""Job states, the legal transitions between them, and the records the job store hands out.

State machine (``LEGAL[current]`` is the set of states a job may move to):

- QUEUED → RUNNING (a worker took it), CANCELLED, FAILED (e.g. the upload vanished before it ran).
- RUNNING → PREVIEW_READY (Stage A done, cutout stored), SUCCEEDED (Stage A and B in one go), FAILED, CANCELLED,
  QUEUED (retry after a transient failure).
- PREVIEW_READY → FINALIZING (a Stage B render was requested), CANCELLED.
- FINALIZING → SUCCEEDED, FAILED (unrecoverable: the cutout is gone or retries ran out), CANCELLED, and
  PREVIEW_READY: a render that fails because of its options (``OUTPUT_TOO_LARGE``, a bad background …) returns
  the job to PREVIEW_READY with ``error_code``/``error_message`` set. The cutout is kept, and so are the outputs
  of an earlier successful render, so the caller can simply try other options.
- SUCCEEDED → FINALIZING: re-rendering a finished job is repeatable and never runs a model.
- FAILED and CANCELLED are final.

``finish_time`` is set each time the job enters SUCCEEDED, FAILED or CANCELLED. Entering RUNNING, FINALIZING or
SUCCEEDED clears ``error_code``/``error_message`` unless the same call sets them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class JobState(str, Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    PREVIEW_READY = "PREVIEW_READY"
    FINALIZING = "FINALIZING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


S = JobState
LEGAL: dict[JobState, frozenset[JobState]] = {
    S.QUEUED: frozenset({S.RUNNING, S.CANCELLED, S.FAILED}),
    S.RUNNING: frozenset({S.PREVIEW_READY, S.SUCCEEDED, S.FAILED, S.CANCELLED, S.QUEUED}),
    S.PREVIEW_READY: frozenset({S.FINALIZING, S.CANCELLED}),
    S.FINALIZING: frozenset({S.SUCCEEDED, S.FAILED, S.PREVIEW_READY, S.CANCELLED}),
    S.SUCCEEDED: frozenset({S.FINALIZING}),
    S.FAILED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINISHED = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELLED})        # entering one sets finish_time
WORKING = frozenset({S.RUNNING, S.FINALIZING})                    # a worker holds the job
CLEARS_ERROR = frozenset({S.RUNNING, S.FINALIZING, S.SUCCEEDED})
# Entering one of these puts the job on the settled stream: no worker holds it any more (quota, webhooks, batches).
SETTLED = frozenset({S.PREVIEW_READY, S.SUCCEEDED, S.FAILED, S.CANCELLED})


def sources_of(target: JobState) -> frozenset[JobState]:
    """States from which ``target`` may be entered."""
    return frozenset(state for state, targets in LEGAL.items() if target in targets)


# Fields a transition may set, and how each is stored in the job hash.
JSON_FIELDS = {"outputs", "measurements", "report", "options"}
TEXT_FIELDS = {"stage", "error_code", "error_message", "upload_key", "spec_id"}
NUMBER_FIELDS = {"progress": float, "attempts": int}
UPDATABLE_FIELDS = JSON_FIELDS | TEXT_FIELDS | set(NUMBER_FIELDS)


@dataclass
class JobRecord:
    id: str
    tenant: str
    state: JobState
    spec_id: str
    upload_key: str
    options: dict[str, Any] = field(default_factory=dict)
    stage: str = ""
    progress: float = 0.0
    outputs: list[dict[str, Any]] = field(default_factory=list)
    measurements: dict[str, Any] | None = None
    report: dict[str, Any] | None = None
    error_code: str = ""
    error_message: str = ""
    attempts: int = 0
    cancel_requested: bool = False
    create_time: float = 0.0
    update_time: float = 0.0
    finish_time: float | None = None
    batch_id: str = ""              # set on a batch's child jobs
    item: int = -1                  # the child's index in its batch
    image_url: str = ""             # the photo is fetched from here (then upload_key is set)
    webhook_url: str = ""
    quota_key: str = ""             # the API key id holding a concurrent-job slot for this job

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> JobRecord:
        def num(name: str, kind: type, default: Any) -> Any:
            value = raw.get(name, "")
            return kind(value) if value != "" else default

        return cls(
            id=raw["id"], tenant=raw["tenant"], state=JobState(raw["state"]), spec_id=raw.get("spec_id", ""),
            upload_key=raw.get("upload_key", ""), options=_loads(raw.get("options"), {}),
            stage=raw.get("stage", ""), progress=num("progress", float, 0.0),
            outputs=_loads(raw.get("outputs"), []), measurements=_loads(raw.get("measurements"), None),
            report=_loads(raw.get("report"), None), error_code=raw.get("error_code", ""),
            error_message=raw.get("error_message", ""), attempts=num("attempts", int, 0),
            cancel_requested=raw.get("cancel_requested", "") == "1",
            create_time=num("create_time", float, 0.0), update_time=num("update_time", float, 0.0),
            finish_time=num("finish_time", float, None), batch_id=raw.get("batch_id", ""),
            item=num("item", int, -1), image_url=raw.get("image_url", ""), webhook_url=raw.get("webhook_url", ""),
            quota_key=raw.get("quota_key", ""),
        )


@dataclass(frozen=True)
class JobEvent:
    """One entry of a job's event stream. ``kind``: created, state, progress or cancel_requested."""

    id: str
    job_id: str
    kind: str
    state: JobState
    stage: str
    progress: float
    error_code: str
    error_message: str
    time: float

    @classmethod
    def from_entry(cls, job_id: str, entry_id: str, raw: dict[str, str]) -> JobEvent:
        return cls(id=entry_id, job_id=job_id, kind=raw.get("kind", ""), state=JobState(raw["state"]),
                   stage=raw.get("stage", ""), progress=float(raw.get("progress") or 0.0),
                   error_code=raw.get("error_code", ""), error_message=raw.get("error_message", ""),
                   time=float(raw.get("time") or 0.0))


def encode_field(name: str, value: Any) -> str:
    """A transition field as stored in the hash (``None`` clears it)."""
    if name not in UPDATABLE_FIELDS:
        raise TypeError(f"a transition cannot set {name!r} (allowed: {', '.join(sorted(UPDATABLE_FIELDS))})")
    if value is None:
        return ""
    if name in JSON_FIELDS:
        return json.dumps(value, separators=(",", ":"), sort_keys=True)
    if name in NUMBER_FIELDS:
        number = NUMBER_FIELDS[name](value)
        if name == "progress" and not 0.0 <= number <= 1.0:
            raise ValueError(f"progress must be between 0 and 1 (got {number})")
        return repr(number)
    return str(value)


def _loads(text: str | None, default: Any) -> Any:
    return json.loads(text) if text else default

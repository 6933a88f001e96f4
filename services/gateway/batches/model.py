"""Batch and item records as the batch store keeps them.

A batch is RUNNING until every item has settled, then SUCCEEDED (all items succeeded), PARTIAL (some did),
FAILED (none did) or, when it was cancelled, CANCELLED. Items go pending → running → succeeded | failed |
cancelled; a pending item of a cancelled batch goes straight to cancelled.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


class BatchState(str, Enum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    PARTIAL = "PARTIAL"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


ITEM_DONE = frozenset({"succeeded", "failed", "cancelled"})


def final_state(total: int, succeeded: int, cancelled: bool) -> BatchState:
    """The state a batch ends in: CANCELLED when CancelBatch stopped something, else SUCCEEDED only when every
    item succeeded (an item cancelled on its own is not a success), PARTIAL when some did, FAILED when none did."""
    if cancelled:
        return BatchState.CANCELLED
    if succeeded == total:
        return BatchState.SUCCEEDED
    return BatchState.PARTIAL if succeeded else BatchState.FAILED


@dataclass
class ItemRecord:
    index: int
    row: int
    spec_id: str
    options: dict[str, Any]
    external_id: str = ""
    image_url: str = ""
    upload_key: str = ""            # where the photo is stored (zip entries, inline images, uploads)
    status: str = "pending"
    job_id: str = ""
    error_code: str = ""
    error_message: str = ""
    outputs: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ItemRecord:
        return cls(**json.loads(text))


@dataclass
class BatchRecord:
    id: str
    tenant: str
    state: BatchState
    source: str
    spec_id: str
    total: int
    max_concurrency: int
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    running: int = 0
    next: int = 0                   # index of the next item to start
    stopped: int = 0                # items CancelBatch cancelled (pending ones, and running ones stopped after it)
    webhook_url: str = ""
    idempotency_key: str = ""
    cancel_requested: bool = False
    outputs: list[dict[str, Any]] = field(default_factory=list)
    running_items: list[int] = field(default_factory=list)      # indexes of the items being processed
    create_time: float = 0.0
    update_time: float = 0.0
    finish_time: float | None = None

    @property
    def pending(self) -> int:
        return max(0, self.total - self.succeeded - self.failed - self.cancelled - self.running)

    @property
    def progress(self) -> float:
        return (self.succeeded + self.failed + self.cancelled) / self.total if self.total else 1.0

    @property
    def finished(self) -> bool:
        return self.state != BatchState.RUNNING

    @classmethod
    def from_hash(cls, raw: dict[str, str]) -> BatchRecord:
        def num(name: str, kind: type = int, default: Any = 0) -> Any:
            value = raw.get(name, "")
            return kind(value) if value != "" else default

        return cls(
            id=raw["id"], tenant=raw["tenant"], state=BatchState(raw["state"]), source=raw.get("source", ""),
            spec_id=raw.get("spec_id", ""), total=num("total"), max_concurrency=num("max_concurrency", int, 1),
            succeeded=num("succeeded"), failed=num("failed"), cancelled=num("cancelled"), running=num("running"),
            next=num("next"), stopped=num("stopped"), webhook_url=raw.get("webhook_url", ""),
            idempotency_key=raw.get("idempotency_key", ""),
            cancel_requested=raw.get("cancel_requested", "") == "1", outputs=json.loads(raw.get("outputs") or "[]"),
            running_items=json.loads(raw.get("running_items") or "[]"),
            create_time=num("create_time", float, 0.0), update_time=num("update_time", float, 0.0),
            finish_time=num("finish_time", float, None))


def encode_fields(fields: dict[str, Any]) -> dict[str, str]:
    """Record fields as stored in the batch hash."""
    out = {}
    for name, value in fields.items():
        if isinstance(value, Enum):
            value = value.value
        if isinstance(value, list | dict):
            out[name] = json.dumps(value, separators=(",", ":"), sort_keys=True)
        elif isinstance(value, bool):
            out[name] = "1" if value else ""
        elif value is None:
            out[name] = ""
        else:
            out[name] = repr(value) if isinstance(value, float) else str(value)
    return out

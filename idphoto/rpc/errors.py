"""Typed errors across the wire: the gRPC status comes from the error table (idphoto/errors.py) and the stable
code travels as a ``google.rpc.Status`` detail — a ``google.rpc.ErrorInfo`` (reason = code, domain "idphoto",
metadata = details as strings) plus the contract's ``idphoto.v1.Error``. Clients rebuild the typed error.

Details that are not plain strings are JSON-encoded; on the way back a value that parses as JSON (other than a
string) is decoded, so ``head_px=412`` arrives as 412 and ``suggestions=[...]`` as a list.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from idphoto.errors import (
    CancelledError,
    DeadlineExceededError,
    IdPhotoError,
    InternalError,
    ServiceUnavailableError,
    error_from_code,
)
from idphoto.log import get_logger
from idphoto.v1 import common_pb2

log = get_logger("idphoto.rpc")

DOMAIN = "idphoto"
STATUS_DETAILS_KEY = "grpc-status-details-bin"
# The status travels in trailing metadata (16 KiB at most, message and details twice): what an error echoes is
# bounded so that no input, however long, turns a typed error into RESOURCE_EXHAUSTED.
MAX_MESSAGE_CHARS = 1024
MAX_DETAIL_CHARS = 512
MAX_DETAILS_CHARS = 3072


def grpc_code(exc: IdPhotoError) -> grpc.StatusCode:
    return getattr(grpc.StatusCode, exc.grpc_status, grpc.StatusCode.INTERNAL)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _bounded_detail(value: Any, limit: int) -> tuple[str, int]:
    """(text, items left out): a list keeps as many leading items as fit in valid JSON; the rest is cut."""
    if isinstance(value, str):
        return _cut(value, limit), 0
    text = json.dumps(value, default=str)
    if len(text) <= limit or not isinstance(value, list):
        return _cut(text, limit), 0
    kept = list(value)
    while kept and len(json.dumps(kept, default=str)) > limit:
        kept = kept[:len(kept) // 2] if len(kept) > 8 else kept[:-1]
    return json.dumps(kept, default=str), len(value) - len(kept)


def _detail_strings(details: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    budget = MAX_DETAILS_CHARS
    for key, value in details.items():
        if budget <= 0:
            out["details_omitted"] = "true"
            break
        key = _cut(str(key), 64)
        text, omitted = _bounded_detail(value, min(MAX_DETAIL_CHARS, budget))
        out[key] = text
        if omitted:
            out[f"{key}_omitted"] = str(omitted)
        budget -= len(text) + len(key)
    return out


def _message(exc: IdPhotoError) -> str:
    return _cut(exc.message, MAX_MESSAGE_CHARS)


def _detail_values(metadata) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, text in metadata.items():
        try:
            value = json.loads(text)
        except ValueError:
            value = text
        values[key] = text if isinstance(value, str) else value
    return values


def error_to_proto(exc: IdPhotoError) -> common_pb2.Error:
    return common_pb2.Error(code=exc.code, message=_message(exc), details=_detail_strings(exc.details))


def error_from_proto(error: common_pb2.Error) -> IdPhotoError:
    return error_from_code(error.code, error.message or None, **_detail_values(error.details))


def rich_status(exc: IdPhotoError) -> status_pb2.Status:
    """The google.rpc.Status for ``exc`` (ErrorInfo first, then idphoto.v1.Error)."""
    info = error_details_pb2.ErrorInfo(reason=exc.code, domain=DOMAIN, metadata=_detail_strings(exc.details))
    details = []
    for message in (info, error_to_proto(exc)):
        packed = any_pb2.Any()
        packed.Pack(message)
        details.append(packed)
    return status_pb2.Status(code=grpc_code(exc).value[0], message=_message(exc), details=details)


async def abort_with(context, exc: IdPhotoError, metadata: tuple[tuple[str, str], ...] = ()) -> None:
    """End the call with ``exc``'s status from the table; never returns (``context.abort`` raises)."""
    status = rich_status(exc)
    trailing = tuple(metadata) + ((STATUS_DETAILS_KEY, status.SerializeToString()),)
    if exc.details.get("retry_after_header"):          # RATE_LIMITED: when to come back, as in HTTP
        trailing += (("retry-after", str(exc.details["retry_after_header"])),)
    await context.abort(grpc_code(exc), _message(exc), trailing_metadata=trailing)


def _status_from_metadata(metadata) -> status_pb2.Status | None:
    for key, value in metadata or ():
        if key == STATUS_DETAILS_KEY:
            return status_pb2.Status.FromString(value)
    return None


def _trailing(err: grpc.RpcError):
    getter = getattr(err, "trailing_metadata", None)
    try:
        return getter() if callable(getter) else None
    except Exception:  # noqa: BLE001 - a call that never started has no metadata
        return None


def error_from_rpc(err: grpc.RpcError) -> IdPhotoError:
    """Rebuild the typed error a service raised; transport failures map to UNAVAILABLE/DEADLINE errors."""
    status = _status_from_metadata(_trailing(err))
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            if info.domain == DOMAIN:
                return error_from_code(info.reason, status.message or None, **_detail_values(info.metadata))
    code = err.code() if callable(getattr(err, "code", None)) else None
    message = err.details() if callable(getattr(err, "details", None)) else None
    if code == grpc.StatusCode.UNAVAILABLE:
        # grpc's text names the peer's internal address: it goes to the log, never into the error a client sees
        log.warning("backend unavailable", transport=message)
        return ServiceUnavailableError("a backend service is unavailable; retry shortly")
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return DeadlineExceededError()
    if code == grpc.StatusCode.CANCELLED:
        return CancelledError("the call was cancelled")
    return InternalError()


__all__ = ["DOMAIN", "abort_with", "error_from_proto", "error_from_rpc", "error_to_proto",
           "grpc_code", "rich_status"]

"""REST errors: one JSON shape, ``{"code", "message", "details"}``, with an HTTP status.

* A typed error (ours, or one rebuilt from a gRPC status's ``google.rpc.ErrorInfo``) keeps its stable code and
  takes its HTTP status from the one error table (idphoto/errors.py).
* A gRPC status without our ErrorInfo maps by the standard google.rpc code → HTTP table; the code is the gRPC
  status name (``RESOURCE_EXHAUSTED`` …), except that INTERNAL/UNKNOWN/DATA_LOSS become ``INTERNAL`` with the
  fixed message "internal error" (nothing from inside leaks).
* Transport errors of the REST layer itself: ``NOT_FOUND`` (404, no such route), ``METHOD_NOT_ALLOWED`` (405,
  with ``Allow``), ``UNSUPPORTED_MEDIA_TYPE`` (415); a malformed request is ``INVALID_INPUT`` (400) and a body
  over the limit ``FILE_TOO_LARGE`` (413), both from the table.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
from starlette.responses import Response

from idphoto.errors import FileTooLargeError, IdPhotoError, InputError, InternalError
from idphoto.rpc.errors import error_from_rpc

# google/rpc/code.proto: the HTTP status each canonical gRPC code maps to.
GRPC_TO_HTTP: dict[str, int] = {
    "OK": 200, "CANCELLED": 499, "UNKNOWN": 500, "INVALID_ARGUMENT": 400, "DEADLINE_EXCEEDED": 504,
    "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "PERMISSION_DENIED": 403, "UNAUTHENTICATED": 401,
    "RESOURCE_EXHAUSTED": 429, "FAILED_PRECONDITION": 400, "ABORTED": 409, "OUT_OF_RANGE": 400,
    "UNIMPLEMENTED": 501, "INTERNAL": 500, "UNAVAILABLE": 503, "DATA_LOSS": 500,
}
HIDDEN = {"INTERNAL", "UNKNOWN", "DATA_LOSS"}
JSON_TYPE = "application/json"


class RestError(Exception):
    def __init__(self, status: int, code: str, message: str, details: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": self.details}

    def response(self, extra_headers: dict[str, str] | None = None) -> Response:
        return json_response(self.body(), self.status, {**self.headers, **(extra_headers or {})})


def json_body(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json_body(data), status_code=status, media_type=JSON_TYPE,
                    headers={"Cache-Control": "no-store", **(headers or {})})


def from_error(exc: IdPhotoError) -> RestError:
    """The REST error of a typed error; a RATE_LIMITED one carries ``Retry-After`` (whole seconds)."""
    retry_after = exc.details.get("retry_after_header")
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    return RestError(exc.http_status, exc.code, exc.message, dict(exc.details), headers)


def from_rpc(err: grpc.RpcError) -> RestError:
    """The REST error for a failed call: our ErrorInfo when present, else the google.rpc mapping."""
    typed = error_from_rpc(err)
    code = err.code() if callable(getattr(err, "code", None)) else grpc.StatusCode.UNKNOWN
    name = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
    if not isinstance(typed, InternalError) or name in HIDDEN:
        return from_error(typed)
    message = err.details() if callable(getattr(err, "details", None)) else ""
    return RestError(GRPC_TO_HTTP.get(name, 500), name, message or name.lower().replace("_", " "))


def invalid(message: str, **details: Any) -> RestError:
    return from_error(InputError(message, **details))


MULTIPART_SLACK = 64 * 1024          # boundaries, part headers and form fields around an uploaded file


def too_large(max_bytes: int, upload: bool = False) -> RestError:
    """413 FILE_TOO_LARGE; the connection is closed after it, since the rest of the body is never read."""
    text = f"upload exceeds {max_bytes} bytes" if upload else f"the request body exceeds {max_bytes} bytes"
    error = from_error(FileTooLargeError(text, max_bytes=max_bytes))
    error.headers["Connection"] = "close"
    return error


def body_limit(content_type: str, max_body: int, max_file: int) -> tuple[int, RestError]:
    """The most body bytes a request may send and the 413 for passing it: a multipart upload is held to the
    upload cap (plus room for its form fields), anything else to the body limit (0 = none)."""
    multipart = content_type.split(";", 1)[0].strip().lower() == "multipart/form-data"
    if multipart and max_file and (not max_body or max_file + MULTIPART_SLACK < max_body):
        return max_file + MULTIPART_SLACK, too_large(max_file, upload=True)
    return max_body, too_large(max_body)


def not_found(path: str) -> RestError:
    return RestError(404, "NOT_FOUND", f"no route for {path}", {"path": path})


def method_not_allowed(method: str, allowed: list[str]) -> RestError:
    return RestError(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed here; use {', '.join(allowed)}",
                     {"allowed": allowed}, {"Allow": ", ".join(allowed)})


def unsupported_media_type(got: str, accepted: list[str]) -> RestError:
    return RestError(415, "UNSUPPORTED_MEDIA_TYPE", f"content type {got or '(none)'} is not accepted here; send "
                     + " or ".join(accepted), {"accepted": accepted})


def internal() -> RestError:
    return from_error(InternalError())

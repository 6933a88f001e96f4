"""The one error table: every failure the product reports has a stable code, a gRPC status and an HTTP status.

Raise the subclass that says what went wrong; transports (CLI, gRPC interceptor, REST) only look the class up
here and never invent a status of their own. Unknown exceptions are reported as ``INTERNAL`` with a fixed message.
"""

from __future__ import annotations

from typing import Any


class IdPhotoError(Exception):
    """Base of every typed error. ``code`` is stable and part of the public API."""

    code = "INTERNAL"
    grpc_status = "INTERNAL"
    http_status = 500
    default_message = "internal error"

    def __init__(self, message: str | None = None, **details: Any) -> None:
        self.message = message or self.default_message
        self.details = details
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "details": dict(self.details)}

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


def _error(name: str, code: str, grpc_status: str, http_status: int, message: str) -> type[IdPhotoError]:
    cls = type(name, (IdPhotoError,), {
        "code": code, "grpc_status": grpc_status, "http_status": http_status, "default_message": message,
        "__doc__": message,
    })
    cls.__module__ = __name__
    return cls


class InputError(IdPhotoError):
    """Family of errors caused by the caller's image or options (INVALID_ARGUMENT)."""

    code = "INVALID_INPUT"
    grpc_status = "INVALID_ARGUMENT"
    http_status = 400
    default_message = "invalid input"


def _input_error(name: str, code: str, http_status: int, message: str) -> type[InputError]:
    cls = type(name, (InputError,), {"code": code, "http_status": http_status, "default_message": message,
                                      "__doc__": message})
    cls.__module__ = __name__
    return cls


# --- the caller's image ------------------------------------------------------------------------------------
EmptyInputError = _input_error("EmptyInputError", "EMPTY_INPUT", 400, "the upload is empty")
InvalidImageError = _input_error("InvalidImageError", "INVALID_IMAGE", 400, "the file is not a readable image")
UnsupportedFormatError = _input_error("UnsupportedFormatError", "UNSUPPORTED_FORMAT", 415,
                                      "image format not supported")
FileTooLargeError = _input_error("FileTooLargeError", "FILE_TOO_LARGE", 413, "the file is larger than allowed")
ImageTooLargeError = _input_error("ImageTooLargeError", "IMAGE_TOO_LARGE", 413,
                                  "the image has more pixels than allowed")
ImageTooSmallError = _input_error("ImageTooSmallError", "IMAGE_TOO_SMALL", 400, "the image is too small")

# --- what the photo shows ----------------------------------------------------------------------------------
NoFaceError = _input_error("NoFaceError", "NO_FACE", 422, "no face found in the photo")
MultipleFacesError = _input_error("MultipleFacesError", "MULTIPLE_FACES", 422,
                                  "more than one face found in the photo")
FaceTooSmallError = _input_error("FaceTooSmallError", "FACE_TOO_SMALL", 422,
                                 "the face has too few pixels for this document's output size")
HeadOutOfFrameError = _input_error("HeadOutOfFrameError", "HEAD_OUT_OF_FRAME", 422,
                                   "the top of the head is cut off in the photo")

# --- options -----------------------------------------------------------------------------------------------
InvalidOptionError = _input_error("InvalidOptionError", "INVALID_OPTION", 400, "an option has an invalid value")
BatchInvalidError = _input_error("BatchInvalidError", "BATCH_INVALID", 400,
                                 "the batch input is invalid (row-level errors in details.errors)")
OutputTooLargeError = _input_error("OutputTooLargeError", "OUTPUT_TOO_LARGE", 422,
                                   "the photo cannot be made small enough for the requested max_kb")

# --- not found / state -------------------------------------------------------------------------------------
SpecNotFoundError = _error("SpecNotFoundError", "SPEC_NOT_FOUND", "NOT_FOUND", 404, "unknown document spec")
PaperNotFoundError = _error("PaperNotFoundError", "PAPER_NOT_FOUND", "NOT_FOUND", 404, "unknown paper size")
BatchNotFoundError = _error("BatchNotFoundError", "BATCH_NOT_FOUND", "NOT_FOUND", 404, "batch not found")
JobNotFoundError = _error("JobNotFoundError", "JOB_NOT_FOUND", "NOT_FOUND", 404, "job not found")
UploadNotFoundError = _error("UploadNotFoundError", "UPLOAD_NOT_FOUND", "NOT_FOUND", 404, "upload not found")
ObjectNotFoundError = _error("ObjectNotFoundError", "OBJECT_NOT_FOUND", "NOT_FOUND", 404, "object not found")
InvalidStateError = _error("InvalidStateError", "INVALID_STATE", "FAILED_PRECONDITION", 409,
                           "the job is not in a state that allows this")

# --- callers and their limits -----------------------------------------------------------------------------
UnauthenticatedError = _error("UnauthenticatedError", "UNAUTHENTICATED", "UNAUTHENTICATED", 401,
                              "a valid API key is required (authorization: Bearer <key>)")
RateLimitedError = _error("RateLimitedError", "RATE_LIMITED", "RESOURCE_EXHAUSTED", 429,
                          "too many requests for this API key: retry after retry_after_s seconds")

# --- fetching an image URL (batches) and webhook targets ---------------------------------------------------
# A refused URL is the caller's argument (INVALID_ARGUMENT/400), not an authorisation failure: PERMISSION_DENIED is
# kept for API keys and tenants.
UrlForbiddenError = _input_error("UrlForbiddenError", "URL_FORBIDDEN", 400,
                                 "the URL is not allowed (scheme or address refused)")
UrlUnreachableError = _error("UrlUnreachableError", "URL_UNREACHABLE", "UNAVAILABLE", 502,
                             "the URL could not be fetched")
UrlNotFoundError = _error("UrlNotFoundError", "URL_NOT_FOUND", "NOT_FOUND", 404, "the URL returned not found")
UrlTooLargeError = _input_error("UrlTooLargeError", "URL_TOO_LARGE", 413, "the URL's content is larger than allowed")
UrlNotAnImageError = _input_error("UrlNotAnImageError", "URL_NOT_AN_IMAGE", 415,
                                  "the URL's content is not a supported image")

# --- the platform ------------------------------------------------------------------------------------------
ModelNotReadyError = _error("ModelNotReadyError", "MODEL_NOT_READY", "UNAVAILABLE", 503,
                            "model files are missing: run `idphoto models pull` (or `make setup`)")
ModelChecksumError = _error("ModelChecksumError", "MODEL_CHECKSUM_MISMATCH", "FAILED_PRECONDITION", 500,
                            "model file does not match its pinned sha256")
ModelFetchError = _error("ModelFetchError", "MODEL_FETCH_FAILED", "UNAVAILABLE", 503,
                         "model package could not be fetched")
ConfigError = _error("ConfigError", "CONFIG_INVALID", "FAILED_PRECONDITION", 500, "configuration is invalid")
DeadlineExceededError = _error("DeadlineExceededError", "DEADLINE_EXCEEDED", "DEADLINE_EXCEEDED", 504,
                               "the request ran out of time")
CancelledError = _error("CancelledError", "CANCELLED", "CANCELLED", 499, "the job was cancelled")
ServiceUnavailableError = _error("ServiceUnavailableError", "SERVICE_UNAVAILABLE", "UNAVAILABLE", 503,
                                 "a backend service is unavailable")
AttemptsExhaustedError = _error("AttemptsExhaustedError", "ATTEMPTS_EXHAUSTED", "ABORTED", 500,
                                "the job failed repeatedly and was given up")
InternalError = _error("InternalError", "INTERNAL", "INTERNAL", 500, "internal error")


def _all_error_classes() -> list[type[IdPhotoError]]:
    seen: list[type[IdPhotoError]] = []
    stack: list[type[IdPhotoError]] = [IdPhotoError]
    while stack:
        cls = stack.pop()
        seen.append(cls)
        stack.extend(cls.__subclasses__())
    return seen


ERROR_TABLE: dict[str, type[IdPhotoError]] = {cls.code: cls for cls in _all_error_classes()}


def error_from_code(code: str, message: str | None = None, **details: Any) -> IdPhotoError:
    """Rebuild a typed error from its stable code (e.g. when it crossed a service boundary)."""
    return ERROR_TABLE.get(code, InternalError)(message, **details)


def as_idphoto_error(exc: BaseException) -> IdPhotoError:
    """Typed errors pass through; anything else becomes INTERNAL with a fixed message (details go to logs)."""
    if isinstance(exc, IdPhotoError):
        return exc
    return InternalError()

"""The server interceptor every idphoto service runs: ids into the log context, typed errors onto the wire,
one access-log line and the Prometheus metrics per call. Covers unary and streaming handlers alike.

* ids: metadata ``x-request-id`` (generated when absent, or when it is not 1–128 printable ASCII characters)
  and ``x-job-id`` (dropped when it is not) are bound into structlog's contextvars for the call;
  ``x-request-id`` is echoed in the trailing metadata (on errors too).
* a request body that is not a valid protobuf of the method's type is INVALID_INPUT (INVALID_ARGUMENT), not
  grpc's own UNKNOWN "Unexpected DecodeError"; the handler never runs.
* errors: an IdPhotoError ends the call with its status from the table (``abort_with``); any other exception
  becomes INTERNAL "internal error" (reason INTERNAL) and its traceback goes to the log only.
* access log: event "rpc" with method, code, duration_ms, request_id, job_id, peer (health checks at debug).
* the call's deadline is recorded so that clients used inside the handler propagate the remaining time.
"""

from __future__ import annotations

import asyncio
import inspect
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import grpc
import structlog

from idphoto.errors import IdPhotoError, InputError, as_idphoto_error
from idphoto.log import get_logger
from idphoto.rpc import context as call_context
from idphoto.rpc.errors import abort_with
from idphoto.rpc.metrics import RPC_CALLS, RPC_IN_FLIGHT, RPC_LATENCY

log = get_logger("idphoto.rpc")
QUIET_PREFIXES = ("grpc.health.v1.Health/", "grpc.reflection.")
MAX_ID_CHARS = 128


def clean_id(value: str | None) -> str:
    """``value`` when it is 1–MAX_ID_CHARS printable ASCII characters, else ""."""
    if value and len(value) <= MAX_ID_CHARS and value.isascii() and value.isprintable():
        return value
    return ""


@dataclass(frozen=True)
class _Undecodable:
    """What a request deserializer hands over instead of raising: the handler wrapper answers INVALID_INPUT."""

    reason: str


def _tolerant(deserializer):
    if deserializer is None:
        return None

    def parse(data: bytes):
        try:
            return deserializer(data)
        except Exception as exc:  # noqa: BLE001 - DecodeError, bad UTF-8, recursion: all the caller's bytes
            return _Undecodable(type(exc).__name__)

    return parse


def _undecodable_error(request: _Undecodable) -> InputError:
    return InputError("the request body is not a valid protobuf message of this method's type",
                      reason=request.reason)


async def _checked_stream(requests):
    async for request in requests:
        if isinstance(request, _Undecodable):
            raise _undecodable_error(request)
        yield request


def _code_name(context, default: str = "OK") -> str:
    """The status a handler set with set_code/abort, else ``default``."""
    code = context.code()
    return code.name if isinstance(code, grpc.StatusCode) else default


@dataclass
class _Call:
    method: str
    request_id: str
    job_id: str
    peer: str
    start: float = field(default_factory=time.perf_counter)
    code: str = "OK"
    tokens: tuple = ()


def _requests(request, streamed: bool):
    """The request (or request stream) the handler sees; an undecodable one raises INVALID_INPUT."""
    if streamed:
        return _checked_stream(request)
    if isinstance(request, _Undecodable):
        raise _undecodable_error(request)
    return request


class ServerInterceptor(grpc.aio.ServerInterceptor):
    """``service`` labels metrics and log lines; ``stats`` (optional) counts calls per method for this server."""

    def __init__(self, service: str, stats: Counter | None = None) -> None:
        self.service = service
        self.stats = stats if stats is not None else Counter()

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return self._wrap(handler, handler_call_details.method.lstrip("/"))

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        kinds = (("unary_unary", grpc.unary_unary_rpc_method_handler, False),
                 ("stream_unary", grpc.stream_unary_rpc_method_handler, False),
                 ("unary_stream", grpc.unary_stream_rpc_method_handler, True),
                 ("stream_stream", grpc.stream_stream_rpc_method_handler, True))
        for attr, make, streaming in kinds:
            behavior = getattr(handler, attr)
            if behavior is not None:
                wrapped = (self._streaming if streaming else self._unary)(behavior, method,
                                                                          attr.startswith("stream"))
                return make(wrapped, request_deserializer=_tolerant(handler.request_deserializer),
                            response_serializer=handler.response_serializer)
        return handler

    def _unary(self, behavior, method: str, streamed_requests: bool = False):
        async def handle(request, context):
            call = self._begin(method, context)
            try:
                result = behavior(_requests(request, streamed_requests), context)
                response = await result if inspect.isawaitable(result) else result
                call.code = _code_name(context)
                return response
            except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised or turned into a status
                await self._fail(call, context, exc)
            finally:
                self._finish(call)

        return handle

    def _streaming(self, behavior, method: str, streamed_requests: bool = False):
        async def handle(request, context):
            call = self._begin(method, context)
            try:
                result = behavior(_requests(request, streamed_requests), context)
                if hasattr(result, "__aiter__"):
                    async for response in result:
                        yield response
                elif inspect.isawaitable(result):
                    await result
                else:
                    for response in result or ():
                        yield response
                call.code = _code_name(context)
            except GeneratorExit:
                call.code = "CANCELLED"
                raise
            except BaseException as exc:  # noqa: BLE001 - recorded, then re-raised or turned into a status
                await self._fail(call, context, exc)
            finally:
                self._finish(call)

        return handle

    def _begin(self, method: str, context) -> _Call:
        metadata = {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
        call = _Call(method=method, request_id=clean_id(metadata.get(call_context.REQUEST_ID_KEY)) or uuid.uuid4().hex,
                     job_id=clean_id(metadata.get(call_context.JOB_ID_KEY)), peer=context.peer() or "")
        ids = {"request_id": call.request_id, **({"job_id": call.job_id} if call.job_id else {})}
        call.tokens = (structlog.contextvars.bind_contextvars(**ids),
                       call_context.set_deadline(context.time_remaining()))
        RPC_IN_FLIGHT.labels(service=self.service, method=method).inc()
        # echoed in the trailing metadata: sending headers early would commit the call and disable retries
        context.set_trailing_metadata(((call_context.REQUEST_ID_KEY, call.request_id),))
        return call

    async def _fail(self, call: _Call, context, exc: BaseException) -> None:
        """Record the outcome and re-raise (or abort with the typed error); never returns normally."""
        if isinstance(exc, grpc.aio.AbortError):
            call.code = _code_name(context, "UNKNOWN")
            raise exc
        if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
            left = context.time_remaining()
            call.code = "DEADLINE_EXCEEDED" if left is not None and left <= 0 else "CANCELLED"
            raise exc
        error = as_idphoto_error(exc)
        if not isinstance(exc, IdPhotoError):
            log.error("unhandled exception in rpc handler", method=call.method, exc_info=exc)
        call.code = error.grpc_status
        await abort_with(context, error, ((call_context.REQUEST_ID_KEY, call.request_id),))

    def _finish(self, call: _Call) -> None:
        seconds = time.perf_counter() - call.start
        RPC_IN_FLIGHT.labels(service=self.service, method=call.method).dec()
        RPC_CALLS.labels(service=self.service, method=call.method, code=call.code).inc()
        RPC_LATENCY.labels(service=self.service, method=call.method).observe(seconds)
        self.stats[call.method] += 1
        level = "debug" if call.method.startswith(QUIET_PREFIXES) else "info"
        getattr(log, level)("rpc", service=self.service, method=call.method, code=call.code,
                            duration_ms=round(seconds * 1000, 2), request_id=call.request_id,
                            job_id=call.job_id, peer=call.peer)
        ids_token, deadline_token = call.tokens
        try:
            structlog.contextvars.reset_contextvars(**ids_token)
        except ValueError:
            pass
        call_context.reset_deadline(deadline_token)

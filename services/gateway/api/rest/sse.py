"""Server-streaming RPCs as Server-Sent Events (``text/event-stream``).

One SSE event per response message: ``data:`` is the message's proto3 JSON, ``id:`` its resume id when the
method has one (see ``resume_fields``). A browser's EventSource sends the last id back as ``Last-Event-ID`` when it
reconnects, and the transcoder puts that into the request's resume field, so the stream continues where it
stopped; a call the server ends as UNAVAILABLE mid-stream is resumed the same way, inside the gateway. When the RPC
ends the stream sends ``event: end``; when it fails after the stream started, ``event:
error`` with the usual ``{code, message, details}``. An error before the first message (an unknown job) is a
plain JSON error response with its HTTP status. Idle streams get a comment line every ``keepalive_s``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import suppress

import grpc
from google.protobuf import descriptor
from starlette.responses import Response, StreamingResponse

from services.gateway.api.rest.errors import from_rpc, json_body
from services.gateway.api.rest.mapping import FD, to_json

EVENT_STREAM = "text/event-stream; charset=utf-8"
RESUME_PREFIX = "after_"


def resume_fields(request: descriptor.Descriptor, response: descriptor.Descriptor) -> tuple[str, str] | None:
    """(request field, response field) such as (``after_event_id``, ``event_id``): the response's string id that
    the request takes back, by the naming convention ``after_<id field>``."""
    for field in request.fields:
        target = response.fields_by_name.get(field.name.removeprefix(RESUME_PREFIX))
        if (field.name.startswith(RESUME_PREFIX) and target is not None and field.type == FD.TYPE_STRING
                and target.type == FD.TYPE_STRING):
            return field.name, target.name
    return None


def frame(data: bytes, event_id: str = "", event: str = "") -> bytes:
    head = b""
    if event_id:
        head += b"id: " + event_id.replace("\n", "").encode() + b"\n"
    if event:
        head += b"event: " + event.encode() + b"\n"
    return head + b"data: " + data + b"\n\n"


class EventStream:
    """One SSE response over a server-streaming call. ``open_call(after)`` starts the call: ``after`` is None
    for the request as sent, else the id of the last event sent, to resume after it. A stream the server ends
    as UNAVAILABLE (a restart, a connection recycled by its maximum age) is resumed that way, up to
    ``max_reopens`` times, so a long watch outlives the gateway's own connection recycling."""

    def __init__(self, open_call: Callable[[str | None], object], id_field: str, response_body: str,
                 keepalive_s: float, headers: dict[str, str], max_reopens: int = 5) -> None:
        self.open_call, self.id_field, self.response_body = open_call, id_field, response_body
        self.keepalive_s, self.headers, self.max_reopens = keepalive_s, headers, max_reopens
        self.last_id: str | None = None
        self._open(None)

    def _open(self, after: str | None) -> None:
        self.call = self.open_call(after)
        self._iterator = self.call.__aiter__()
        self._pending: asyncio.Future | None = None

    def _next(self) -> asyncio.Future:
        self._pending = asyncio.ensure_future(self._iterator.__anext__())
        return self._pending

    async def respond(self, first_wait_s: float) -> Response:
        """A JSON error if the call fails within ``first_wait_s``, else the event stream."""
        pending = self._next()
        done, _ = await asyncio.wait({pending}, timeout=first_wait_s)
        if done and isinstance(pending.exception(), grpc.RpcError):
            self.call.cancel()
            return from_rpc(pending.exception()).response()
        return StreamingResponse(self._events(), media_type=EVENT_STREAM,
                                 headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **self.headers})

    def _encode(self, message) -> bytes:
        event_id = getattr(message, self.id_field, "") if self.id_field else ""
        if event_id:
            self.last_id = event_id
        return frame(json_body(to_json(message, self.response_body)), event_id)

    def _resumable(self, err: grpc.RpcError, reopens: int) -> bool:
        return (err.code() == grpc.StatusCode.UNAVAILABLE and reopens < self.max_reopens
                and (bool(self.id_field) or self.last_id is None))

    async def _events(self) -> AsyncIterator[bytes]:
        reopens = 0
        try:
            yield b"retry: 2000\n\n"
            while True:
                pending = self._pending or self._next()
                try:
                    message = await asyncio.wait_for(asyncio.shield(pending), self.keepalive_s)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                except StopAsyncIteration:
                    yield frame(b"{}", event="end")
                    return
                except grpc.RpcError as err:
                    if not self._resumable(err, reopens):
                        yield frame(json_body(from_rpc(err).body()), event="error")
                        return
                    reopens += 1
                    await asyncio.sleep(0.1 * reopens)
                    self._open(self.last_id)
                    continue
                self._pending = None
                yield self._encode(message)
        finally:
            self.call.cancel()
            if self._pending is not None:
                self._pending.cancel()
                with suppress(asyncio.CancelledError, StopAsyncIteration, grpc.RpcError, Exception):
                    await self._pending

"""REST → gRPC: a generic transcoder driven by the ``google.api.http`` rules of the descriptor set.

Each HTTP request is matched to a (method, binding), turned into the request message (path variables, query
parameters, JSON or multipart body), and sent to the gateway's own gRPC server over a loopback channel — so REST
and gRPC share the one servicer, interceptor (request ids, access log, metrics) and error mapping. Unary replies
become JSON; server-streaming replies become Server-Sent Events; a multipart upload to a client-streaming
method is streamed into the call piece by piece while the body arrives; a file over ``max_file_bytes`` (the
upload cap) is refused with 413 as soon as it passes the cap, without reading the rest of the body.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator

import grpc
import prometheus_client
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from idphoto.log import get_logger
from services.gateway.api.rest import errors
from services.gateway.api.rest.descriptors import ApiSurface, RestMethod, message_class
from services.gateway.api.rest.forms import FormMessages, upload_field
from services.gateway.api.rest.mapping import build_request, load_json, to_json
from services.gateway.api.rest.multipart import MultipartError, MultipartParser, boundary_of
from services.gateway.api.rest.routes import Match, Route, Router
from services.gateway.api.rest.sse import EventStream, resume_fields

log = get_logger("idphoto.gateway.rest")
HTTP_REQUESTS = prometheus_client.Counter("idphoto_http_requests_total", "REST requests by route and status",
                                          ["route", "status"])
HTTP_LATENCY = prometheus_client.Histogram("idphoto_http_request_seconds", "REST time to response headers",
                                           ["route"])
FORWARDED_HEADERS = ("authorization", "x-job-id")
REQUEST_ID = "x-request-id"
_REQUEST_ID_OK = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_METADATA_OK = re.compile(r"[\x20-\x7e]{1,8192}")       # what gRPC metadata can carry


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length", "0")
    return "transfer-encoding" in request.headers or (length.isdigit() and int(length) > 0)


def _is_json(media_type: str) -> bool:
    return media_type in ("", "application/json") or media_type.endswith("+json")


class _Feed:
    """A request iterator for a client-streaming call that remembers why it stopped (grpc only sees a cancel)."""

    def __init__(self, source: AsyncIterator) -> None:
        self.source = source
        self.error: errors.RestError | None = None

    async def __aiter__(self):
        try:
            async for message in self.source:
                yield message
        except errors.RestError as exc:
            self.error = exc
            raise
        except ClientDisconnect:
            self.error = errors.invalid("the client went away during the upload")
            raise


class Transcoder:
    def __init__(self, surface: ApiSurface, channel: grpc.aio.Channel, *, max_body_bytes: int,
                 max_file_bytes: int = 0, timeout_s: float = 60.0, first_event_wait_s: float = 1.0,
                 keepalive_s: float = 15.0, method_limits: dict[str, tuple[int, int]] | None = None) -> None:
        """``method_limits``: RPC name -> (max body, max file) bytes for methods with caps of their own
        (CreateBatch takes a larger file than UploadImage)."""
        self.surface = surface
        self.router = Router(surface.methods)
        self.channel = channel
        self.max_body_bytes = max_body_bytes
        self.max_file_bytes = max_file_bytes
        self.method_limits = dict(method_limits or {})
        self.timeout_s = timeout_s
        self.first_event_wait_s = first_event_wait_s
        self.keepalive_s = keepalive_s
        self._stubs: dict[str, object] = {}

    def _stub(self, method: RestMethod):
        stub = self._stubs.get(method.rpc_path)
        if stub is None:
            kind = {(False, False): self.channel.unary_unary, (True, False): self.channel.stream_unary,
                    (False, True): self.channel.unary_stream, (True, True): self.channel.stream_stream}
            make = kind[(method.client_streaming, method.server_streaming)]
            stub = make(method.rpc_path, request_serializer=lambda m: m.SerializeToString(),
                        response_deserializer=message_class(method.output).FromString)
            self._stubs[method.rpc_path] = stub
        return stub

    # --- entry point -------------------------------------------------------------------------------------
    async def handle(self, request: Request, match: Match) -> Response:
        """The response for a matched request: never raises, never shows a stack trace."""
        route = match.route
        label = route.name if route and match.path_vars is not None else "unmatched"
        given = request.headers.get(REQUEST_ID, "")
        request_id = given if _REQUEST_ID_OK.fullmatch(given) else uuid.uuid4().hex
        started = time.perf_counter()
        try:
            response = await self._respond(request, match, request_id)
        except errors.RestError as exc:
            response = exc.response()
        except ClientDisconnect:
            response = errors.invalid("the client went away").response()
        except Exception as exc:
            log.error("unhandled exception in REST handler", route=label, request_id=request_id, exc_info=exc)
            response = errors.internal().response()
        response.headers.setdefault(REQUEST_ID, request_id)
        if _has_body(request) and not getattr(request.state, "body_done", False):
            response.headers["Connection"] = "close"       # an unread body is dropped with the connection
        HTTP_REQUESTS.labels(route=label, status=str(response.status_code)).inc()
        HTTP_LATENCY.labels(route=label).observe(time.perf_counter() - started)
        return response

    async def _respond(self, request: Request, match: Match, request_id: str) -> Response:
        if match.route is None:
            if match.allowed:
                raise errors.method_not_allowed(request.method, list(match.allowed))
            raise errors.not_found(request.url.path)
        if match.path_vars is None:
            raise errors.invalid("the path is not valid percent-encoded UTF-8", path=match.bad_path)
        route, path_vars = match.route, match.path_vars
        metadata = self._metadata(request, request_id)
        if route.method.client_streaming:
            return await self._client_stream(request, route, path_vars, metadata)
        message = await self._request_message(request, route, path_vars)
        if route.method.server_streaming:
            return await self._event_stream(route, message, metadata, request_id)
        call = self._stub(route.method)(message, metadata=metadata, timeout=self.timeout_s)
        try:
            reply = await call
        except grpc.RpcError as err:
            raise errors.from_rpc(err) from None
        return errors.json_response(to_json(reply, route.binding.response_body))

    async def _event_stream(self, route: Route, message, metadata, request_id: str) -> Response:
        resume = resume_fields(route.method.input, route.method.output)
        stub = self._stub(route.method)

        def open_call(after: str | None):
            request = message
            if after and resume:
                request = message_class(route.method.input)()
                request.CopyFrom(message)
                setattr(request, resume[0], after)
            return stub(request, metadata=metadata)

        stream = EventStream(open_call, resume[1] if resume else "", route.binding.response_body, self.keepalive_s,
                             {REQUEST_ID: request_id})
        return await stream.respond(self.first_event_wait_s)

    @staticmethod
    def _metadata(request: Request, request_id: str) -> tuple[tuple[str, str], ...]:
        forwarded = tuple((name, request.headers[name]) for name in FORWARDED_HEADERS
                          if _METADATA_OK.fullmatch(request.headers.get(name, "")))
        return ((REQUEST_ID, request_id), *forwarded)

    # --- request bodies ----------------------------------------------------------------------------------
    def _limits(self, route: Route) -> tuple[int, int]:
        """(max body, max file) bytes of the route's method."""
        return self.method_limits.get(route.method.name, (self.max_body_bytes, self.max_file_bytes))

    async def _chunks(self, request: Request, route: Route) -> AsyncIterator[bytes]:
        """The body as it arrives, refused (413) as soon as it passes the limit, whatever Content-Length said."""
        limit, refusal = errors.body_limit(request.headers.get("content-type", ""), *self._limits(route))
        declared = request.headers.get("content-length", "")
        if limit and declared.isdigit() and int(declared) > limit:
            raise refusal
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if limit and total > limit:
                raise refusal
            if chunk:
                yield chunk
        request.state.body_done = True

    async def _read_json(self, request: Request, route: Route):
        return load_json(b"".join([chunk async for chunk in self._chunks(request, route)]))

    def _body_kind(self, request: Request, route: Route) -> str:
        media_type = _media_type(request)
        if _is_json(media_type):
            return "json"
        takes_file = route.binding.body == "*" and upload_field(route.method.input) is not None
        if media_type == "multipart/form-data" and takes_file:
            return "multipart"
        raise errors.unsupported_media_type(media_type, ["application/json"] + (["multipart/form-data"]
                                                                                if takes_file else []))

    async def _request_message(self, request: Request, route: Route, path_vars: dict[str, str]):
        query = list(request.query_params.multi_items())
        if route.method.server_streaming:
            resume = resume_fields(route.method.input, route.method.output)
            last_id = request.headers.get("last-event-id", "").strip()
            if resume and last_id and not any(name in (resume[0], _camel(resume[0])) for name, _ in query):
                query.append((resume[0], last_id))
        if not route.binding.body:
            return build_request(route.method.input, route.binding, path_vars, query)
        if self._body_kind(request, route) == "multipart":
            messages = [m async for m in self._form_messages(request, route, path_vars, streaming=False)]
            return messages[0]
        body = await self._read_json(request, route)
        return build_request(route.method.input, route.binding, path_vars, query, body)

    async def _form_messages(self, request: Request, route: Route, path_vars: dict[str, str],
                             streaming: bool) -> AsyncIterator:
        try:
            parser = MultipartParser(boundary_of(request.headers.get("content-type", "")))
            form = FormMessages(route.method.input, route.binding, path_vars, streaming, self._limits(route)[1])
            async for chunk in self._chunks(request, route):
                for event in parser.feed(chunk):
                    for message in form.on_event(event):
                        yield message
            parser.close()
        except MultipartError as exc:
            raise errors.invalid(f"bad multipart/form-data body: {exc}") from None
        for message in form.finish():
            yield message

    async def _client_stream(self, request: Request, route: Route, path_vars: dict[str, str],
                             metadata) -> Response:
        if self._body_kind(request, route) == "multipart":
            feed = _Feed(self._form_messages(request, route, path_vars, streaming=True))
        else:
            body = await self._read_json(request, route)
            query = list(request.query_params.multi_items())
            feed = _Feed(_single(build_request(route.method.input, route.binding, path_vars, query, body)))
        # the deadline covers the client's upload too: slow links get ten times the unary deadline
        call = self._stub(route.method)(feed.__aiter__(), metadata=metadata, timeout=self.timeout_s * 10)
        try:
            reply = await call
        except asyncio.CancelledError:       # our request iterator failed, so grpc cancelled the call
            current = asyncio.current_task()
            if feed.error is None or (current is not None and current.cancelling()):
                raise
            raise feed.error from None
        except grpc.RpcError as err:
            raise (feed.error or errors.from_rpc(err)) from None
        if feed.error is not None:
            raise feed.error
        return errors.json_response(to_json(reply, route.binding.response_body))


async def _single(message) -> AsyncIterator:
    yield message


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)

"""Starlette glue for the gateway's HTTP app: the REST routes, the web page and OpenAPI document, JSON errors for
whatever the router itself refuses, CORS, the request size limit and the security headers."""

from __future__ import annotations

from http import HTTPStatus
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Match, Mount, NoMatchFound, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from services.gateway.api.rest import errors
from services.gateway.api.rest.openapi import build_openapi
from services.gateway.api.rest.routes import raw_path
from services.gateway.api.rest.transcoder import Transcoder

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
HTTP_CODES = {400: "INVALID_INPUT", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "FILE_TOO_LARGE",
              415: "UNSUPPORTED_MEDIA_TYPE"}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src * data: blob:; connect-src 'self'; "
       "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    b"x-content-type-options": b"nosniff", b"x-frame-options": b"DENY", b"referrer-policy": b"no-referrer",
    b"content-security-policy": CSP.encode(), b"cross-origin-opener-policy": b"same-origin",
    b"permissions-policy": b"camera=(), microphone=(), geolocation=(), payment=()",
}


class RestRoute(BaseRoute):
    """Every REST binding as one Starlette route: FULL when a binding fits path and method, PARTIAL (→ 405) when
    only the path fits."""

    def __init__(self, transcoder: Transcoder) -> None:
        self.transcoder = transcoder

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http":
            return Match.NONE, {}
        found = self.transcoder.router.match(scope["method"], raw_path(scope))
        if found.route is not None:
            return Match.FULL, {"idphoto.rest": found}
        return (Match.PARTIAL, {"idphoto.rest": found}) if found.allowed else (Match.NONE, {})

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.transcoder.handle(Request(scope, receive), scope["idphoto.rest"])
        await response(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params):
        raise NoMatchFound(name, path_params)


def web_routes(transcoder: Transcoder) -> list[BaseRoute]:
    """``/`` (the page), ``/web/*`` (its assets), ``/openapi.json`` and the REST bindings."""
    document = errors.json_body(build_openapi(transcoder.surface))

    async def openapi(request: Request) -> Response:
        return Response(document, media_type="application/json", headers={"Cache-Control": "no-cache"})

    async def index(request: Request) -> Response:
        return FileResponse(WEB_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    return [Route("/", index, methods=["GET"]), Route("/openapi.json", openapi, methods=["GET"]),
            Mount("/web", StaticFiles(directory=WEB_DIR), name="web"), RestRoute(transcoder)]


async def http_error(request: Request, exc: Exception) -> Response:
    """Errors raised by the router or a plain route (404, 405 …) in the REST error shape."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status >= 500:
        return errors.internal().response()
    code = HTTP_CODES.get(status) or HTTPStatus(status).name
    message = exc.detail if isinstance(exc, HTTPException) and exc.detail else HTTPStatus(status).phrase
    if status == 404:
        message = f"no route for {request.url.path}"
    headers = dict(exc.headers or {}) if isinstance(exc, HTTPException) else {}
    return errors.RestError(status, code, message, {}, headers).response()


EXCEPTION_HANDLERS = {HTTPException: http_error, Exception: http_error}


class SecurityHeaders:
    """Adds the security headers to every response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses (413) a request whose declared Content-Length is over its limit (``errors.body_limit``: the body
    limit, or the upload cap for a multipart upload) before the app reads anything. Bodies without a length
    (chunked) are counted by whoever reads them (the REST transcoder)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_file_bytes: int = 0) -> None:
        self.app, self.max_bytes, self.max_file_bytes = app, max_bytes, max_file_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers", []))
            declared = headers.get(b"content-length", b"")
            content_type = headers.get(b"content-type", b"").decode("latin-1")
            limit, refusal = errors.body_limit(content_type, self.max_bytes, self.max_file_bytes)
            if limit and declared.isdigit() and int(declared) > limit:
                await refusal.response()(scope, receive, send)
                return
        await self.app(scope, receive, send)


class JsonCors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight in the REST error shape instead of plain text."""

    def preflight_response(self, request_headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode(errors="replace")
        error = errors.invalid(f"CORS preflight refused: {reason}", origin=request_headers.get("origin", ""))
        return error.response(extra_headers={k: v for k, v in response.headers.items() if k.lower() == "vary"})


def middleware(cors_origins: tuple[str, ...] = (), max_body_bytes: int = 0,
               max_file_bytes: int = 0) -> list[Middleware]:
    stack = []
    if cors_origins:
        stack.append(Middleware(JsonCors, allow_origins=list(cors_origins), allow_methods=["GET", "POST"],
                                allow_headers=["content-type", "authorization", "last-event-id", "x-request-id"],
                                expose_headers=["x-request-id"], max_age=600))
    stack += [Middleware(SecurityHeaders),
              Middleware(BodyLimit, max_bytes=max_body_bytes, max_file_bytes=max_file_bytes)]
    return stack

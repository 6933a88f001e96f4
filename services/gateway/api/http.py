"""The gateway's HTTP side: liveness, readiness (the mesh behind it is SERVING), Prometheus metrics and signed
downloads from the local object store; with a transcoder, also the REST API derived from the proto's
google.api.http rules, its OpenAPI document and the web page (services/gateway/api/rest, services/gateway/api/web).
Every error is JSON ``{code, message, details}``; CORS, a request size limit and security headers apply to all."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import prometheus_client
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from idphoto.errors import IdPhotoError, ObjectNotFoundError
from services.gateway.api.rest.app import EXCEPTION_HANDLERS, middleware, web_routes
from services.gateway.api.rest.transcoder import Transcoder
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.local import LocalStore

Readiness = Callable[[], Awaitable[dict[str, bool]]]


def _error(exc: IdPhotoError) -> JSONResponse:
    return JSONResponse(exc.to_dict(), status_code=exc.http_status)


def create_http_app(store: ObjectStore, readiness: Readiness, rest: Transcoder | None = None, *,
                    cors_origins: tuple[str, ...] = (), max_request_bytes: int = 0) -> Starlette:
    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        checks = await readiness()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    async def metrics(request: Request) -> Response:
        return Response(prometheus_client.generate_latest(), media_type=prometheus_client.CONTENT_TYPE_LATEST)

    async def download(request: Request) -> Response:
        key = request.path_params["key"]
        if not isinstance(store, LocalStore):
            return _error(ObjectNotFoundError("downloads are served by the object store"))
        q = request.query_params
        if not store.verify_signed(key, q.get("expires", ""), q.get("sig", "")):
            return JSONResponse({"code": "FORBIDDEN", "message": "the link is invalid or has expired",
                                 "details": {}}, status_code=403)
        try:
            meta = await asyncio.to_thread(store.stat, key)
            path = await asyncio.to_thread(store.file_path, key)
        except IdPhotoError as exc:
            return _error(exc)
        return FileResponse(path, media_type=meta.content_type,    # streamed: archives are big
                            headers={"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"})

    routes = [Route("/healthz", healthz), Route("/readyz", readyz), Route("/metrics", metrics),
              Route("/v1/files/{key:path}", download)]
    if rest is not None:
        routes += web_routes(rest)
    max_upload = max([rest.max_file_bytes, *(f for _, f in rest.method_limits.values())]) if rest is not None else 0
    return Starlette(routes=routes, middleware=middleware(cors_origins, max_request_bytes, max_upload),
                     exception_handlers=EXCEPTION_HANDLERS)

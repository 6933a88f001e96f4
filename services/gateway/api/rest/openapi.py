"""The OpenAPI 3.1 document of the REST surface, generated from the same descriptors and ``google.api.http`` rules
the transcoder runs on: one operation per binding, parameters from the path template and the request's
remaining fields, JSON (and multipart, where a file fits) request bodies, JSON or event-stream responses, and
one error schema for every failure."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor

import idphoto
from services.gateway.api.rest.descriptors import ApiSurface, HttpBinding, RestMethod
from services.gateway.api.rest.forms import FILE_PART, upload_field
from services.gateway.api.rest.mapping import FD, STRING_WKT, WRAPPERS, resolve_path
from services.gateway.api.rest.schemas import SchemaBuilder, ref
from services.gateway.api.rest.sse import resume_fields

OPENAPI_VERSION = "3.1.0"
OAS_VERBS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
MAX_QUERY_DEPTH = 3
ERROR_RESPONSE = {"description": "An error: `{code, message, details}` with the HTTP status of its code.",
                  "content": {"application/json": {"schema": ref("Error")}}}
SSE_TEXT = ("Server-Sent Events. Each event's `data:` is one `{name}` in proto3 JSON{id_text}. The stream ends with "
            "`event: end`; a failure after it started is `event: error` with an `Error` as data. A failure before "
            "the first event is a JSON error response instead.")


def _query_leaf(field: FD) -> bool:
    """A field one query parameter can set: a scalar, an enum, or a string-shaped well-known type."""
    if field.type != FD.TYPE_MESSAGE:
        return True
    return field.message_type.full_name in STRING_WKT | WRAPPERS and not field.is_repeated


def _query_params(schemas: SchemaBuilder, desc: descriptor.Descriptor, taken: set[str], prefix: tuple[str, str],
                  depth: int = 0, seen: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    for field in desc.fields:
        proto_path = f"{prefix[0]}{field.name}"
        json_path = f"{prefix[1]}{field.json_name}"
        if proto_path in taken:
            continue
        if _query_leaf(field):
            schema = schemas.field(field)
            text = schema.pop("description", "")
            param = {"name": json_path, "in": "query", "required": False, "schema": schema}
            if text:
                param["description"] = text
            if field.is_repeated:
                param.update(style="form", explode=True)
            params.append(param)
        elif (not field.is_repeated and depth < MAX_QUERY_DEPTH
              and field.message_type.full_name not in seen | {desc.full_name}):
            params += _query_params(schemas, field.message_type, taken, (f"{proto_path}.", f"{json_path}."),
                                    depth + 1, seen | {desc.full_name})
    return params


def _parameters(schemas: SchemaBuilder, method: RestMethod, binding: HttpBinding) -> list[dict[str, Any]]:
    params = []
    for variable in binding.template.variables:
        field = resolve_path(method.input, variable.field_path)[-1]
        schema = schemas.single(field)
        if variable.single_segment:
            schema = {**schema, "pattern": "^[^/]+$"} if schema.get("type") == "string" else schema
        params.append({"name": variable.field_path, "in": "path", "required": True, "schema": schema,
                       "description": schemas.surface.comment(field.full_name)})
    taken = {v.field_path for v in binding.template.variables} | ({binding.body} if binding.body else set())
    if binding.body != "*":
        params += _query_params(schemas, method.input, taken, ("", ""))
    resume = resume_fields(method.input, method.output) if method.server_streaming else None
    if resume:
        params.append({"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string"},
                       "description": f"Resume after this event (sets `{resume[0]}`); sent by EventSource on "
                                      "reconnect."})
    return params


def _multipart(schemas: SchemaBuilder, desc: descriptor.Descriptor, skip: set[str]) -> dict[str, Any]:
    upload = upload_field(desc)
    properties: dict[str, Any] = {FILE_PART: {
        "type": "string", "format": "binary", "contentMediaType": "application/octet-stream",
        "description": f"The file ({upload.json_name}); streamed into the call as it arrives."}}
    for field in desc.fields:
        if field is not upload and field.name not in skip and _query_leaf(field) and not field.is_repeated:
            properties[field.json_name] = schemas.field(field)
    return {"type": "object", "properties": properties, "required": [FILE_PART]}


def _request_body(schemas: SchemaBuilder, method: RestMethod, binding: HttpBinding) -> dict[str, Any] | None:
    if not binding.body:
        return None
    path_fields = {v.field_path for v in binding.template.variables}
    if binding.body == "*":
        schema = schemas.object(method.input, frozenset(path_fields)) if path_fields else schemas.message(
            method.input)
        content: dict[str, Any] = {"application/json": {"schema": schema}}
        if upload_field(method.input) is not None:
            content["multipart/form-data"] = {"schema": _multipart(schemas, method.input, path_fields)}
    else:
        field = resolve_path(method.input, binding.body)[-1]
        content = {"application/json": {"schema": schemas.field(field)}}
    return {"required": False, "content": content}


def _response(schemas: SchemaBuilder, method: RestMethod, binding: HttpBinding) -> dict[str, Any]:
    if binding.response_body:
        schema = schemas.field(resolve_path(method.output, binding.response_body)[-1])
    else:
        schema = schemas.message(method.output)
    comment = schemas.surface.comment(method.output.full_name) or method.output.name
    if not method.server_streaming:
        return {"description": comment, "content": {"application/json": {"schema": schema}}}
    resume = resume_fields(method.input, method.output)
    id_text = f", and its `id:` is the `{resume[1]}` to resume from" if resume else ""
    text = SSE_TEXT.format(name=method.output.full_name, id_text=id_text)
    return {"description": text, "content": {"text/event-stream": {
        "schema": {"type": "string", "description": text}, "x-event-data": schema}}}


def _operation(schemas: SchemaBuilder, method: RestMethod, binding: HttpBinding, operation_id: str) -> dict:
    comment = schemas.surface.comment(method.full_name)
    operation: dict[str, Any] = {
        "operationId": operation_id, "tags": [method.service.rsplit(".", 1)[-1]],
        "summary": comment.split(". ")[0].rstrip(".") if comment else method.name,
        "description": f"{comment}\n\ngRPC: `{method.full_name}`".strip(),
        "parameters": _parameters(schemas, method, binding),
        "responses": {"200": _response(schemas, method, binding), "default": ERROR_RESPONSE},
    }
    body = _request_body(schemas, method, binding)
    if body is not None:
        operation["requestBody"] = body
    return operation


def build_openapi(surface: ApiSurface, title: str = "idphoto API") -> dict[str, Any]:
    schemas = SchemaBuilder(surface)
    paths: dict[str, dict[str, Any]] = {}
    for method in surface.methods:
        for i, binding in enumerate(method.bindings):
            verb = binding.verb.lower()
            if verb not in OAS_VERBS:
                continue
            operation_id = method.name if i == 0 else f"{method.name}{i + 1}"
            paths.setdefault(binding.template.openapi_path(), {})[verb] = _operation(schemas, method, binding,
                                                                                      operation_id)
    tags = [{"name": s.rsplit(".", 1)[-1], "description": surface.comment(s)} for s in surface.services]
    description = ("REST/JSON for the idphoto gRPC API, derived from the `google.api.http` rules of "
                   f"{', '.join(surface.services)}: proto3 JSON (lowerCamelCase names, enums as names, 64-bit "
                   "integers as strings). See docs/rest.md.")
    return {"openapi": OPENAPI_VERSION,
            "info": {"title": title, "version": idphoto.__version__, "description": description,
                     "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}},
            "tags": tags, "paths": paths, "components": {"schemas": schemas.components}}

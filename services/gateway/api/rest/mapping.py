"""HTTP request parts → request message, and response message → JSON (the proto3 JSON mapping, ``json_format``).

A request message is filled in three steps, later ones winning: the body (``body: "*"`` = the whole message,
``body: "field"`` = that field), then query parameters (only for fields neither bound by the path nor taken by
the body), then the path variables. Query parameter names are field paths in either spelling (``page_size`` or
``pageSize``, ``options.background``); repeated fields repeat the parameter; enums take names or numbers;
booleans ``true``/``false``. Anything unknown or malformed is a 400 ``INVALID_INPUT`` naming the culprit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from google.protobuf import descriptor, json_format
from google.protobuf.message import Message

from services.gateway.api.rest.descriptors import HttpBinding, message_class
from services.gateway.api.rest.errors import invalid

FD = descriptor.FieldDescriptor
# Well-known types whose JSON form is a single string: settable from one query parameter.
STRING_WKT = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}
WRAPPERS = {f"google.protobuf.{n}Value" for n in ("Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool",
                                                     "String", "Bytes")}
_TRUE, _FALSE = {"true", "1"}, {"false", "0"}


def find_field(desc: descriptor.Descriptor, name: str) -> FD | None:
    """A field by its proto name or its JSON (lowerCamelCase) name."""
    found = desc.fields_by_name.get(name)
    if found is not None:
        return found
    return next((f for f in desc.fields if f.json_name == name), None)


def _is_repeated(field: FD) -> bool:
    return bool(field.is_repeated)


def _is_map(field: FD) -> bool:
    return (field.type == FD.TYPE_MESSAGE and field.message_type.GetOptions().map_entry)


def resolve_path(desc: descriptor.Descriptor, path: str) -> list[FD]:
    """The fields along a dotted field path; raises INVALID_INPUT for an unknown or non-message step."""
    fields: list[FD] = []
    current: descriptor.Descriptor | None = desc
    for part in path.split("."):
        field = find_field(current, part) if current is not None else None
        if field is None:
            raise invalid(f"unknown field {path!r}", field=path)
        fields.append(field)
        plain_message = field.type == FD.TYPE_MESSAGE and not _is_map(field) and not _is_repeated(field)
        current = field.message_type if plain_message else None
    return fields


def _scalar(field: FD, text: str, name: str) -> Any:
    """A query/path string as the JSON value json_format expects for ``field``."""
    if field.type == FD.TYPE_BOOL:
        lowered = text.lower()
        if lowered not in _TRUE | _FALSE:
            raise invalid(f"{name} must be true or false", field=name, value=text)
        return lowered in _TRUE
    if field.type == FD.TYPE_MESSAGE:
        full = field.message_type.full_name
        if full in STRING_WKT:
            return text
        if full in WRAPPERS:
            return _scalar(field.message_type.fields_by_name["value"], text, name)
        raise invalid(f"{name} is a message: set its fields (e.g. {name}.<field>) or send a JSON body",
                      field=name)
    return text


def _place(target: dict, fields: list[FD], value: Any) -> None:
    for field in fields[:-1]:
        target = target.setdefault(field.json_name, {})
    target[fields[-1].json_name] = value


def query_dict(desc: descriptor.Descriptor, params: Iterable[tuple[str, str]], taken: set[str]) -> dict:
    """Nested JSON (json names) from query parameters; ``taken`` = field paths bound elsewhere (path/body)."""
    grouped: dict[str, tuple[str, list[FD], list[str]]] = {}
    for name, value in params:
        fields = resolve_path(desc, name)
        canonical = ".".join(f.name for f in fields)           # page_size and pageSize are one field
        grouped.setdefault(canonical, (name, fields, []))[2].append(value)
    result: dict = {}
    for canonical, (name, fields, values) in grouped.items():
        if any(canonical == t or canonical.startswith(t + ".") for t in taken):
            raise invalid(f"{name} is set by the path or the body, not by a query parameter", field=name)
        last = fields[-1]
        if _is_map(last):
            raise invalid(f"{name} is a map: send it in a JSON body", field=name)
        if _is_repeated(last):
            _place(result, fields, [_scalar(last, v, name) for v in values])
        elif len(values) > 1:
            raise invalid(f"{name} was given {len(values)} times; it takes one value", field=name)
        else:
            _place(result, fields, _scalar(last, values[0], name))
    return result


def parse_into(message: Message, data: Any, what: str) -> None:
    try:
        json_format.ParseDict(data, message)
    except json_format.ParseError as exc:
        raise invalid(f"{what}: {exc}".split("\n")[0]) from None
    except (ValueError, TypeError, OverflowError) as exc:      # out-of-range numbers and the like
        raise invalid(f"{what}: {exc}") from None


def load_json(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"the request body is not valid JSON: {exc}") from None


def build_request(desc: descriptor.Descriptor, binding: HttpBinding, path_vars: dict[str, str],
                  query: list[tuple[str, str]], body: Any = None) -> Message:
    """The request message for one call; ``body`` is the decoded JSON (None when the rule takes no body)."""
    message = message_class(desc)()
    if binding.body == "*":
        if not isinstance(body, dict):
            raise invalid("the request body must be a JSON object")
        unknown = [k for k in body if find_field(desc, k) is None]
        if unknown:
            raise invalid(f"unknown field {unknown[0]!r} in the request body", field=unknown[0])
        parse_into(message, body, "request body")
        if query:
            raise invalid("this method takes its input from the JSON body, not query parameters",
                          parameters=sorted({name for name, _ in query}))
    elif binding.body:
        if body is not None:
            field = resolve_path(desc, binding.body)[-1]
            parse_into(message, {field.json_name: body}, "request body")
    taken = {v.field_path for v in binding.template.variables} | ({binding.body} if binding.body else set())
    if binding.body != "*" and query:
        parse_into(message, query_dict(desc, query, taken), "query parameters")
    path_json: dict = {}
    for path, value in path_vars.items():
        fields = resolve_path(desc, path)
        _place(path_json, fields, _scalar(fields[-1], value, path))
    parse_into(message, path_json, "path")
    return message


def to_json(message: Message, response_body: str = "") -> Any:
    """The proto3 JSON of ``message`` (lowerCamelCase, enums as names, fields without presence always shown)."""
    data = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    if response_body:
        field = resolve_path(message.DESCRIPTOR, response_body)[-1]
        return data.get(field.json_name)
    return data

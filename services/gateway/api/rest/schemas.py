"""JSON Schemas (OpenAPI 3.1 = JSON Schema 2020-12) for proto messages in their proto3 JSON form.

Messages and enums become components named by their full proto name (``idphoto.v1.Job``); fields use their
JSON names; 64-bit integers are strings on output and strings or numbers on input; bytes are base64; the
well-known types take their JSON shapes (Timestamp = RFC 3339 string, Struct = any object …). Descriptions are
the proto comments.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor

from services.gateway.api.rest.descriptors import ApiSurface
from services.gateway.api.rest.mapping import FD

INT32 = {"type": "integer", "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
UINT32 = {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}
INT64 = {"type": ["string", "integer"], "format": "int64", "pattern": "^-?[0-9]{1,19}$",
         "minimum": -(2**63), "maximum": 2**63 - 1}
UINT64 = {"type": ["string", "integer"], "pattern": "^[0-9]{1,20}$", "minimum": 0, "maximum": 2**64 - 1}
SCALARS: dict[int, dict[str, Any]] = {
    FD.TYPE_DOUBLE: {"type": "number", "format": "double"}, FD.TYPE_FLOAT: {"type": "number", "format": "float"},
    FD.TYPE_INT32: INT32, FD.TYPE_SINT32: INT32, FD.TYPE_SFIXED32: INT32,
    FD.TYPE_UINT32: UINT32, FD.TYPE_FIXED32: UINT32,
    FD.TYPE_INT64: INT64, FD.TYPE_SINT64: INT64, FD.TYPE_SFIXED64: INT64,
    FD.TYPE_UINT64: UINT64, FD.TYPE_FIXED64: UINT64,
    FD.TYPE_BOOL: {"type": "boolean"}, FD.TYPE_STRING: {"type": "string"},
    FD.TYPE_BYTES: {"type": "string", "format": "byte", "contentEncoding": "base64"},
}
WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time"},
    "google.protobuf.Duration": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,9})?s$"},
    "google.protobuf.FieldMask": {"type": "string"},
    "google.protobuf.Struct": {"type": "object", "additionalProperties": True},
    "google.protobuf.Value": {},
    "google.protobuf.ListValue": {"type": "array"},
    "google.protobuf.Empty": {"type": "object", "additionalProperties": False},
    "google.protobuf.Any": {"type": "object", "properties": {"@type": {"type": "string"}}, "required": ["@type"]},
}
WRAPPED = {"Double": FD.TYPE_DOUBLE, "Float": FD.TYPE_FLOAT, "Int64": FD.TYPE_INT64, "UInt64": FD.TYPE_UINT64,
           "Int32": FD.TYPE_INT32, "UInt32": FD.TYPE_UINT32, "Bool": FD.TYPE_BOOL, "String": FD.TYPE_STRING,
           "Bytes": FD.TYPE_BYTES}
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error: a stable code (the error table in docs/api.md, or NOT_FOUND / METHOD_NOT_ALLOWED "
                   "/ UNSUPPORTED_MEDIA_TYPE for the HTTP layer, or a gRPC status name), a one-line message and "
                   "details.",
    "required": ["code", "message", "details"],
    "properties": {"code": {"type": "string", "examples": ["NO_FACE", "JOB_NOT_FOUND", "INVALID_INPUT"]},
                   "message": {"type": "string"}, "details": {"type": "object", "additionalProperties": True}},
    "additionalProperties": False,
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _described(schema: dict[str, Any], text: str) -> dict[str, Any]:
    return {**schema, "description": text} if text else dict(schema)


class SchemaBuilder:
    def __init__(self, surface: ApiSurface) -> None:
        self.surface = surface
        self.components: dict[str, dict[str, Any]] = {"Error": ERROR_SCHEMA}

    def message(self, desc: descriptor.Descriptor) -> dict[str, Any]:
        """The schema of a message: a well-known shape inline, else a $ref to its component."""
        if desc.full_name in WELL_KNOWN:
            return dict(WELL_KNOWN[desc.full_name])
        wrapped = desc.full_name.removeprefix("google.protobuf.").removesuffix("Value")
        if desc.full_name.startswith("google.protobuf.") and wrapped in WRAPPED:
            inner = dict(SCALARS[WRAPPED[wrapped]])
            kinds = inner["type"] if isinstance(inner["type"], list) else [inner["type"]]
            return {**inner, "type": [*kinds, "null"]}
        if desc.full_name not in self.components:
            self.components[desc.full_name] = {}          # placeholder: recursion stops here
            self.components[desc.full_name] = self.object(desc)
        return ref(desc.full_name)

    def object(self, desc: descriptor.Descriptor, skip: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The object schema of a message's fields (except ``skip``, proto names)."""
        properties = {f.json_name: self.field(f) for f in desc.fields if f.name not in skip}
        schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
        return _described(schema, self.surface.comment(desc.full_name))

    def enum(self, desc: descriptor.EnumDescriptor) -> dict[str, Any]:
        if desc.full_name not in self.components:
            lines = [self.surface.comment(desc.full_name)]
            lines += [f"{v.name}: {self.surface.comment(f'{desc.full_name}.{v.name}')}" for v in desc.values]
            self.components[desc.full_name] = {"type": "string", "enum": [v.name for v in desc.values],
                                               "description": "\n".join(line for line in lines if line)}
        return ref(desc.full_name)

    def single(self, field: FD) -> dict[str, Any]:
        """One value of ``field`` (ignoring repetition)."""
        if field.type == FD.TYPE_MESSAGE:
            return self.message(field.message_type)
        if field.type == FD.TYPE_ENUM:
            return self.enum(field.enum_type)
        return dict(SCALARS[field.type])

    def field(self, field: FD) -> dict[str, Any]:
        if field.type == FD.TYPE_MESSAGE and field.message_type.GetOptions().map_entry:
            value = self.single(field.message_type.fields_by_name["value"])
            schema: dict[str, Any] = {"type": "object", "additionalProperties": value}
        elif field.is_repeated:
            schema = {"type": "array", "items": self.single(field)}
        else:
            schema = self.single(field)
        text = self.surface.comment(field.full_name)
        oneof = field.containing_oneof
        if oneof is not None and len(oneof.fields) > 1:          # proto3 `optional` is a oneof of one
            others = ", ".join(f.json_name for f in oneof.fields if f is not field)
            text = f"{text} Exclusive with: {others}.".strip()
        if "$ref" in schema and text:
            return {"allOf": [schema], "description": text}
        return _described(schema, text)

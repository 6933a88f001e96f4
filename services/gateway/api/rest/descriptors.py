"""The REST surface as data, read from the generated descriptor set (``make proto``) at start.

Every RPC of the selected services that carries a ``google.api.http`` rule becomes a ``RestMethod`` with one
``HttpBinding`` per rule (the rule itself and its ``additional_bindings``). Message types are resolved in the
default descriptor pool (the generated ``*_pb2`` modules), so the transcoder speaks the same classes as the
gRPC code; the proto comments (source info) are kept for the OpenAPI document.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor, descriptor_pb2, descriptor_pool, message_factory

import idphoto
from services.gateway.api.rest.template import PathTemplate

DESCRIPTOR_SET = Path(idphoto.__file__).resolve().parent / "_gen" / "descriptor_set.pb"
PUBLIC_SERVICES = ("idphoto.v1.IdPhotoService",)
HTTP_VERBS = ("get", "put", "post", "delete", "patch")

# Field numbers of the descriptor.proto containers, to name the elements of source-info paths.
_FILE_MESSAGE, _FILE_ENUM, _FILE_SERVICE = 4, 5, 6
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM = 2, 3, 4
_ENUM_VALUE, _SERVICE_METHOD = 2, 2


@dataclass(frozen=True)
class HttpBinding:
    verb: str                 # "GET", "POST", … (custom rules keep their own kind)
    template: PathTemplate
    body: str                 # "" (no body), "*" (the whole request) or a top-level field name
    response_body: str        # "" (the whole response) or a top-level field name


@dataclass(frozen=True)
class RestMethod:
    service: str              # full name, e.g. "idphoto.v1.IdPhotoService"
    name: str                 # e.g. "GetJob"
    input: descriptor.Descriptor
    output: descriptor.Descriptor
    client_streaming: bool
    server_streaming: bool
    bindings: tuple[HttpBinding, ...]

    @property
    def rpc_path(self) -> str:
        return f"/{self.service}/{self.name}"

    @property
    def full_name(self) -> str:
        return f"{self.service}.{self.name}"


@dataclass(frozen=True)
class ApiSurface:
    services: tuple[str, ...]
    methods: tuple[RestMethod, ...]
    comments: dict[str, str]   # full name (message, field, enum, enum value, service, method) → leading comment

    def comment(self, full_name: str) -> str:
        return self.comments.get(full_name, "")


def message_class(desc: descriptor.Descriptor):
    return message_factory.GetMessageClass(desc)


def _ensure_in_pool(files: Iterable[descriptor_pb2.FileDescriptorProto]) -> descriptor_pool.DescriptorPool:
    """The default pool holding every file of the set: the generated module when there is one, else the file."""
    pool = descriptor_pool.Default()
    for file in files:
        module = file.name.removesuffix(".proto").replace("/", ".") + "_pb2"
        try:
            importlib.import_module(module)
            continue
        except ImportError:
            pass
        try:
            pool.FindFileByName(file.name)
        except KeyError:
            stripped = descriptor_pb2.FileDescriptorProto()
            stripped.CopyFrom(file)
            stripped.ClearField("source_code_info")
            pool.AddSerializedFile(stripped.SerializeToString())
    return pool


def _bindings(rule: http_pb2.HttpRule) -> tuple[HttpBinding, ...]:
    kind = rule.WhichOneof("pattern")
    if kind is None:
        return ()
    if kind == "custom":
        verb, path = rule.custom.kind.upper(), rule.custom.path
    else:
        verb, path = kind.upper(), getattr(rule, kind)
    own = HttpBinding(verb, PathTemplate.parse(path), rule.body, rule.response_body)
    extra = tuple(b for nested in rule.additional_bindings for b in _bindings(nested))
    return (own, *extra)


def _comments(file: descriptor_pb2.FileDescriptorProto) -> dict[str, str]:
    """Leading comments of the file's messages, fields, enums, values, services and methods by full name."""
    names: dict[tuple[int, ...], str] = {}
    prefix = f"{file.package}." if file.package else ""

    def visit_enum(path: tuple[int, ...], enum, scope: str) -> None:
        names[path] = f"{scope}{enum.name}"
        for i, value in enumerate(enum.value):
            names[(*path, _ENUM_VALUE, i)] = f"{scope}{enum.name}.{value.name}"

    def visit_message(path: tuple[int, ...], message, scope: str) -> None:
        full = f"{scope}{message.name}"
        names[path] = full
        for i, field in enumerate(message.field):
            names[(*path, _MESSAGE_FIELD, i)] = f"{full}.{field.name}"
        for i, nested in enumerate(message.nested_type):
            visit_message((*path, _MESSAGE_NESTED, i), nested, f"{full}.")
        for i, enum in enumerate(message.enum_type):
            visit_enum((*path, _MESSAGE_ENUM, i), enum, f"{full}.")

    for i, message in enumerate(file.message_type):
        visit_message((_FILE_MESSAGE, i), message, prefix)
    for i, enum in enumerate(file.enum_type):
        visit_enum((_FILE_ENUM, i), enum, prefix)
    for i, service in enumerate(file.service):
        names[(_FILE_SERVICE, i)] = f"{prefix}{service.name}"
        for j, method in enumerate(service.method):
            names[(_FILE_SERVICE, i, _SERVICE_METHOD, j)] = f"{prefix}{service.name}.{method.name}"
    found = {}
    for location in file.source_code_info.location:
        name = names.get(tuple(location.path))
        text = " ".join(line.strip() for line in location.leading_comments.strip().splitlines())
        if name and text:
            found[name] = text
    return found


def load_surface(services: Iterable[str] = PUBLIC_SERVICES, path: Path = DESCRIPTOR_SET) -> ApiSurface:
    """The HTTP-annotated RPCs of ``services`` from the descriptor set at ``path``."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make proto`")
    files = descriptor_pb2.FileDescriptorSet.FromString(path.read_bytes()).file
    pool = _ensure_in_pool(files)
    wanted = tuple(services)
    comments: dict[str, str] = {}
    methods: list[RestMethod] = []
    for file in files:
        comments.update(_comments(file))
        for service in file.service:
            full = f"{file.package}.{service.name}" if file.package else service.name
            if full not in wanted:
                continue
            for method in service.method:
                bindings = _bindings(method.options.Extensions[annotations_pb2.http])
                if not bindings:
                    continue
                methods.append(RestMethod(
                    full, method.name, pool.FindMessageTypeByName(method.input_type.lstrip(".")),
                    pool.FindMessageTypeByName(method.output_type.lstrip(".")), method.client_streaming,
                    method.server_streaming, bindings))
    missing = set(wanted) - {m.service for m in methods}
    if missing:
        raise LookupError(f"no HTTP-annotated methods for {sorted(missing)} in {path}")
    return ApiSurface(wanted, tuple(methods), comments)

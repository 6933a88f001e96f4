"""The OpenAPI document: generated from the descriptors, valid OpenAPI 3.1, served as /openapi.json, covering every
HTTP rule; and schemathesis against the running mesh finds no 5xx and only responses that match the schema."""

from __future__ import annotations

import pytest
import schemathesis
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2
from hypothesis import HealthCheck, settings
from openapi_spec_validator import OpenAPIV31SpecValidator, validate
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.gateway.api.rest.descriptors import DESCRIPTOR_SET, load_surface
from services.gateway.api.rest.openapi import build_openapi

EXAMPLES_PER_OPERATION = 25


@pytest.fixture(scope="module")
def document() -> dict:
    return build_openapi(load_surface())


def _rules() -> set[tuple[str, str]]:
    """(verb, path) of every google.api.http rule of IdPhotoService, read straight from the descriptor set."""
    found = set()
    for file in descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes()).file:
        for service in file.service:
            if service.name != "IdPhotoService":
                continue
            for method in service.method:
                rule = method.options.Extensions[annotations_pb2.http]
                kind = rule.WhichOneof("pattern")
                found.add((kind, getattr(rule, kind)))
    return found


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_http_rule_is_an_operation_with_the_error_schema(document):
    operations = {(verb, path) for path, item in document["paths"].items() for verb in item}
    assert operations == _rules()
    for item in document["paths"].values():
        for operation in item.values():
            assert operation["responses"]["default"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}
            assert operation["operationId"] and operation["summary"]
    schemas = document["components"]["schemas"]
    assert schemas["idphoto.v1.JobState"]["enum"][0] == "JOB_STATE_UNSPECIFIED"
    job = schemas["idphoto.v1.Job"]["properties"]
    assert job["createTime"]["format"] == "date-time" and job["report"]["type"] == "object"
    assert schemas["idphoto.v1.Upload"]["properties"]["sizeBytes"]["format"] == "int64"
    assert "Lifecycle state" in str(job["state"])                        # the proto comments are the docs


def test_parameters_and_bodies_follow_the_rules(document):
    paths = document["paths"]
    watch = paths["/v1/jobs/{job_id}:watch"]["get"]
    names = {(p["in"], p["name"]) for p in watch["parameters"]}
    assert names == {("path", "job_id"), ("query", "afterEventId"), ("header", "Last-Event-ID")}
    assert "text/event-stream" in watch["responses"]["200"]["content"]
    finalize = paths["/v1/jobs/{job_id}:finalize"]["post"]
    body = finalize["requestBody"]["content"]["application/json"]["schema"]
    assert "jobId" not in body["properties"] and "options" in body["properties"]
    upload = paths["/v1/uploads"]["post"]["requestBody"]["content"]
    assert upload["multipart/form-data"]["schema"]["required"] == ["file"]
    specs = {p["name"] for p in paths["/v1/specs"]["get"]["parameters"]}
    assert specs == {"country", "pageSize", "pageToken"}


def test_served_document_is_the_generated_one(http, document):
    response = http.get("/openapi.json")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.json() == document


# Loaded from the generated document at import (no server needed); each call goes to the running mesh.
schema = schemathesis.openapi.from_dict(build_openapi(load_surface()))


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_schemathesis_finds_no_server_error(case, base_url):
    case.call_and_validate(base_url=base_url, timeout=30,
                           checks=[not_a_server_error, response_schema_conformance, status_code_conformance,
                                   content_type_conformance])

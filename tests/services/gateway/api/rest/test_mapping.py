"""Request messages from path, query and body, and proto3 JSON back, on the real descriptors (no server)."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2

from idphoto.v1 import idphoto_pb2
from services.gateway.api.rest.descriptors import HttpBinding, load_surface
from services.gateway.api.rest.errors import RestError, from_rpc
from services.gateway.api.rest.mapping import build_request, to_json
from services.gateway.api.rest.template import PathTemplate

SURFACE = load_surface()


def route(name: str):
    method = next(m for m in SURFACE.methods if m.name == name)
    return method, method.bindings[0]


def test_query_parameters_in_either_spelling_with_types():
    method, binding = route("ListJobs")
    message = build_request(method.input, binding, {}, [("page_size", "7"), ("pageToken", "t"),
                                                        ("state", "JOB_STATE_QUEUED")])
    assert (message.page_size, message.page_token, message.state) == (7, "t", idphoto_pb2.JOB_STATE_QUEUED)
    by_number = build_request(method.input, binding, {}, [("state", "5")])
    assert by_number.state == idphoto_pb2.JOB_STATE_SUCCEEDED


def test_path_wins_over_body_and_body_fills_the_rest():
    method, binding = route("FinalizeJob")
    body = {"jobId": "from-body", "options": {"background": "blue", "maxKb": 240, "sheetCutGuides": False},
            "specId": "uk-passport"}
    message = build_request(method.input, binding, {"job_id": "from-path"}, [], body)
    assert message.job_id == "from-path" and message.spec_id == "uk-passport"
    assert message.options.background == "blue" and message.options.max_kb == 240
    assert message.options.HasField("sheet_cut_guides") and not message.options.sheet_cut_guides


def test_nested_query_fields_and_field_bodies():
    method = next(m for m in SURFACE.methods if m.name == "CreateJob")
    by_query = HttpBinding("GET", PathTemplate.parse("/x/{spec_id}"), "", "")
    message = build_request(method.input, by_query, {"spec_id": "us-passport"},
                            [("options.background", "red"), ("options.sheet_cut_guides", "false"),
                             ("finalize", "1")])
    assert message.spec_id == "us-passport" and message.options.background == "red" and message.finalize
    assert message.options.HasField("sheet_cut_guides")
    options_body = HttpBinding("POST", PathTemplate.parse("/x/{spec_id}"), "options", "")
    message = build_request(method.input, options_body, {"spec_id": "s"}, [("finalize", "true")],
                            {"background": "white", "dpi": 600})
    assert message.options.dpi == 600 and message.finalize


@pytest.mark.parametrize(("name", "query", "body", "why"), [
    ("ListJobs", [("options", "x")], None, "unknown field"),
    ("ListJobs", [("state", "SLEEPING")], None, "state"),
    ("ListJobs", [("page_size", "99999999999")], None, "page"),
    ("ListJobs", [("page_size", "1"), ("pageSize", "2")], None, None),
    ("GetJob", [("job_id", "x")], None, "set by the path"),
    ("CreateJob", [], ["not", "an", "object"], "JSON object"),
    ("CreateJob", [], {"options": {"brightness": "bright"}}, "brightness"),
    ("CreateJob", [], {"image": 12}, "image"),
])
def test_bad_inputs_are_400_invalid_input(name, query, body, why):
    method, binding = route(name)
    path = {"job_id": "j"} if "{job_id}" in binding.template.source else {}
    with pytest.raises(RestError) as caught:
        build_request(method.input, binding, path, query, body)
    assert caught.value.status == 400 and caught.value.code == "INVALID_INPUT"
    if why:
        assert why in caught.value.message


def test_to_json_is_proto3_json_with_defaults():
    job = idphoto_pb2.Job(id="j", state=idphoto_pb2.JOB_STATE_RUNNING, attempts=2)
    data = to_json(job)
    assert data["state"] == "JOB_STATE_RUNNING" and data["attempts"] == 2 and data["progress"] == 0
    assert data["outputs"] == [] and "report" not in data and "createTime" not in data
    upload = to_json(idphoto_pb2.Upload(size_bytes=2**40))
    assert upload["sizeBytes"] == str(2**40)
    listing = idphoto_pb2.ListJobsResponse(jobs=[job], next_page_token="n")
    assert to_json(listing, "jobs")[0]["id"] == "j"


class FakeRpcError(Exception):
    def __init__(self, code, details="", trailing=()):
        super().__init__(details)
        self._code, self._details, self._trailing = code, details, trailing

    def code(self):
        return self._code

    def details(self):
        return self._details

    def trailing_metadata(self):
        return self._trailing


def test_rpc_errors_map_by_error_info_then_by_the_google_table():
    import grpc

    from idphoto.errors import NoFaceError
    from idphoto.rpc.errors import STATUS_DETAILS_KEY, rich_status

    status = rich_status(NoFaceError(faces=0)).SerializeToString()
    typed = from_rpc(FakeRpcError(grpc.StatusCode.INVALID_ARGUMENT, "no face", ((STATUS_DETAILS_KEY, status),)))
    assert (typed.status, typed.code, typed.details) == (422, "NO_FACE", {"faces": 0})
    plain = from_rpc(FakeRpcError(grpc.StatusCode.RESOURCE_EXHAUSTED, "too big"))
    assert (plain.status, plain.code, plain.message) == (429, "RESOURCE_EXHAUSTED", "too big")
    hidden = from_rpc(FakeRpcError(grpc.StatusCode.UNKNOWN, "secret stack trace"))
    assert (hidden.status, hidden.code, hidden.message) == (500, "INTERNAL", "internal error")
    down = from_rpc(FakeRpcError(grpc.StatusCode.UNAVAILABLE, "connection refused"))
    assert (down.status, down.code) == (503, "SERVICE_UNAVAILABLE")
    assert from_rpc(FakeRpcError(grpc.StatusCode.UNIMPLEMENTED)).status == 501


def test_descriptor_comments_are_read():
    assert SURFACE.comment("idphoto.v1.IdPhotoService.GetJob") == "Returns a job's current snapshot."
    assert "Lifecycle state" in SURFACE.comment("idphoto.v1.Job.state")
    assert SURFACE.comment("idphoto.v1.JobState.JOB_STATE_QUEUED")
    assert descriptor_pb2.FileDescriptorSet  # the set is parsed, not the pb2 modules' stripped copies

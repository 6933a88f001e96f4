"""The gRPC contracts in protos/idphoto/v1: generated code imports, the public API's fixed shape (RPC names,
streaming, HTTP rules, JobState, field numbers), message round-trips, and `buf lint`."""

from __future__ import annotations

import importlib
import subprocess
from pathlib import Path

import numpy as np
import pytest
from google.api import annotations_pb2
from google.protobuf import descriptor_pb2, json_format

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / ".cache" / "tools" / "node_modules" / ".bin" / "buf"
DESCRIPTOR_SET = ROOT / "idphoto" / "_gen" / "descriptor_set.pb"
PROTO_NAMES = ("common", "batch", "idphoto", "face", "matting", "compose")

try:
    from idphoto.v1 import batch_pb2, common_pb2, compose_pb2, face_pb2, idphoto_pb2, idphoto_pb2_grpc, matting_pb2
except ImportError as exc:  # pragma: no cover - the message is the point
    raise ImportError(f"generated protobuf code is missing or stale: run `make proto` ({exc})") from exc

# name -> (client_streaming, server_streaming, verb, path, body)
PUBLIC_RPCS = {
    "UploadImage": (True, False, "post", "/v1/uploads", "*"),
    "CreateJob": (False, False, "post", "/v1/jobs", "*"),
    "GetJob": (False, False, "get", "/v1/jobs/{job_id}", ""),
    "WatchJob": (False, True, "get", "/v1/jobs/{job_id}:watch", ""),
    "FinalizeJob": (False, False, "post", "/v1/jobs/{job_id}:finalize", "*"),
    "CancelJob": (False, False, "post", "/v1/jobs/{job_id}:cancel", "*"),
    "ListJobs": (False, False, "get", "/v1/jobs", ""),
    "ListSpecs": (False, False, "get", "/v1/specs", ""),
    "CreateBatch": (False, False, "post", "/v1/batches", "*"),
    "GetBatch": (False, False, "get", "/v1/batches/{batch_id}", ""),
    "WatchBatch": (False, True, "get", "/v1/batches/{batch_id}:watch", ""),
    "CancelBatch": (False, False, "post", "/v1/batches/{batch_id}:cancel", "*"),
    "ListBatches": (False, False, "get", "/v1/batches", ""),
    "ListBatchItems": (False, False, "get", "/v1/batches/{batch_id}/items", ""),
}

PUBLIC_TYPES = {
    "UploadImage": ("UploadImageRequest", "Upload"),
    "CreateJob": ("CreateJobRequest", "Job"),
    "GetJob": ("GetJobRequest", "Job"),
    "WatchJob": ("WatchJobRequest", "JobEvent"),
    "FinalizeJob": ("FinalizeJobRequest", "Job"),
    "CancelJob": ("CancelJobRequest", "Job"),
    "ListJobs": ("ListJobsRequest", "ListJobsResponse"),
    "ListSpecs": ("ListSpecsRequest", "ListSpecsResponse"),
    "CreateBatch": ("CreateBatchRequest", "Batch"),
    "GetBatch": ("GetBatchRequest", "Batch"),
    "WatchBatch": ("WatchBatchRequest", "BatchEvent"),
    "CancelBatch": ("CancelBatchRequest", "Batch"),
    "ListBatches": ("ListBatchesRequest", "ListBatchesResponse"),
    "ListBatchItems": ("ListBatchItemsRequest", "ListBatchItemsResponse"),
}

JOB_STATES = {
    "JOB_STATE_UNSPECIFIED": 0, "JOB_STATE_QUEUED": 1, "JOB_STATE_RUNNING": 2, "JOB_STATE_PREVIEW_READY": 3,
    "JOB_STATE_FINALIZING": 4, "JOB_STATE_SUCCEEDED": 5, "JOB_STATE_FAILED": 6, "JOB_STATE_CANCELLED": 7,
}

# Field numbers clients depend on: changing one of these is a breaking change.
FIELD_NUMBERS = {
    idphoto_pb2.Job: {
        "id": 1, "state": 2, "progress": 3, "stage": 4, "spec_id": 5, "options": 6, "outputs": 7, "report": 8,
        "measurements": 9, "error": 10, "attempts": 11, "create_time": 12, "update_time": 13, "finish_time": 14,
        "upload_id": 15, "idempotency_key": 16, "batch_id": 17, "webhook_url": 18, "webhook_deliveries": 19,
        "image_url": 20, "expire_time": 21,
    },
    batch_pb2.Batch: {
        "id": 1, "state": 2, "total": 3, "succeeded": 4, "failed": 5, "cancelled": 6, "running": 7, "pending": 8,
        "progress": 9, "outputs": 10, "webhook_url": 11, "webhook_deliveries": 12, "source": 13, "spec_id": 14,
        "max_concurrency": 15, "idempotency_key": 16, "create_time": 17, "update_time": 18, "finish_time": 19,
        "expire_time": 20,
    },
    batch_pb2.CreateBatchRequest: {"file": 1, "filename": 2, "content_type": 3, "spec_id": 4, "options": 5,
                                   "items": 6, "webhook_url": 7, "idempotency_key": 8, "max_concurrency": 9},
    batch_pb2.BatchItem: {"image_url": 1, "upload_id": 2, "image": 3, "spec_id": 4, "external_id": 5, "options": 6},
    batch_pb2.WebhookDelivery: {"delivery_id": 1, "type": 2, "url": 3, "state": 4, "attempts": 5},
    batch_pb2.WebhookAttempt: {"attempt": 1, "status_code": 2, "time": 3, "error": 4},
    idphoto_pb2.JobEvent: {"event_id": 1, "state": 2, "progress": 3, "stage": 4, "job": 5, "event_time": 6},
    common_pb2.Output: {"kind": 1, "url": 2, "content_type": 3, "width_px": 4, "height_px": 5, "size_bytes": 6,
                         "key": 7, "url_expire_time": 8},
    idphoto_pb2.Upload: {"upload_id": 1, "sha256": 2, "size_bytes": 3, "content_type": 4, "filename": 5,
                         "create_time": 6, "expire_time": 7},
    idphoto_pb2.UploadImageRequest: {"filename": 1, "content_type": 2, "size_bytes": 3, "data": 4},
    idphoto_pb2.CreateJobRequest: {"upload_id": 1, "image": 2, "spec_id": 3, "options": 4, "finalize": 5,
                                   "idempotency_key": 6, "webhook_url": 7, "image_url": 8},
    idphoto_pb2.WatchJobRequest: {"job_id": 1, "after_event_id": 2},
    idphoto_pb2.FinalizeJobRequest: {"job_id": 1, "options": 2, "spec_id": 3},
    idphoto_pb2.ListJobsRequest: {"page_size": 1, "page_token": 2, "state": 3},
    idphoto_pb2.ListSpecsRequest: {"country": 1, "page_size": 2, "page_token": 3},
    common_pb2.RenderOptions: {
        "background": 1, "brightness": 2, "contrast": 3, "saturation": 4, "sharpness": 5, "format": 6,
        "max_kb": 7, "sheet": 8, "sheet_gap_mm": 9, "sheet_margin_mm": 10, "sheet_cut_guides": 11, "dpi": 12,
    },
    common_pb2.Error: {"code": 1, "message": 2, "details": 3},
    common_pb2.Tensor: {"shape": 1, "dtype": 2, "data": 3},
    common_pb2.HeadGeometry: {
        "crown_y": 1, "chin_y": 2, "eye_y": 3, "center_x": 4, "left_pupil": 5, "right_pupil": 6,
        "residual_roll_deg": 7, "face_box": 8, "crown_at_edge": 9, "yaw_deg": 10, "pitch_deg": 11,
        "eye_openness": 12, "mouth_openness": 13, "mesh_score": 14, "chin_confidence": 15, "crown_confidence": 16,
    },
}


def _rpcs(module, service: str) -> dict:
    return {m.name: m for m in module.DESCRIPTOR.services_by_name[service].methods}


# --- generated code ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PROTO_NAMES)
def test_generated_modules_import(name):
    pb2 = importlib.import_module(f"idphoto.v1.{name}_pb2")
    importlib.import_module(f"idphoto.v1.{name}_pb2_grpc")
    assert pb2.DESCRIPTOR.package == "idphoto.v1"
    assert pb2.DESCRIPTOR.name == f"idphoto/v1/{name}.proto"


def test_generated_code_lives_in_gen_folder():
    import idphoto.v1

    assert Path(idphoto.v1.__file__).parent == ROOT / "idphoto" / "_gen" / "idphoto" / "v1"
    assert not (ROOT / "idphoto" / "_gen" / "idphoto" / "__init__.py").exists()


def test_grpc_stubs_and_servicers_exist():
    from idphoto.v1 import compose_pb2_grpc, face_pb2_grpc, matting_pb2_grpc

    for module, service in ((idphoto_pb2_grpc, "IdPhotoService"), (face_pb2_grpc, "FaceService"),
                            (matting_pb2_grpc, "MattingService"), (compose_pb2_grpc, "ComposeService")):
        assert hasattr(module, f"{service}Stub")
        assert hasattr(module, f"{service}Servicer")
        assert hasattr(module, f"add_{service}Servicer_to_server")


def test_descriptor_set_has_imports_and_source_info():
    fds = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
    files = {f.name: f for f in fds.file}
    for name in PROTO_NAMES:
        assert files[f"idphoto/v1/{name}.proto"].source_code_info.location, name
    for dep in ("google/api/annotations.proto", "google/api/http.proto", "google/protobuf/struct.proto",
                "google/protobuf/timestamp.proto", "google/protobuf/descriptor.proto"):
        assert dep in files, dep


# --- the public API ----------------------------------------------------------------------------------------

def test_public_service_has_exactly_the_fixed_rpcs():
    rpcs = _rpcs(idphoto_pb2, "IdPhotoService")
    assert set(rpcs) == set(PUBLIC_RPCS)
    for name, (client_streaming, server_streaming, *_) in PUBLIC_RPCS.items():
        assert rpcs[name].client_streaming is client_streaming, name
        assert rpcs[name].server_streaming is server_streaming, name
        request, response = PUBLIC_TYPES[name]
        assert rpcs[name].input_type.full_name == f"idphoto.v1.{request}", name
        assert rpcs[name].output_type.full_name == f"idphoto.v1.{response}", name


@pytest.mark.parametrize("name", sorted(PUBLIC_RPCS))
def test_public_rpc_http_rule(name):
    _, _, verb, path, body = PUBLIC_RPCS[name]
    options = _rpcs(idphoto_pb2, "IdPhotoService")[name].GetOptions()
    assert options.HasExtension(annotations_pb2.http), f"{name} has no google.api.http rule"
    rule = options.Extensions[annotations_pb2.http]
    assert rule.WhichOneof("pattern") == verb
    assert getattr(rule, verb) == path
    assert rule.body == body
    # every {variable} in the path is a field of the request
    request = _rpcs(idphoto_pb2, "IdPhotoService")[name].input_type
    for var in (part.split("}")[0] for part in path.split("{")[1:]):
        assert var in request.fields_by_name, (name, var)


def test_job_state_enum_values():
    values = {v.name: v.number for v in idphoto_pb2.JobState.DESCRIPTOR.values}
    assert values == JOB_STATES


@pytest.mark.parametrize("message", list(FIELD_NUMBERS), ids=lambda m: m.DESCRIPTOR.name)
def test_field_numbers_are_pinned(message):
    assert {f.name: f.number for f in message.DESCRIPTOR.fields} == FIELD_NUMBERS[message]


def test_unset_differs_from_zero_where_it_matters():
    options = common_pb2.RenderOptions()
    for name in ("max_kb", "sheet_gap_mm", "sheet_margin_mm", "sheet_cut_guides", "dpi"):
        assert not options.HasField(name), name
    options.sheet_gap_mm = 0.0
    options.sheet_cut_guides = False
    parsed = common_pb2.RenderOptions.FromString(options.SerializeToString())
    assert parsed.HasField("sheet_gap_mm") and parsed.sheet_gap_mm == 0.0
    assert parsed.HasField("sheet_cut_guides") and parsed.sheet_cut_guides is False
    assert not parsed.HasField("sheet_margin_mm")
    assert idphoto_pb2.FinalizeJobRequest(job_id="j").HasField("spec_id") is False
    assert idphoto_pb2.UploadImageRequest().HasField("size_bytes") is False


def test_create_job_source_is_a_oneof():
    req = idphoto_pb2.CreateJobRequest(upload_id="u1", spec_id="us-passport")
    assert req.WhichOneof("source") == "upload_id"
    req.image = b"\xff\xd8"
    assert req.WhichOneof("source") == "image"
    assert req.upload_id == ""


def _full_job() -> idphoto_pb2.Job:
    job = idphoto_pb2.Job(
        id="job-1", state=idphoto_pb2.JOB_STATE_SUCCEEDED, progress=1.0, stage="export", spec_id="us-passport",
        options=common_pb2.RenderOptions(background="light-grey", brightness=5, format="png", max_kb=240,
                                         sheet="4r", sheet_cut_guides=False, dpi=600),
        outputs=[common_pb2.Output(kind="photo", url="http://minio/p.png", content_type="image/png",
                                    width_px=600, height_px=600, size_bytes=12345, key="jobs/job-1/photo.png")],
        measurements=common_pb2.HeadGeometry(crown_y=10.5, chin_y=400.25, eye_y=200, center_x=300,
                                             left_pupil=common_pb2.Point(x=250, y=200),
                                             right_pupil=common_pb2.Point(x=350, y=201),
                                             residual_roll_deg=0.1,
                                             face_box=common_pb2.Box(x0=1, y0=2, x1=3, y1=4)),
        error=common_pb2.Error(code="NO_FACE", message="no face found in the photo", details={"a": "1"}),
        attempts=2, upload_id="up-1", idempotency_key="k-1",
    )
    job.report.update({"compliant": True, "checks": [{"rule": "head_height", "ok": True}], "head_mm": 31.2})
    job.create_time.FromSeconds(1_700_000_000)
    job.update_time.FromSeconds(1_700_000_005)
    job.finish_time.FromSeconds(1_700_000_006)
    return job


def test_job_and_event_round_trip_binary_and_json():
    job = _full_job()
    event = idphoto_pb2.JobEvent(event_id="1700000000000-0", state=job.state, progress=job.progress,
                                 stage=job.stage, job=job)
    event.event_time.FromSeconds(1_700_000_006)
    assert idphoto_pb2.JobEvent.FromString(event.SerializeToString()) == event
    as_json = json_format.MessageToJson(event)
    assert '"JOB_STATE_SUCCEEDED"' in as_json and '"2023-11-14T22:13:26Z"' in as_json
    assert json_format.Parse(as_json, idphoto_pb2.JobEvent()) == event
    assert json_format.MessageToDict(job)["report"]["checks"][0]["rule"] == "head_height"


def test_list_responses_round_trip():
    jobs = idphoto_pb2.ListJobsResponse(jobs=[_full_job(), idphoto_pb2.Job(id="job-2")], next_page_token="t2")
    assert idphoto_pb2.ListJobsResponse.FromString(jobs.SerializeToString()) == jobs
    spec = common_pb2.Spec(id="us-passport", country="us", country_name="United States", document="Passport",
                           width_mm=50.8, height_mm=50.8, width_px=600, height_px=600, dpi=300,
                           head_min_mm=25, head_max_mm=35, eye_line_mm=common_pb2.Range(min=28, max=35),
                           background="#ffffff", backgrounds=["white", "off-white"], geometry="official",
                           source="travel.state.gov", requirements=["neutral expression"])
    specs = idphoto_pb2.ListSpecsResponse(specs=[spec], next_page_token="", total_size=1)
    parsed = idphoto_pb2.ListSpecsResponse.FromString(specs.SerializeToString())
    assert parsed == specs
    assert not parsed.specs[0].HasField("crown_margin_mm") and parsed.specs[0].HasField("eye_line_mm")


@pytest.mark.parametrize("array", [
    np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3),
    np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4),
    np.array([[True, False], [False, True]]),
], ids=["uint8", "float32", "bool"])
def test_tensor_round_trips_numpy(array):
    tensor = common_pb2.Tensor(shape=list(array.shape), dtype=str(array.dtype),
                               data=np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes())
    parsed = common_pb2.Tensor.FromString(tensor.SerializeToString())
    back = np.frombuffer(parsed.data, dtype=np.dtype(parsed.dtype).newbyteorder("<")).reshape(tuple(parsed.shape))
    np.testing.assert_array_equal(back, array)


# --- internal services -------------------------------------------------------------------------------------

@pytest.mark.parametrize("module, service, expected", [
    ("face", "FaceService", {"Detect": (False, False)}),
    ("matting", "MattingService", {"Matte": (False, False), "MatteStream": (True, True)}),
    ("compose", "ComposeService", {"Render": (False, False), "Layout": (False, False)}),
])
def test_internal_services(module, service, expected):
    rpcs = _rpcs(importlib.import_module(f"idphoto.v1.{module}_pb2"), service)
    assert {name: (m.client_streaming, m.server_streaming) for name, m in rpcs.items()} == expected
    for method in rpcs.values():        # internal RPCs are not exposed over REST
        assert not method.GetOptions().HasExtension(annotations_pb2.http)


def test_internal_messages_round_trip():
    face = common_pb2.Face(box=common_pb2.Box(x0=10, y0=20, x1=110, y1=140), score=0.99,
                           landmarks=[common_pb2.Point(x=i, y=i + 0.5) for i in range(5)])
    detect = face_pb2.DetectResponse(faces=[face], face=face, face_count=1,
                                     alignment=face_pb2.Alignment(angle_deg=-1.5, center=common_pb2.Point(x=60, y=80),
                                                                  left_pupil=common_pb2.Point(x=40, y=60),
                                                                  right_pupil=common_pb2.Point(x=80, y=61)))
    assert face_pb2.DetectResponse.FromString(detect.SerializeToString()) == detect

    matte = matting_pb2.MatteResponse(request_id="r7", model="rvm", inference_ms=12.5,
                                      alpha=common_pb2.Tensor(shape=[2, 2], dtype="float32", data=bytes(16)))
    assert matting_pb2.MatteResponse.FromString(matte.SerializeToString()) == matte

    cutout = common_pb2.Cutout(rgba=common_pb2.Tensor(shape=[2, 2, 4], dtype="uint8", data=bytes(16)),
                               valid=common_pb2.Tensor(shape=[2, 2], dtype="bool", data=b"\x01\x01\x00\x01"),
                               head=common_pb2.HeadGeometry(crown_y=1, chin_y=2), face_count=1,
                               source_width_px=4000, source_height_px=3000, roll_corrected_deg=2.0)
    cutout.meta.update({"region_matrix": [[1, 0, 0], [0, 1, 0]]})
    render = compose_pb2.RenderRequest(cutout=cutout, spec_id="us-passport",
                                       options=common_pb2.RenderOptions(sheet="4r"))
    assert render.WhichOneof("spec_ref") == "spec_id"
    assert compose_pb2.RenderRequest.FromString(render.SerializeToString()) == render
    layout = compose_pb2.LayoutResponse(sheet=b"jpg", content_type="image/jpeg", layout=compose_pb2.SheetLayout(
        paper="4r", width_px=1200, height_px=1800, dpi=300, cols=2, rows=3,
        positions=[common_pb2.Point(x=10, y=20)]))
    assert compose_pb2.LayoutResponse.FromString(layout.SerializeToString()) == layout


# --- lint --------------------------------------------------------------------------------------------------

def test_buf_lint_passes():
    if not BUF.exists():
        pytest.fail(f"buf is not installed at {BUF.relative_to(ROOT)}: run `make setup` (or `make buf`)")
    if not (ROOT / "idphoto" / "_gen" / "proto_deps" / "google" / "api" / "http.proto").exists():
        pytest.fail("idphoto/_gen/proto_deps is missing (buf needs google/api/*.proto): run `make proto`")
    result = subprocess.run([str(BUF), "lint"], check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"buf lint failed:\n{result.stdout}{result.stderr}"


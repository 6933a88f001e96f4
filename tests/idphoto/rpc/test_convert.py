import numpy as np
import pytest

from idphoto.domain.face import FaceAnalysis
from idphoto.domain.sheets import SheetLayout
from idphoto.domain.specs import get_spec, list_specs, parse_spec
from idphoto.domain.types import Alignment, Cutout, Face, HeadGeometry, RenderOptions, RenderResult
from idphoto.rpc.convert import (
    cutout_from_proto,
    cutout_to_proto,
    dict_to_struct,
    face_analysis_from_proto,
    face_analysis_to_proto,
    head_from_proto,
    head_to_proto,
    options_from_proto,
    options_to_proto,
    render_result_from_proto,
    render_result_to_proto,
    sheet_layout_from_proto,
    sheet_layout_to_proto,
    spec_from_proto,
    spec_to_proto,
    struct_to_dict,
)
from idphoto.v1 import common_pb2, compose_pb2, face_pb2

HEAD = HeadGeometry(crown_y=10.5, chin_y=90.25, eye_y=45.0, center_x=50.125, left_pupil=(40.0, 45.5),
                    right_pupil=(60.5, 44.0), residual_roll_deg=0.125, face_box=(30.0, 20.0, 70.0, 95.0),
                    crown_at_edge=True)


def _wire(message):
    return type(message).FromString(message.SerializeToString())


def test_cutout_round_trip():
    rng = np.random.default_rng(3)
    cutout = Cutout(rgba=rng.integers(0, 256, (12, 9, 4), dtype=np.uint8), valid=rng.random((12, 9)) > 0.3,
                    head=HEAD, face_count=2, source_size=(640, 480), roll_corrected_deg=-3.5,
                    meta={"region_matrix": [[1.0, 0.0, -12.5], [0.0, 1.0, 4.0]], "note": "x"})
    back = cutout_from_proto(_wire(cutout_to_proto(cutout)))
    np.testing.assert_array_equal(back.rgba, cutout.rgba)
    np.testing.assert_array_equal(back.valid, cutout.valid)
    assert back.valid.dtype == bool
    assert back.head == HEAD and head_from_proto(head_to_proto(HEAD)) == HEAD
    assert (back.face_count, back.source_size, back.roll_corrected_deg) == (2, (640, 480), -3.5)
    assert back.meta == cutout.meta
    assert np.asarray(back.meta["region_matrix"]).dtype == np.float64


@pytest.mark.parametrize("spec", [get_spec("us-passport"), get_spec("japan-passport"),
                                  parse_spec("custom:35x45mm@300,head=0.6")])
def test_spec_round_trip(spec):
    assert spec_from_proto(_wire(spec_to_proto(spec))) == spec


def test_every_catalogue_spec_round_trips():
    assert all(spec_from_proto(spec_to_proto(s)) == s for s in list_specs())


@pytest.mark.parametrize("options", [
    RenderOptions(),
    RenderOptions(background="#102030", brightness=5, contrast=-10, saturation=20.5, sharpness=-3, format="png",
                  max_kb=80, sheet="4r", sheet_gap_mm=0.0, sheet_margin_mm=1.5, sheet_cut_guides=False, dpi=600),
])
def test_options_round_trip(options):
    assert options_from_proto(_wire(options_to_proto(options))) == options


def test_empty_options_message_means_defaults():
    assert options_from_proto(common_pb2.RenderOptions()) == RenderOptions()


def test_report_struct_keeps_nesting_and_integral_ints():
    report = {"dpi": 300, "ok": True, "score": 0.75, "none": None, "checks": [{"id": "head", "value": 33.0}],
              "size": (600, 600), "np": np.float32(1.5), "count": np.int64(3)}
    back = struct_to_dict(_wire(dict_to_struct(report)), integral_to_int=True)
    assert back == {"dpi": 300, "ok": True, "score": 0.75, "none": None, "checks": [{"id": "head", "value": 33}],
                    "size": [600, 600], "np": 1.5, "count": 3}
    assert isinstance(back["dpi"], int)
    assert isinstance(struct_to_dict(dict_to_struct(report))["dpi"], float)


def test_face_analysis_round_trip():
    face = Face(box=np.array([10.0, 20.0, 110.0, 140.0]), score=0.99,
                landmarks=np.array([[40, 60], [80, 61], [60, 80], [45, 100], [75, 101]], dtype=np.float64))
    other = Face(box=np.array([1.0, 2.0, 11.0, 14.0]), score=0.91, landmarks=np.zeros((5, 2)))
    analysis = FaceAnalysis(face=face, face_count=1, alignment=Alignment(angle_deg=-1.5, center=(60.0, 70.0),
                                                                         left_pupil=(40.5, 60.25),
                                                                         right_pupil=(80.0, 61.0)))
    response = _wire(face_analysis_to_proto(analysis, [face, other]))
    assert isinstance(response, face_pb2.DetectResponse) and len(response.faces) == 2
    back = face_analysis_from_proto(response)
    np.testing.assert_array_equal(back.face.box, face.box)
    np.testing.assert_array_equal(back.face.landmarks, face.landmarks)
    assert back.face.score == pytest.approx(0.99) and back.face_count == 1
    assert back.alignment == analysis.alignment and back.mesh is None


def test_face_mesh_travels_with_the_analysis():
    from idphoto.domain.types import FaceMesh

    face = Face(box=np.array([10.0, 20.0, 110.0, 140.0]), score=0.99, landmarks=np.zeros((5, 2)))
    points = np.random.default_rng(3).uniform(0, 200, (468, 3)).astype(np.float32).astype(np.float64)
    mesh = FaceMesh(points=points, score=0.97, chin_spread_px=1.25)
    analysis = FaceAnalysis(face=face, face_count=1, alignment=Alignment(0.0, (0.0, 0.0), (0.0, 0.0), (1.0, 0.0)),
                            mesh=mesh)
    back = face_analysis_from_proto(_wire(face_analysis_to_proto(analysis, [face])))
    np.testing.assert_array_equal(back.mesh.points, points)
    assert back.mesh.score == pytest.approx(0.97) and back.mesh.chin_spread_px == pytest.approx(1.25)
    doubled = back.rescaled(2.0, 2.0).mesh
    np.testing.assert_allclose(doubled.points[:, :2], points[:, :2] * 2 + 0.5)
    np.testing.assert_allclose(doubled.points[:, 2], points[:, 2] * 2)


def test_head_geometry_keeps_unmeasured_pose_unset():
    from idphoto.domain.types import HeadGeometry
    from idphoto.rpc.convert import head_from_proto, head_to_proto

    head = HeadGeometry(crown_y=1, chin_y=9, eye_y=4, center_x=5, left_pupil=(3, 4), right_pupil=(7, 4),
                        residual_roll_deg=0.1, face_box=(2, 1, 8, 9), chin_confidence=0.8, crown_confidence=0.7)
    assert head_from_proto(_wire(head_to_proto(head))) == head
    measured = HeadGeometry(**{**head.to_dict(), "yaw_deg": 0.0, "pitch_deg": -2.5, "eye_openness": 0.3,
                               "mouth_openness": 0.0, "mesh_score": 1.0})
    assert head_from_proto(_wire(head_to_proto(measured))) == measured


def test_render_result_round_trip_and_sheet_layout():
    from tests.support.images import encode

    photo = np.full((40, 30, 3), 200, np.uint8)
    sheet = np.full((60, 90, 3), 255, np.uint8)
    plan = SheetLayout(paper="4r", width_px=90, height_px=60, dpi=300, cols=2, rows=1,
                       positions=[(5, 10), (45, 10)])
    result = RenderResult(photo=photo, photo_bytes=encode(photo), content_type="image/png",
                          report={"dpi": 300, "ok": True}, sheet=sheet, sheet_bytes=encode(sheet))
    response = _wire(render_result_to_proto(result, plan, include_photo_rgb=True))
    assert isinstance(response, compose_pb2.RenderResponse)
    assert (response.width_px, response.height_px) == (30, 40)
    assert sheet_layout_from_proto(sheet_layout_to_proto(plan)) == plan
    back = render_result_from_proto(response)
    np.testing.assert_array_equal(back.photo, photo)
    np.testing.assert_array_equal(back.sheet, sheet)
    assert (back.photo_bytes, back.sheet_bytes, back.report) == (result.photo_bytes, result.sheet_bytes,
                                                                  result.report)
    no_rgb = render_result_from_proto(_wire(render_result_to_proto(result)))
    np.testing.assert_array_equal(no_rgb.photo, photo)             # decoded from the (lossless) file
    assert not render_result_to_proto(result).HasField("sheet_layout")

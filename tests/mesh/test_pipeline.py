"""The full mesh end to end: Stage A then two Stage B renders, resumable watch, typed input errors, and
`idphoto submit` as a user runs it."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from idphoto.client import raise_for_job, state_name
from idphoto.errors import InputError, InvalidImageError, SpecNotFoundError
from idphoto.v1 import idphoto_pb2

pytestmark = [pytest.mark.models, pytest.mark.timeout(120)]
S = idphoto_pb2
BLUE = np.array([67, 142, 219])          # idphoto/domain/colors.py "blue"


def _distinct_states(events) -> list[str]:
    states: list[str] = []
    for event in events:
        name = state_name(event.state)
        if not states or states[-1] != name:
            states.append(name)
    return states


def _photo(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _border(image: Image.Image, width: int = 8) -> np.ndarray:
    rgb = np.asarray(image.convert("RGB")).astype(int)
    top, left, right = rgb[:width, :, :], rgb[:, :width, :], rgb[:, -width:, :]
    return np.concatenate([top.reshape(-1, 3), left.reshape(-1, 3), right.reshape(-1, 3)])


@pytest.fixture(scope="module")
def rendered(client, portrait):
    """One job: Stage A to PREVIEW_READY, then a default render and a blue one; the events of each phase."""
    upload = client.upload(portrait, filename="astronaut.jpg")
    job = client.create_job("us-passport", upload_id=upload.upload_id)
    stage_a = list(client.watch(job.id, timeout_s=60))
    renders = []
    for options in ({}, {"background": "blue"}):
        client.finalize(job.id, options)
        events = list(client.watch(job.id, after_event_id=stage_a[-1].event_id if not renders
                                   else renders[-1][0][-1].event_id, timeout_s=60))
        job = raise_for_job(client.get_job(job.id))
        renders.append((events, client.download("photo", job)))
    return job, stage_a, renders


def test_stage_a_reaches_preview_ready_through_queued_and_running(rendered):
    job, stage_a, _ = rendered
    assert _distinct_states(stage_a) == ["QUEUED", "RUNNING", "PREVIEW_READY"]
    stages = [e.stage for e in stage_a if e.state == S.JOB_STATE_RUNNING]
    assert "matte" in stages and stages.index("matte") > stages.index("detect_align")
    assert all(e.job.id == job.id for e in stage_a)


def test_each_render_goes_finalizing_then_succeeded(rendered):
    _, _, renders = rendered
    for events, _ in renders:
        assert _distinct_states(events) == ["FINALIZING", "SUCCEEDED"]


def test_the_photo_is_600x600_at_300_dpi_and_the_blue_render_has_a_blue_border(rendered):
    job, _, renders = rendered
    default, blue = (_photo(data) for _, data in renders)
    for image in (default, blue):
        assert image.size == (600, 600) and image.format == "JPEG"
        assert tuple(round(v) for v in image.info["dpi"]) == (300, 300)
    assert np.abs(_border(blue) - BLUE).mean(axis=0).max() < 12
    assert _border(default).mean() > 200                          # the spec's own (white/light) background
    kinds = [o.kind for o in job.outputs]
    assert sorted(kinds) == sorted(set(kinds)) and {"photo", "preview", "cutout", "report"} <= set(kinds)
    assert job.spec_id == "us-passport" and job.options.background == "blue"


def test_wait_after_a_re_render_returns_the_new_render_not_the_replayed_one(client, rendered):
    job, _, _ = rendered
    client.finalize(job.id, {"background": "light-grey", "format": "png"})
    done = raise_for_job(client.wait(job.id, timeout_s=60))
    assert state_name(done.state) == "SUCCEEDED"
    photo = client.output(done, "photo")
    assert photo.content_type == "image/png" and _photo(client.download(photo)).format == "PNG"


def test_watch_after_an_event_in_the_middle_replays_exactly_the_rest(client, rendered):
    job, _, _ = rendered
    everything = [e.event_id for e in client.watch(job.id, timeout_s=30)]
    assert len(everything) == len(set(everything)) >= 8
    middle = len(everything) // 2
    rest = [e.event_id for e in client.watch(job.id, after_event_id=everything[middle], timeout_s=30)]
    assert rest == everything[middle + 1:]


def test_a_bad_image_is_a_typed_input_error(client, portrait):
    with pytest.raises(InputError) as caught:                       # not an image at all: refused at upload
        client.upload(b"this is not an image, just text" * 10, filename="notes.jpg")
    assert caught.value.code in {"INVALID_IMAGE", "UNSUPPORTED_FORMAT"}
    truncated = portrait[: len(portrait) // 3]                      # a JPEG header, then nothing decodable
    try:
        upload = client.upload(truncated, filename="broken.jpg")
    except InvalidImageError:
        return
    job = client.wait(client.create_job("us-passport", upload_id=upload.upload_id, finalize=True).id,
                      timeout_s=60)
    assert state_name(job.state) == "FAILED"
    assert job.error.code == "INVALID_IMAGE", job.error


def test_an_unknown_spec_is_not_found(client, portrait):
    with pytest.raises(SpecNotFoundError) as caught:
        client.create_job("atlantis-passport", image=portrait)
    assert caught.value.code == "SPEC_NOT_FOUND" and caught.value.grpc_status == "NOT_FOUND"


def _idphoto(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edges.cli.main", *args], capture_output=True, text=True,
                          timeout=90, env={**os.environ, "COLUMNS": "200"})


def test_idphoto_submit_writes_the_photo_sheet_and_report(mesh, portrait, tmp_path):
    source = tmp_path / "portrait.jpg"
    source.write_bytes(portrait)
    result = _idphoto("submit", str(source), "--spec", "us-passport", "--server", mesh.endpoints.grpc_target,
                      "-o", str(tmp_path / "out" / "photo.jpg"), "--background", "light-grey", "--sheet", "4r",
                      "--sheet-output", str(tmp_path / "out" / "sheet.jpg"), "--report", str(tmp_path / "r.json"))
    assert result.returncode == 0, result.stderr
    assert _photo((tmp_path / "out" / "photo.jpg").read_bytes()).size == (600, 600)
    assert _photo((tmp_path / "out" / "sheet.jpg").read_bytes()).size in {(1800, 1200), (1200, 1800)}
    assert b'"spec"' in (tmp_path / "r.json").read_bytes()
    assert "SUCCEEDED" in result.stdout and "photo.jpg" in result.stdout
    assert "PASS (us-passport)" in result.stdout and "geometry_confidence" in result.stdout


def test_idphoto_submit_fails_with_one_typed_line(mesh, portrait, tmp_path):
    source = tmp_path / "portrait.jpg"
    source.write_bytes(portrait)
    result = _idphoto("submit", str(source), "--spec", "atlantis-passport", "--server", mesh.endpoints.grpc_target,
                      "-o", str(tmp_path / "photo.jpg"))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: SPEC_NOT_FOUND:")
    assert not (tmp_path / "photo.jpg").exists()


def test_idphoto_submit_reports_a_refused_render_promptly(mesh, portrait, tmp_path):
    source = tmp_path / "portrait.jpg"
    source.write_bytes(portrait)
    result = _idphoto("submit", str(source), "--spec", "us-passport", "--server", mesh.endpoints.grpc_target,
                      "-o", str(tmp_path / "photo.jpg"), "--max-kb", "1", "--timeout", "60")
    assert result.returncode != 0
    assert result.stderr.startswith("error: OUTPUT_TOO_LARGE:"), result.stderr
    assert not (tmp_path / "photo.jpg").exists()

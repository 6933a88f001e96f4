"""`idphoto make` and `idphoto specs` through typer's runner (in process, real models)."""

import json

import pytest
from PIL import Image
from typer.testing import CliRunner

from edges.cli.main import app
from tests.support.images import astronaut_bytes

runner = CliRunner()


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "portrait.jpg"
    path.write_bytes(astronaut_bytes("JPEG", quality=95))
    return path


def test_make_writes_photo_sheet_and_report(photo, tmp_path):
    out = tmp_path / "out" / "photo.jpg"
    result = runner.invoke(app, ["make", str(photo), "--spec", "us-passport", "-o", str(out), "--sheet", "4r",
                                 "--sheet-output", str(tmp_path / "sheet.jpg"), "--report",
                                 str(tmp_path / "report.json"), "--background", "light-grey"])
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())          # whatever the terminal width wrapped
    assert "PASS (us-passport)" in words and "head_height_mm" in words
    with Image.open(out) as img:
        assert img.size == (600, 600) and round(img.info["dpi"][0]) == 300
    with Image.open(tmp_path / "sheet.jpg") as sheet:
        assert sorted(sheet.size) == [1200, 1800]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["spec"]["id"] == "us-passport" and report["pass"] is True


@pytest.fixture
def strict_yaw(monkeypatch):
    """us-passport with a yaw limit no real face meets: its report fails on yaw_deg."""
    from services.compose import face_rules

    monkeypatch.setitem(face_rules.OVERRIDES, "us-passport", {"max_yaw_deg": 0.001})


def test_a_failed_report_exits_3_and_names_the_rule(photo, tmp_path, strict_yaw):
    out, report = tmp_path / "photo.jpg", tmp_path / "report.json"
    result = runner.invoke(app, ["make", str(photo), "--spec", "us-passport", "-o", str(out), "--report",
                                 str(report)])
    assert result.exit_code == 3, result.output
    words = " ".join(result.output.split())
    assert "FAIL (us-passport): yaw_deg" in words and "--allow-fail" in words
    assert out.is_file() and json.loads(report.read_text())["pass"] is False


def test_allow_fail_accepts_a_failed_report(photo, tmp_path, strict_yaw):
    result = runner.invoke(app, ["make", str(photo), "--spec", "us-passport", "-o", str(tmp_path / "p.jpg"),
                                 "--allow-fail"])
    assert result.exit_code == 0, result.output
    assert "FAIL (us-passport)" in " ".join(result.output.split())


def test_a_directory_with_a_failed_report_exits_3(photo, tmp_path, strict_yaw):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(photo.read_bytes())
    result = runner.invoke(app, ["make", str(folder), "--spec", "us-passport", "-o", str(tmp_path / "out")])
    assert result.exit_code == 3 and "report FAIL a.jpg" in result.output


def test_a_bad_input_is_one_typed_line_and_a_nonzero_exit(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    result = runner.invoke(app, ["make", str(text), "--spec", "us-passport", "-o", str(tmp_path / "x.jpg")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == ["error: INVALID_IMAGE: the file is not a readable image (unknown format)"]
    assert "Traceback" not in result.output


def test_unknown_spec_exits_nonzero(photo, tmp_path):
    result = runner.invoke(app, ["make", str(photo), "--spec", "atlantis", "-o", str(tmp_path / "x.jpg")])
    assert result.exit_code == 2 and "SPEC_NOT_FOUND" in result.output


def test_a_directory_goes_on_after_a_failure(photo, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(photo.read_bytes())
    (folder / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    (folder / "c.jpg").write_bytes(photo.read_bytes())
    result = runner.invoke(app, ["make", str(folder), "--spec", "schengen-visa", "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "2 of 3 photos made" in result.output and "failed b.png: INVALID_IMAGE" in result.output
    made = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert made == ["a-report.json", "a.jpg", "c-report.json", "c.jpg"]


def test_specs_lists_and_filters(tmp_path):
    result = runner.invoke(app, ["specs", "--country", "germany", "--json"])
    assert result.exit_code == 0
    specs = json.loads(result.output)
    assert specs and all(s["country"] == "germany" for s in specs)
    assert any(s["id"] == "germany-passport" and s["head_mm"] == [32.0, 36.0] for s in specs)

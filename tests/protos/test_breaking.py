"""`make breaking` really compares wire compatibility: clean against HEAD, and a renumbered field is caught."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUF = ROOT / ".cache" / "tools" / "node_modules" / ".bin" / "buf"


@pytest.fixture
def buf() -> Path:
    if not BUF.exists():
        pytest.fail("buf is missing: run `make setup`")
    return BUF


def test_breaking_against_head_is_clean(buf):
    run = subprocess.run(["scripts/buf_breaking.sh", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "BUF": str(buf), "PY": ".venv/bin/python"}, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "compatible with HEAD" in run.stdout


def test_a_renumbered_field_is_a_breaking_change(buf, tmp_path):
    image = tmp_path / "before.binpb"
    subprocess.run([str(buf), "build", "protos", "-o", str(image)], cwd=ROOT, check=True, timeout=60)
    work = tmp_path / "work"
    shutil.copytree(ROOT / "protos", work / "protos")
    shutil.copytree(ROOT / "idphoto" / "_gen" / "proto_deps", work / "idphoto" / "_gen" / "proto_deps")
    shutil.copy(ROOT / "buf.yaml", work / "buf.yaml")
    proto = work / "protos" / "idphoto" / "v1" / "idphoto.proto"
    proto.write_text(proto.read_text().replace("string after_event_id = 2;", "string after_event_id = 9;"))
    run = subprocess.run([str(buf), "breaking", "protos", "--against", str(image)], cwd=work,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode != 0
    assert 'field "2" with name "after_event_id"' in run.stdout + run.stderr

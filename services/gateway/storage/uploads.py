"""Uploads: chunks streamed with a running size cap and sha256, content sniffed (not trusted from the client),
the bytes in the object store and a small record in Redis, both expiring with the retention setting."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import redis

from idphoto.errors import (
    EmptyInputError,
    FileTooLargeError,
    InvalidImageError,
    UnsupportedFormatError,
    UploadNotFoundError,
)
from idphoto.imageio.decode import sniff_format
from services.gateway.kv.keys import RedisKeys
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.retention import RetentionIndex
from services.gateway.tenancy.names import check_tenant

CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp", "heif": "image/heif",
                 "tiff": "image/tiff", "bmp": "image/bmp"}


def job_prefix(tenant: str, job_id: str) -> str:
    return f"t/{check_tenant(tenant)}/jobs/{job_id}"


@dataclass
class UploadRecord:
    id: str
    tenant: str
    key: str
    sha256: str
    size_bytes: int
    content_type: str
    filename: str
    create_time: float
    expire_time: float


def read_capped(chunks: Iterable[bytes], max_bytes: int) -> bytes:
    """Join chunks, refusing as soon as the running total passes ``max_bytes`` (nothing more is read)."""
    parts: list[bytes] = []
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > max_bytes:
            raise FileTooLargeError(f"upload exceeds {max_bytes} bytes", max_bytes=max_bytes)
        parts.append(chunk)
    return b"".join(parts)


class UploadStore:
    """Uploads: bytes under ``t/{tenant}/uploads/{id}/`` in the object store (tracked for the retention janitor),
    the record in Redis."""

    def __init__(self, redis_client: redis.Redis, store: ObjectStore, retention_s: int,
                 prefix: str = "idphoto", *, retention: RetentionIndex | None = None) -> None:
        self.redis = redis_client
        self.store = store
        self.retention_s = retention_s
        self.prefix = prefix
        self.keys = RedisKeys(prefix)
        self.retention = retention if retention is not None else RetentionIndex(redis_client, prefix)

    def _key(self, upload_id: str) -> str:
        return self.keys.upload(upload_id)

    def save(self, tenant: str, data: bytes, filename: str = "", declared_type: str = "") -> UploadRecord:
        if not data:
            raise EmptyInputError()
        fmt = sniff_format(data[:64])
        if fmt is None:
            raise InvalidImageError("the upload is not an image we can read",
                                    declared_content_type=declared_type)
        if fmt not in CONTENT_TYPES:
            raise UnsupportedFormatError(f"{fmt} images are not supported", format=fmt)
        upload_id = secrets.token_hex(16)
        object_prefix = f"t/{check_tenant(tenant)}/uploads/{upload_id}/"
        key = object_prefix + "original"
        now = time.time()
        self.retention.track(object_prefix, self._key(upload_id), now + self.retention_s)   # before any bytes land
        self.store.put(key, data, CONTENT_TYPES[fmt])
        record = UploadRecord(id=upload_id, tenant=tenant, key=key, sha256=hashlib.sha256(data).hexdigest(),
                              size_bytes=len(data), content_type=CONTENT_TYPES[fmt], filename=filename[:255],
                              create_time=now, expire_time=now + self.retention_s)
        self.redis.hset(self._key(upload_id), mapping={k: str(v) for k, v in asdict(record).items()})
        self.redis.expire(self._key(upload_id), self.retention_s)
        return record

    def get(self, upload_id: str, tenant: str) -> UploadRecord:
        raw = self.redis.hgetall(self._key(upload_id)) if upload_id else {}
        if not raw or raw.get("tenant") != tenant:
            raise UploadNotFoundError(f"upload {upload_id!r} not found", upload_id=upload_id)
        return UploadRecord(id=raw["id"], tenant=raw["tenant"], key=raw["key"], sha256=raw["sha256"],
                            size_bytes=int(raw["size_bytes"]), content_type=raw["content_type"],
                            filename=raw["filename"], create_time=float(raw["create_time"]),
                            expire_time=float(raw["expire_time"]))

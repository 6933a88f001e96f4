"""Objects in an S3-compatible bucket (MinIO, AWS S3, …) through the minio SDK.

The bucket is created on first use if it is missing. Each object keeps its content type and its sha256 in the
user metadata (``x-amz-meta-sha256``), so ``stat`` does not have to read the bytes. Download URLs are presigned
GETs. Transport failures and unexpected S3 errors become ``ServiceUnavailableError``.

Lifecycle backstop: when ``lifecycle_days`` is positive and this store creates the bucket itself, it adds the
rule ``idphoto-retention`` (expire everything under ``t/`` after that many days), so objects the retention janitor
misses still go away. An existing bucket's lifecycle rules are left alone; a rule the server refuses is logged.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import urllib3
from minio import Minio
from minio.commonconfig import ENABLED, Filter
from minio.deleteobjects import DeleteObject
from minio.error import MinioException, S3Error
from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule

from idphoto.errors import ObjectNotFoundError, ServiceUnavailableError
from idphoto.log import get_logger
from services.gateway.storage.base import (
    ObjectStore,
    StoredObject,
    check_delete_prefix,
    check_key,
    check_prefix,
    file_sha256,
    sha256_hex,
)

_NOT_FOUND_CODES = {"NoSuchKey", "NoSuchObject", "NotFound", "ResourceNotFound"}
_SHA256_META = "sha256"
_MAX_PRESIGN_S = 7 * 24 * 3600
LIFECYCLE_RULE_ID = "idphoto-retention"
LIFECYCLE_PREFIX = "t/"


def retention_lifecycle(days: int) -> LifecycleConfig:
    """The backstop lifecycle: expire every object under ``t/`` (all tenants' data) ``days`` days after writing."""
    rule = Rule(ENABLED, rule_filter=Filter(prefix=LIFECYCLE_PREFIX), rule_id=LIFECYCLE_RULE_ID,
                expiration=Expiration(days=days))
    return LifecycleConfig([rule])


class S3Store(ObjectStore):
    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, secure: bool = True,
                 region: str | None = None, default_expiry_s: int = 3600, client: Minio | None = None,
                 lifecycle_days: int = 0) -> None:
        if lifecycle_days < 0:
            raise ValueError("lifecycle_days must be 0 (no rule) or positive")
        self.bucket = bucket
        self.default_expiry_s = default_expiry_s
        self.lifecycle_days = int(lifecycle_days)
        self._client = client or Minio(endpoint, access_key=access_key, secret_key=secret_key,
                                       secure=secure, region=region or None)
        self._bucket_ready = False

    def _ready(self) -> Minio:
        if not self._bucket_ready:
            with _s3_errors(""):
                if not self._client.bucket_exists(self.bucket) and self._create_bucket():
                    self._set_lifecycle()
            self._bucket_ready = True
        return self._client

    def _create_bucket(self) -> bool:
        """Create the bucket; False when another replica created it first."""
        try:
            self._client.make_bucket(self.bucket)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise
            return False
        return True

    def _set_lifecycle(self) -> None:
        if self.lifecycle_days <= 0:
            return
        try:
            self._client.set_bucket_lifecycle(self.bucket, retention_lifecycle(self.lifecycle_days))
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            get_logger(__name__).warning("storage.lifecycle_not_set", bucket=self.bucket, error=str(exc),
                                         hint="add an expiry rule for t/ by hand or rely on the janitor alone")

    def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        data = bytes(data)
        obj = StoredObject(key=check_key(key), size=len(data), sha256=sha256_hex(data),
                           content_type=content_type or "application/octet-stream")
        client = self._ready()
        with _s3_errors(key):
            client.put_object(self.bucket, key, io.BytesIO(data), len(data), content_type=obj.content_type,
                              metadata={_SHA256_META: obj.sha256})
        return obj

    def put_file(self, key: str, path: str | os.PathLike[str], content_type: str) -> StoredObject:
        """Upload the file at ``path`` with ``fput_object`` (multipart, streamed); its sha256 is hashed first."""
        check_key(key)
        size, sha256 = file_sha256(path)
        obj = StoredObject(key=key, size=size, sha256=sha256, content_type=content_type or "application/octet-stream")
        client = self._ready()
        with _s3_errors(key):
            client.fput_object(self.bucket, key, os.fspath(path), content_type=obj.content_type,
                               metadata={_SHA256_META: obj.sha256})
        return obj

    def get(self, key: str) -> bytes:
        check_key(key)
        client = self._ready()
        with _s3_errors(key):
            response = client.get_object(self.bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

    def stat(self, key: str) -> StoredObject:
        check_key(key)
        client = self._ready()
        with _s3_errors(key):
            info = client.stat_object(self.bucket, key)
        headers = {name.lower(): value for name, value in (info.metadata or {}).items()}
        return StoredObject(key=key, size=int(info.size or 0),
                            sha256=headers.get(f"x-amz-meta-{_SHA256_META}", ""),
                            content_type=info.content_type or "application/octet-stream")

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        check_key(key)
        client = self._ready()
        with _s3_errors(key):
            client.remove_object(self.bucket, key)     # S3 DELETE of a missing key succeeds

    def delete_prefix(self, prefix: str) -> int:
        keys = self.list(check_delete_prefix(prefix))
        if not keys:
            return 0
        client = self._ready()
        with _s3_errors(prefix):
            errors = list(client.remove_objects(self.bucket, (DeleteObject(key) for key in keys)))
        if errors:
            raise ServiceUnavailableError("the object store did not delete every object",
                                          failed=[error.name for error in errors][:20])
        return len(keys)

    def list(self, prefix: str) -> list[str]:
        check_prefix(prefix)
        client = self._ready()
        with _s3_errors(prefix):
            return sorted(obj.object_name for obj in client.list_objects(self.bucket, prefix=prefix or None,
                                                                          recursive=True))

    def url(self, key: str, expires_s: int | None = None) -> str:
        seconds = min(self._expiry(expires_s), _MAX_PRESIGN_S)
        client = self._ready()
        with _s3_errors(key):
            return client.presigned_get_object(self.bucket, check_key(key), expires=timedelta(seconds=seconds))


@contextmanager
def _s3_errors(key: str) -> Iterator[None]:
    try:
        yield
    except S3Error as exc:
        if exc.code in _NOT_FOUND_CODES:
            raise ObjectNotFoundError(f"no object {key!r}", key=key) from exc
        raise ServiceUnavailableError(f"object store error {exc.code}", s3_code=exc.code) from exc
    except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise ServiceUnavailableError("the object store cannot be reached",
                                      reason=type(exc).__name__) from exc

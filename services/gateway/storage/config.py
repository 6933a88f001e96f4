"""Which object store the gateway uses (env ``IDPHOTO_STORAGE_<FIELD>``) and the factory that builds it.

Signing key: it signs the local backend's download URLs and nothing else (S3 URLs are presigned with the S3
credentials). When it is empty and the backend is ``local``, ``create_store`` generates 32 random bytes once,
keeps them in ``<local_root>/.signing_key`` (mode 0600, reused on restart and by every replica sharing the
volume) and logs a warning. Set ``IDPHOTO_STORAGE_SIGNING_KEY`` (at least 32 characters) in production.

Lifecycle days (S3 only, applied when the store creates its bucket): ``-1`` derives them from the jobs retention
as ``ceil(retention_s / 86400) + 1`` (a day's margin over the retention janitor), ``0`` sets no rule, and a
positive number is used as is.
"""

from __future__ import annotations

import math
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from idphoto.errors import ConfigError
from idphoto.log import get_logger
from services.gateway.storage.base import ObjectStore
from services.gateway.storage.local import LocalStore
from services.gateway.storage.s3 import S3Store

MIN_SIGNING_KEY_LENGTH = 32
MAX_URL_EXPIRY_S = 7 * 24 * 3600          # S3 refuses presigned URLs valid for longer
SIGNING_KEY_FILE = ".signing_key"
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


@dataclass(frozen=True)
class StorageConfig:
    backend: Literal["local", "s3"] = "local"
    local_root: Path = Path("var/objects")
    public_base_url: str = "http://127.0.0.1:8080"
    signing_key: str = ""
    s3_endpoint: str = ""                 # host[:port], no scheme
    s3_access_key: str = ""
    s3_secret_key: str = ""
    s3_bucket: str = "idphoto"
    s3_secure: bool = True
    s3_region: str = "us-east-1"
    url_expiry_s: int = 3600
    lifecycle_days: int = -1              # -1: derive from the retention, 0: no rule

    def validate(self) -> list[str]:
        problems = []
        if self.lifecycle_days < -1:
            problems.append(f"lifecycle_days must be -1 (derive), 0 (off) or positive (got {self.lifecycle_days})")
        if not 1 <= self.url_expiry_s <= MAX_URL_EXPIRY_S:
            problems.append(f"url_expiry_s must be between 1 and {MAX_URL_EXPIRY_S} (got {self.url_expiry_s})")
        if self.signing_key and len(self.signing_key) < MIN_SIGNING_KEY_LENGTH:
            problems.append(f"signing_key must be at least {MIN_SIGNING_KEY_LENGTH} characters")
        if self.backend == "local" and not re.match(r"https?://[^/\s]+", self.public_base_url):
            problems.append(f"public_base_url must be an http(s) URL (got {self.public_base_url!r})")
        if self.backend == "s3":
            problems.extend(self._s3_problems())
        return problems

    def _s3_problems(self) -> list[str]:
        problems = []
        if not self.s3_endpoint:
            problems.append("s3_endpoint is required for the s3 backend")
        elif "://" in self.s3_endpoint or "/" in self.s3_endpoint:
            problems.append(f"s3_endpoint must be host[:port] without scheme or path (got {self.s3_endpoint!r})")
        if not self.s3_access_key or not self.s3_secret_key:
            problems.append("s3_access_key and s3_secret_key are required for the s3 backend")
        if not _BUCKET.fullmatch(self.s3_bucket) or ".." in self.s3_bucket:
            problems.append(f"s3_bucket is not a valid bucket name (got {self.s3_bucket!r})")
        return problems

    def effective_lifecycle_days(self, retention_s: int) -> int:
        """The S3 lifecycle expiry in days for objects kept ``retention_s`` seconds (0: no rule)."""
        if self.lifecycle_days >= 0:
            return self.lifecycle_days
        return math.ceil(max(retention_s, 0) / 86400) + 1


def create_store(config: StorageConfig, retention_s: int = 86400) -> ObjectStore:
    """The backend ``config.backend`` names, configured. Call ``load_config(StorageConfig, "STORAGE")`` first.

    ``retention_s`` is the jobs retention (``IDPHOTO_JOBS_RETENTION_S``); it sets the derived lifecycle days.
    """
    if config.backend == "s3":
        return S3Store(config.s3_endpoint, config.s3_access_key, config.s3_secret_key, config.s3_bucket,
                       secure=config.s3_secure, region=config.s3_region, default_expiry_s=config.url_expiry_s,
                       lifecycle_days=config.effective_lifecycle_days(retention_s))
    key = config.signing_key.encode() if config.signing_key else local_signing_key(config.local_root)
    return LocalStore(config.local_root, config.public_base_url, key, default_expiry_s=config.url_expiry_s)


def local_signing_key(root: Path) -> bytes:
    """The signing key kept under ``root``, generated (and the operator warned) the first time.

    The file is created with ``O_EXCL``, so replicas starting together agree on one key: the loser of the race
    reads the winner's file.
    """
    path = Path(root) / SIGNING_KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read_signing_key(path)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    get_logger(__name__).warning("storage.signing_key_generated", path=str(path),
                                 hint="set IDPHOTO_STORAGE_SIGNING_KEY to share one key across deployments")
    return key


def _read_signing_key(path: Path, attempts: int = 50) -> bytes:
    for _ in range(attempts):       # the creating process may not have written it yet
        key = path.read_bytes().strip()
        if len(key) >= MIN_SIGNING_KEY_LENGTH:
            return key
        time.sleep(0.01)
    raise ConfigError(f"{path} holds no usable signing key: delete it or set IDPHOTO_STORAGE_SIGNING_KEY")

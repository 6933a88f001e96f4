"""Bucket bootstrap (the dev overlay's Job minio-bootstrap; usable against any S3 with the gateway's env).

Reads the gateway's own IDPHOTO_STORAGE_* settings (typed, validated), waits for the endpoint to answer, creates
the bucket if it is missing and puts one lifecycle rule on it: objects under ``t/`` (every upload and job output)
expire one day after the job records in Redis do (IDPHOTO_JOBS_RETENTION_S), so nothing is kept that no job
points to any more (this replaces the bucket's lifecycle configuration). Idempotent: run it as often as you
like.
"""

from __future__ import annotations

import math
import sys
import time

OBJECT_PREFIX = "t/"
RULE_ID = "idphoto-expire-after-retention"


def expiry_days(retention_s: int) -> int:
    """Whole days after which an object may go: the job retention rounded up, plus one day of slack."""
    return max(1, math.ceil(retention_s / 86400)) + 1


def bootstrap(env=None, wait_s: float = 120.0) -> str:
    from minio import Minio
    from minio.commonconfig import ENABLED, Filter
    from minio.error import MinioException
    from minio.lifecycleconfig import Expiration, LifecycleConfig, Rule
    from urllib3.exceptions import HTTPError

    from idphoto.config import load_config
    from services.gateway.jobs.config import JobsConfig
    from services.gateway.storage.config import StorageConfig

    storage = load_config(StorageConfig, "STORAGE", env)
    jobs = load_config(JobsConfig, "JOBS", env)
    if storage.backend != "s3":
        raise SystemExit("IDPHOTO_STORAGE_BACKEND is not s3: nothing to bootstrap")
    client = Minio(storage.s3_endpoint, access_key=storage.s3_access_key, secret_key=storage.s3_secret_key,
                   secure=storage.s3_secure, region=storage.s3_region or None)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            exists = client.bucket_exists(storage.s3_bucket)
            break
        except (MinioException, HTTPError, OSError) as exc:
            if time.monotonic() > deadline:
                raise SystemExit(f"{storage.s3_endpoint} did not answer within {wait_s:.0f}s: {exc}") from exc
            time.sleep(2)
    if not exists:
        client.make_bucket(storage.s3_bucket)
    days = expiry_days(jobs.retention_s)
    rule = Rule(ENABLED, rule_filter=Filter(prefix=OBJECT_PREFIX), rule_id=RULE_ID, expiration=Expiration(days=days))
    client.set_bucket_lifecycle(storage.s3_bucket, LifecycleConfig([rule]))
    state = "existed" if exists else "created"
    return f"bucket {storage.s3_bucket} ready ({state}); {OBJECT_PREFIX}* expires after {days} days"


if __name__ == "__main__":
    print(bootstrap(), flush=True)
    sys.exit(0)

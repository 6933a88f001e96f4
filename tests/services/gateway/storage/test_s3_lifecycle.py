"""The S3 lifecycle backstop: set on buckets the store creates (moto), and its days derived from the retention."""

from __future__ import annotations

import uuid

import pytest
from minio import Minio

from idphoto.config import load_config
from idphoto.errors import ConfigError
from services.gateway.storage import S3Store, StorageConfig, create_store
from services.gateway.storage.s3 import LIFECYCLE_RULE_ID
from tests.services.gateway.conftest import S3_ACCESS_KEY, S3_SECRET_KEY


@pytest.fixture
def minio_client(moto_endpoint):
    return Minio(moto_endpoint, access_key=S3_ACCESS_KEY, secret_key=S3_SECRET_KEY, secure=False,
                 region="us-east-1")


def new_store(moto_endpoint, lifecycle_days: int) -> S3Store:
    return S3Store(moto_endpoint, S3_ACCESS_KEY, S3_SECRET_KEY, f"idphoto-lc-{uuid.uuid4().hex[:12]}",
                   secure=False, region="us-east-1", lifecycle_days=lifecycle_days)


def test_a_bucket_the_store_creates_gets_the_retention_rule(moto_endpoint, minio_client):
    store = new_store(moto_endpoint, lifecycle_days=3)
    store.put("t/acme/jobs/1/a.jpg", b"x", "image/jpeg")
    config = minio_client.get_bucket_lifecycle(store.bucket)
    assert config is not None and len(config.rules) == 1
    rule = config.rules[0]
    assert rule.rule_id == LIFECYCLE_RULE_ID == "idphoto-retention"
    assert rule.status == "Enabled"
    assert rule.rule_filter.prefix == "t/"
    assert rule.expiration.days == 3


def test_an_existing_bucket_keeps_its_lifecycle(moto_endpoint, minio_client):
    store = new_store(moto_endpoint, lifecycle_days=3)
    minio_client.make_bucket(store.bucket)
    store.put("t/acme/jobs/1/a.jpg", b"x", "image/jpeg")
    assert minio_client.get_bucket_lifecycle(store.bucket) is None


def test_zero_days_sets_no_rule(moto_endpoint, minio_client):
    store = new_store(moto_endpoint, lifecycle_days=0)
    store.put("t/acme/jobs/1/a.jpg", b"x", "image/jpeg")
    assert minio_client.bucket_exists(store.bucket)
    assert minio_client.get_bucket_lifecycle(store.bucket) is None


def test_negative_days_are_refused():
    with pytest.raises(ValueError):
        S3Store("minio:9000", "a", "b", "photos", lifecycle_days=-1)


@pytest.mark.parametrize("configured,retention_s,days", [
    (-1, 2, 2), (-1, 86400, 2), (-1, 86401, 3), (-1, 7 * 86400, 8), (0, 86400, 0), (5, 86400, 5),
])
def test_lifecycle_days_derivation(configured, retention_s, days):
    assert StorageConfig(lifecycle_days=configured).effective_lifecycle_days(retention_s) == days


def test_create_store_passes_the_derived_days():
    env = {"IDPHOTO_STORAGE_BACKEND": "s3", "IDPHOTO_STORAGE_S3_ENDPOINT": "minio:9000",
           "IDPHOTO_STORAGE_S3_ACCESS_KEY": "a", "IDPHOTO_STORAGE_S3_SECRET_KEY": "b"}
    config = load_config(StorageConfig, "STORAGE", env)
    assert config.lifecycle_days == -1
    assert create_store(config, retention_s=2).lifecycle_days == 2
    assert create_store(config).lifecycle_days == 2
    assert create_store(config, retention_s=3 * 86400).lifecycle_days == 4
    explicit = load_config(StorageConfig, "STORAGE", {**env, "IDPHOTO_STORAGE_LIFECYCLE_DAYS": "0"})
    assert create_store(explicit, retention_s=2).lifecycle_days == 0


def test_lifecycle_days_below_minus_one_are_reported():
    with pytest.raises(ConfigError) as info:
        load_config(StorageConfig, "STORAGE", {"IDPHOTO_STORAGE_LIFECYCLE_DAYS": "-2"})
    assert "lifecycle_days" in str(info.value)

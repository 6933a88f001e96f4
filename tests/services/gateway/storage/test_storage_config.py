"""StorageConfig from the environment and the store factory."""

from __future__ import annotations

import stat

import pytest

from idphoto.config import config_keys, load_config
from idphoto.errors import ConfigError
from services.gateway.storage import LocalStore, S3Store, StorageConfig, create_store
from services.gateway.storage.config import SIGNING_KEY_FILE


def test_env_keys():
    keys = config_keys(StorageConfig, "STORAGE")
    assert "IDPHOTO_STORAGE_BACKEND" in keys and "IDPHOTO_STORAGE_S3_BUCKET" in keys
    assert "IDPHOTO_STORAGE_SIGNING_KEY" in keys and "IDPHOTO_STORAGE_URL_EXPIRY_S" in keys


def test_local_store_with_explicit_key(tmp_path):
    config = load_config(StorageConfig, "STORAGE", {
        "IDPHOTO_STORAGE_LOCAL_ROOT": str(tmp_path), "IDPHOTO_STORAGE_SIGNING_KEY": "s" * 40,
        "IDPHOTO_STORAGE_PUBLIC_BASE_URL": "https://photos.example/", "IDPHOTO_STORAGE_URL_EXPIRY_S": "90"})
    store = create_store(config)
    assert isinstance(store, LocalStore) and store.default_expiry_s == 90
    assert store.url("k").startswith("https://photos.example/v1/files/k?")
    assert not (tmp_path / SIGNING_KEY_FILE).exists()


def test_local_store_generates_and_reuses_a_signing_key(tmp_path):
    config = StorageConfig(local_root=tmp_path)
    first = create_store(config)
    key_file = tmp_path / SIGNING_KEY_FILE
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    url = first.url("jobs/a.jpg")
    second = create_store(config)
    query = dict(part.split("=") for part in url.split("?")[1].split("&"))
    assert second.verify_signed("jobs/a.jpg", query["expires"], query["sig"])
    assert sorted(p.name for p in tmp_path.iterdir()) == [SIGNING_KEY_FILE, "meta", "objects"]


def test_corrupt_key_file_is_reported(tmp_path, monkeypatch):
    (tmp_path / SIGNING_KEY_FILE).write_bytes(b"short")
    monkeypatch.setattr("services.gateway.storage.config.time.sleep", lambda s: None)
    with pytest.raises(ConfigError):
        create_store(StorageConfig(local_root=tmp_path))


def test_s3_store_from_config():
    config = load_config(StorageConfig, "STORAGE", {
        "IDPHOTO_STORAGE_BACKEND": "s3", "IDPHOTO_STORAGE_S3_ENDPOINT": "minio:9000",
        "IDPHOTO_STORAGE_S3_ACCESS_KEY": "a", "IDPHOTO_STORAGE_S3_SECRET_KEY": "b",
        "IDPHOTO_STORAGE_S3_SECURE": "false", "IDPHOTO_STORAGE_S3_BUCKET": "photos"})
    store = create_store(config)     # no network until first use
    assert isinstance(store, S3Store) and store.bucket == "photos"


@pytest.mark.parametrize("env,fragment", [
    ({"IDPHOTO_STORAGE_BACKEND": "ftp"}, "IDPHOTO_STORAGE_BACKEND"),
    ({"IDPHOTO_STORAGE_BACKEND": "s3"}, "s3_endpoint is required"),
    ({"IDPHOTO_STORAGE_BACKEND": "s3", "IDPHOTO_STORAGE_S3_ENDPOINT": "http://minio:9000",
      "IDPHOTO_STORAGE_S3_ACCESS_KEY": "a", "IDPHOTO_STORAGE_S3_SECRET_KEY": "b"}, "without scheme"),
    ({"IDPHOTO_STORAGE_BACKEND": "s3", "IDPHOTO_STORAGE_S3_ENDPOINT": "minio:9000"}, "s3_access_key"),
    ({"IDPHOTO_STORAGE_BACKEND": "s3", "IDPHOTO_STORAGE_S3_ENDPOINT": "minio:9000",
      "IDPHOTO_STORAGE_S3_ACCESS_KEY": "a", "IDPHOTO_STORAGE_S3_SECRET_KEY": "b",
      "IDPHOTO_STORAGE_S3_BUCKET": "Bad_Bucket"}, "s3_bucket"),
    ({"IDPHOTO_STORAGE_SIGNING_KEY": "short"}, "signing_key"),
    ({"IDPHOTO_STORAGE_URL_EXPIRY_S": "0"}, "url_expiry_s"),
    ({"IDPHOTO_STORAGE_URL_EXPIRY_S": "999999999"}, "url_expiry_s"),
    ({"IDPHOTO_STORAGE_PUBLIC_BASE_URL": "files.example"}, "public_base_url"),
])
def test_invalid_config_is_reported(env, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(StorageConfig, "STORAGE", env)
    assert fragment in str(info.value)

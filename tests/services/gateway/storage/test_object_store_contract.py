"""The contract every ObjectStore backend honours (run against local files and S3 on a moto server)."""

from __future__ import annotations

import hashlib
import os
import urllib.parse
import urllib.request

import pytest

from idphoto.errors import InvalidOptionError, ObjectNotFoundError
from services.gateway.storage import LocalStore, ObjectStore, StoredObject

BAD_KEYS = ["", "/abs/path", "a/../b", "..", "a//b", "a/", "./a", ".hidden", "a/.b", "sp ace", "a\\b",
            "ünï", "a?b", "a" * 600]


def test_put_get_stat_exists(object_store):
    stored = object_store.put("jobs/j1/photo.jpg", b"jpeg bytes", "image/jpeg")
    assert stored == StoredObject("jobs/j1/photo.jpg", 10, hashlib.sha256(b"jpeg bytes").hexdigest(),
                                  "image/jpeg")
    assert object_store.get("jobs/j1/photo.jpg") == b"jpeg bytes"
    assert object_store.stat("jobs/j1/photo.jpg") == stored
    assert object_store.exists("jobs/j1/photo.jpg")
    assert not object_store.exists("jobs/j1/other.jpg")


def test_overwrite_replaces_bytes_and_metadata(object_store):
    object_store.put("a/b.bin", b"first", "application/octet-stream")
    second = object_store.put("a/b.bin", b"second version", "image/png")
    assert object_store.get("a/b.bin") == b"second version"
    assert object_store.stat("a/b.bin") == second
    assert object_store.list("a/") == ["a/b.bin"]


def test_binary_round_trip_of_several_megabytes(object_store):
    data = os.urandom(6 * 1024 * 1024 + 123)      # above S3's 5 MiB part size: multipart upload
    stored = object_store.put("big/blob.bin", data, "application/octet-stream")
    assert stored.size == len(data)
    assert object_store.get("big/blob.bin") == data
    assert object_store.stat("big/blob.bin").sha256 == hashlib.sha256(data).hexdigest()


def test_put_file_round_trips_several_megabytes(object_store, tmp_path):
    data = os.urandom(6 * 1024 * 1024 + 321)      # multipart on S3, several copy chunks locally
    source = tmp_path / "upload.bin"
    source.write_bytes(data)
    stored = object_store.put_file("files/f1/big.png", source, "image/png")
    assert stored == StoredObject("files/f1/big.png", len(data), hashlib.sha256(data).hexdigest(), "image/png")
    assert object_store.stat("files/f1/big.png") == stored
    assert object_store.get("files/f1/big.png") == data
    assert type(object_store).put_file is not ObjectStore.put_file     # the backend streams, not the default


def test_put_file_of_a_missing_file_or_bad_key_stores_nothing(object_store, tmp_path):
    with pytest.raises(FileNotFoundError):
        object_store.put_file("files/missing.bin", tmp_path / "nope.bin", "application/octet-stream")
    (tmp_path / "ok.bin").write_bytes(b"ok")
    with pytest.raises(InvalidOptionError):
        object_store.put_file("files/../x", tmp_path / "ok.bin", "application/octet-stream")
    assert object_store.list("") == []


def test_empty_object(object_store):
    object_store.put("empty", b"", "text/plain")
    assert object_store.get("empty") == b""
    assert object_store.stat("empty").size == 0


def test_missing_key_raises_not_found(object_store):
    with pytest.raises(ObjectNotFoundError):
        object_store.get("nope/missing.jpg")
    with pytest.raises(ObjectNotFoundError):
        object_store.stat("nope/missing.jpg")


def test_delete_is_idempotent(object_store):
    object_store.put("x/y.txt", b"1", "text/plain")
    object_store.delete("x/y.txt")
    assert not object_store.exists("x/y.txt")
    object_store.delete("x/y.txt")
    object_store.delete("never/was.txt")
    with pytest.raises(ObjectNotFoundError):
        object_store.get("x/y.txt")


def test_list_and_delete_prefix(object_store):
    keys = ["jobs/1/a.jpg", "jobs/1/b.jpg", "jobs/1/sub/c.png", "jobs/10/a.jpg", "jobs/2/a.jpg", "top.txt"]
    for key in keys:
        object_store.put(key, key.encode(), "application/octet-stream")
    assert object_store.list("") == sorted(keys)
    assert object_store.list("jobs/1/") == ["jobs/1/a.jpg", "jobs/1/b.jpg", "jobs/1/sub/c.png"]
    assert object_store.list("jobs/1") == ["jobs/1/a.jpg", "jobs/1/b.jpg", "jobs/1/sub/c.png", "jobs/10/a.jpg"]
    assert object_store.list("missing/") == []
    assert object_store.delete_prefix("jobs/1/") == 3
    assert object_store.list("") == ["jobs/10/a.jpg", "jobs/2/a.jpg", "top.txt"]
    assert object_store.delete_prefix("jobs/1/") == 0
    with pytest.raises(InvalidOptionError):
        object_store.delete_prefix("")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_bad_keys_rejected(object_store, key):
    for call in (lambda: object_store.put(key, b"x", "text/plain"), lambda: object_store.get(key),
                 lambda: object_store.stat(key), lambda: object_store.delete(key),
                 lambda: object_store.url(key)):
        with pytest.raises(InvalidOptionError):
            call()


def test_url_downloads_the_object(object_store):
    object_store.put("dl/photo.jpg", b"\xff\xd8 photo", "image/jpeg")
    url = object_store.url("dl/photo.jpg", expires_s=600)
    if isinstance(object_store, LocalStore):
        parsed = urllib.parse.urlsplit(url)
        assert parsed.path == "/v1/files/dl/photo.jpg"
        query = dict(urllib.parse.parse_qsl(parsed.query))
        assert object_store.verify_signed("dl/photo.jpg", query["expires"], query["sig"])
        return
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200
        assert response.read() == b"\xff\xd8 photo"
        assert response.headers["Content-Type"] == "image/jpeg"

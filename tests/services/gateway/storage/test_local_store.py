"""LocalStore specifics: signed URLs, the on-disk layout and atomic writes."""

from __future__ import annotations

import urllib.parse

import pytest

from idphoto.errors import InvalidOptionError
from services.gateway.storage import LocalStore
from tests.services.gateway.conftest import SIGNING_KEY


def _params(url: str) -> tuple[str, str, str]:
    parsed = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    return parsed.path.removeprefix("/v1/files/"), query["expires"], query["sig"]


def test_url_shape(local_store):
    url = local_store.url("jobs/j1/out.jpg", expires_s=60)
    assert url.startswith("http://files.test/v1/files/jobs/j1/out.jpg?expires=")
    key, expires, sig = _params(url)
    assert key == "jobs/j1/out.jpg" and len(sig) == 64 and int(expires) > 0


def test_verify_rejects_tampering(local_store):
    key, expires, sig = _params(local_store.url("jobs/j1/out.jpg", expires_s=60))
    assert local_store.verify_signed(key, expires, sig)
    assert not local_store.verify_signed("jobs/j2/out.jpg", expires, sig)
    assert not local_store.verify_signed(key, str(int(expires) + 1), sig)
    flipped = ("0" if sig[0] != "0" else "1") + sig[1:]
    assert not local_store.verify_signed(key, expires, flipped)
    assert not local_store.verify_signed(key, expires, "")
    assert not local_store.verify_signed(key, expires, "é" * 64)
    assert not local_store.verify_signed(key, "soon", sig)
    assert not local_store.verify_signed("../etc/passwd", expires, sig)


def test_verify_rejects_other_signing_key(local_store, tmp_path):
    other = LocalStore(tmp_path / "other", "http://files.test", b"z" * 32)
    key, expires, sig = _params(other.url("jobs/j1/out.jpg"))
    assert not local_store.verify_signed(key, expires, sig)


def test_signed_url_expires(local_store):
    key, expires, sig = _params(local_store.url("jobs/j1/out.jpg", expires_s=5))
    issued = int(expires) - 5
    assert local_store.verify_signed(key, expires, sig, now=issued + 4.9)
    assert not local_store.verify_signed(key, expires, sig, now=int(expires))
    assert not local_store.verify_signed(key, expires, sig, now=issued + 3600)


def test_default_expiry_and_bad_expiry(tmp_path):
    store = LocalStore(tmp_path, "http://h/", SIGNING_KEY, default_expiry_s=120)
    key, _expires, _ = _params(store.url("k"))
    assert key == "k"
    with pytest.raises(InvalidOptionError):
        store.url("k", expires_s=0)


def test_layout_and_no_temp_files_left(local_store):
    local_store.put("a/b/c.txt", b"hello", "text/plain")
    files = sorted(p.relative_to(local_store.root).as_posix() for p in local_store.root.rglob("*") if p.is_file())
    assert files == ["meta/a/b/c.txt.json", "objects/a/b/c.txt"]


def test_delete_prunes_empty_directories(local_store):
    local_store.put("a/b/c.txt", b"hello", "text/plain")
    local_store.delete("a/b/c.txt")
    assert list((local_store.root / "objects").iterdir()) == []
    assert list((local_store.root / "meta").iterdir()) == []


def test_key_that_clashes_with_a_directory(local_store):
    local_store.put("a/b", b"1", "text/plain")
    with pytest.raises(InvalidOptionError):
        local_store.put("a/b/c", b"2", "text/plain")
    assert local_store.get("a/b") == b"1"
    assert not local_store.exists("a")


def test_failed_write_keeps_old_object(local_store, monkeypatch):
    local_store.put("k.bin", b"old", "application/octet-stream")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("services.gateway.storage.local.os.replace", broken_replace)
    with pytest.raises(OSError):
        local_store.put("k.bin", b"new", "application/octet-stream")
    monkeypatch.undo()
    assert local_store.get("k.bin") == b"old"
    assert local_store.list("") == ["k.bin"]
    assert not list(local_store.root.rglob(".tmp-*"))


def test_empty_signing_key_refused(tmp_path):
    with pytest.raises(ValueError):
        LocalStore(tmp_path, "http://h", b"")

"""The retention index and janitor against a real Redis and both object-store backends."""

from __future__ import annotations

import threading
import time

import pytest

from services.gateway.storage.retention import Janitor, RetentionIndex
from services.gateway.storage.uploads import UploadStore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def put_objects(store, object_prefix: str, names=("a.jpg", "sub/b.png")) -> list[str]:
    keys = [object_prefix + name for name in names]
    for key in keys:
        store.put(key, key.encode(), "application/octet-stream")
    return keys


def wait_until_gone(redis_client, key: str, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while redis_client.exists(key):
        assert time.monotonic() < deadline, f"{key} did not expire"
        time.sleep(0.02)


@pytest.fixture
def index(redis_client, key_prefix):
    return RetentionIndex(redis_client, prefix=key_prefix)


@pytest.fixture
def janitor(redis_client, object_store, key_prefix):
    return Janitor(redis_client, object_store, prefix=key_prefix, batch_size=2)


def test_objects_survive_until_their_key_expires_then_are_deleted(redis_client, key_prefix, object_store, index,
                                                                  janitor):
    owner = f"{key_prefix}:job:1"
    redis_client.set(owner, "record", px=300)
    keys = put_objects(object_store, "t/acme/jobs/1/")
    expire_at = time.time() + 0.3
    index.track("t/acme/jobs/1/", owner, expire_at)

    assert janitor.run_once() == 0
    assert object_store.list("t/acme/") == keys
    wait_until_gone(redis_client, owner)
    time.sleep(max(0.0, expire_at - time.time()) + 0.01)
    assert janitor.run_once() == 1
    assert object_store.list("t/acme/") == []
    assert redis_client.zscore(index.schedule_key, "t/acme/jobs/1/") is None
    assert redis_client.hget(index.owners_key, "t/acme/jobs/1/") is None
    assert not redis_client.exists(janitor.lock_key)        # released after the run


def test_a_refreshed_key_postpones_deletion(redis_client, key_prefix, object_store, index, janitor):
    owner = f"{key_prefix}:upload:u1"
    redis_client.set(owner, "record", px=300)
    keys = put_objects(object_store, "t/acme/uploads/u1/")
    index.track("t/acme/uploads/u1/", owner, time.time() + 0.3)
    redis_client.pexpire(owner, 5000)        # written again: lives on
    time.sleep(0.35)

    now = time.time()
    assert janitor.run_once(now=now) == 0
    assert object_store.list("t/acme/") == keys
    score = redis_client.zscore(index.schedule_key, "t/acme/uploads/u1/")
    assert now + 4.0 < score <= now + 5.0

    redis_client.delete(owner)
    assert janitor.run_once(now=score + 1) == 1
    assert object_store.list("t/acme/") == []


def test_a_key_without_ttl_is_rescored_by_the_fallback(redis_client, key_prefix, object_store, index):
    owner = f"{key_prefix}:batch:b1"
    redis_client.set(owner, "record")
    put_objects(object_store, "t/acme/batches/b1/")
    index.track("t/acme/batches/b1/", owner, 100.0)
    janitor = Janitor(redis_client, object_store, prefix=key_prefix, fallback_s=600)
    assert janitor.run_once(now=1000.0) == 0
    assert redis_client.zscore(index.schedule_key, "t/acme/batches/b1/") == 1600.0
    assert len(object_store.list("t/acme/batches/b1/")) == 2


def test_deleting_a_prefix_never_touches_a_longer_sibling(redis_client, key_prefix, object_store, index, janitor):
    put_objects(object_store, "t/acme/jobs/1/")
    siblings = put_objects(object_store, "t/acme/jobs/10/") + put_objects(object_store, "t/acme/jobs/1x/")
    index.track("t/acme/jobs/1/", f"{key_prefix}:job:1", time.time() - 1)     # the key never existed
    assert janitor.run_once() == 1
    assert object_store.list("t/acme/") == sorted(siblings)


@pytest.mark.parametrize("bad", ["t/acme/jobs/1", "", "/", "t//x/", "t/../x/", None])
def test_track_refuses_prefixes_without_a_trailing_slash_or_with_bad_segments(index, bad):
    with pytest.raises(ValueError):
        index.track(bad, "some:key", time.time())


def test_track_only_ever_postpones(redis_client, index):
    index.track("t/a/jobs/1/", "k1", 200.0)
    index.track("t/a/jobs/1/", "k2", 100.0)
    assert redis_client.zscore(index.schedule_key, "t/a/jobs/1/") == 200.0
    assert redis_client.hget(index.owners_key, "t/a/jobs/1/") == "k2"
    index.track("t/a/jobs/1/", "k2", 300.5)
    assert redis_client.zscore(index.schedule_key, "t/a/jobs/1/") == 300.5


def test_one_run_works_through_every_due_batch(redis_client, key_prefix, object_store, index, janitor):
    for n in range(5):
        put_objects(object_store, f"t/acme/jobs/{n}/")
        index.track(f"t/acme/jobs/{n}/", f"{key_prefix}:job:{n}", 50.0 + n)
    index.track("t/acme/jobs/later/", f"{key_prefix}:job:later", 500.0)
    put_objects(object_store, "t/acme/jobs/later/", ["a.jpg"])
    assert janitor.batch_size == 2
    assert janitor.run_once(now=100.0) == 5
    assert object_store.list("t/acme/") == ["t/acme/jobs/later/a.jpg"]
    assert redis_client.zrange(index.schedule_key, 0, -1) == ["t/acme/jobs/later/"]


def test_a_held_lock_makes_a_second_janitor_do_nothing(redis_client, key_prefix, object_store, index, janitor):
    put_objects(object_store, "t/acme/jobs/1/")
    index.track("t/acme/jobs/1/", f"{key_prefix}:job:1", 10.0)
    redis_client.set(janitor.lock_key, "someone-else", px=60_000)
    assert janitor.run_once(now=100.0) == 0
    assert len(object_store.list("t/acme/jobs/1/")) == 2
    assert redis_client.zscore(index.schedule_key, "t/acme/jobs/1/") == 10.0
    assert redis_client.get(janitor.lock_key) == "someone-else"       # not released by a non-owner
    redis_client.delete(janitor.lock_key)
    assert janitor.run_once(now=100.0) == 1


class HookedStore:
    """Wraps a store; ``delete_prefix`` first calls ``before_delete(prefix)``, which may raise."""

    def __init__(self, store, before_delete) -> None:
        self._store = store
        self._before_delete = before_delete

    def delete_prefix(self, prefix: str) -> int:
        self._before_delete(prefix)
        return self._store.delete_prefix(prefix)


def test_a_failing_delete_keeps_the_member_and_the_rest_still_go(redis_client, key_prefix, object_store, index):
    def refuse_bad(prefix):
        if "bad" in prefix:
            raise RuntimeError("store is down for this one")

    janitor = Janitor(redis_client, HookedStore(object_store, refuse_bad), prefix=key_prefix, batch_size=1)
    put_objects(object_store, "t/acme/jobs/bad/")
    put_objects(object_store, "t/acme/jobs/good/")
    index.track("t/acme/jobs/bad/", f"{key_prefix}:job:bad", 10.0)       # sorts first: must not block the rest
    index.track("t/acme/jobs/good/", f"{key_prefix}:job:good", 20.0)
    assert janitor.run_once(now=100.0) == 1
    assert object_store.list("t/acme/jobs/good/") == []
    assert len(object_store.list("t/acme/jobs/bad/")) == 2
    assert redis_client.zscore(index.schedule_key, "t/acme/jobs/bad/") == 10.0
    assert redis_client.hget(index.owners_key, "t/acme/jobs/bad/") == f"{key_prefix}:job:bad"


def test_the_lock_is_released_only_while_it_is_still_ours(redis_client, key_prefix, object_store, index):
    lock_key = f"{key_prefix}:retention:lock"

    def lose_the_lock(_prefix):     # as if our lock expired mid-run and another process took it
        redis_client.set(lock_key, "another-janitor", px=60_000)

    janitor = Janitor(redis_client, HookedStore(object_store, lose_the_lock), prefix=key_prefix)
    index.track("t/acme/jobs/1/", f"{key_prefix}:job:1", 10.0)
    assert janitor.run_once(now=100.0) == 1
    assert redis_client.get(lock_key) == "another-janitor"


def test_run_forever_sweeps_survives_errors_and_stops_on_the_event(redis_client, key_prefix, local_store, index):
    janitor = Janitor(redis_client, local_store, prefix=key_prefix)
    real_run_once, calls = janitor.run_once, []

    def flaky_run_once(now=None):
        calls.append(now)
        if len(calls) == 1:
            raise ConnectionError("redis went away")
        return real_run_once(now)

    janitor.run_once = flaky_run_once
    put_objects(local_store, "t/acme/jobs/1/")
    index.track("t/acme/jobs/1/", f"{key_prefix}:job:1", time.time() - 1)
    stop = threading.Event()
    thread = threading.Thread(target=janitor.run_forever, args=(stop, 0.02), daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while local_store.list("t/acme/") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert local_store.list("t/acme/") == [] and len(calls) >= 2 and thread.is_alive()
    stop.set()
    thread.join(timeout=2)
    assert not thread.is_alive()


def test_upload_save_tracks_its_prefix_and_the_janitor_removes_it(redis_client, key_prefix, object_store):
    uploads = UploadStore(redis_client, object_store, retention_s=3600, prefix=key_prefix)
    record = uploads.save("acme", PNG, filename="me.png")
    object_prefix = f"t/acme/uploads/{record.id}/"
    index = uploads.retention
    assert redis_client.zscore(index.schedule_key, object_prefix) == pytest.approx(record.expire_time, abs=0.01)
    assert redis_client.hget(index.owners_key, object_prefix) == f"{key_prefix}:upload:{record.id}"

    janitor = Janitor(redis_client, object_store, prefix=key_prefix)
    assert janitor.run_once(now=record.expire_time + 1) == 0           # the record is still there
    assert object_store.exists(record.key)
    redis_client.delete(f"{key_prefix}:upload:{record.id}")
    assert janitor.run_once(now=record.expire_time + 7200) == 1
    assert not object_store.exists(record.key)

"""Fixtures for the gateway's persistence layer: a Redis per session (see tests/support/redis_server.py), a
unique key prefix per test, a moto S3 server per session and an object store per backend."""

from __future__ import annotations

import uuid

import pytest
import redis

from services.gateway.jobs import JobStore, WorkQueue
from services.gateway.storage import LocalStore, S3Store
from tests.services.gateway.harness import LOOPBACK, Harness, make_parts
from tests.support.redis_server import delete_prefix, free_port, redis_url_for_tests, unique_prefix

S3_ACCESS_KEY = "test-access-key"
S3_SECRET_KEY = "test-secret-key"
SIGNING_KEY = b"k" * 32


@pytest.fixture(scope="session")
def redis_url():
    with redis_url_for_tests() as url:
        yield url


@pytest.fixture(scope="session")
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=30)
    yield client
    client.close()


@pytest.fixture
def key_prefix(redis_client, request):
    prefix = unique_prefix(request.node.name[:40].replace("[", "-").replace("]", ""))
    yield prefix
    delete_prefix(redis_client, prefix)


@pytest.fixture
def job_store(redis_client, key_prefix):
    return JobStore(redis_client, prefix=key_prefix, retention_s=3600, events_maxlen=1000)


@pytest.fixture
def work_queue(redis_client, key_prefix):
    return WorkQueue(redis_client, stream=f"{key_prefix}:work", group="workers", visibility_timeout_s=0.2,
                     max_attempts=3)


@pytest.fixture(scope="session")
def moto_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_store(moto_endpoint):
    return S3Store(moto_endpoint, S3_ACCESS_KEY, S3_SECRET_KEY, f"idphoto-test-{uuid.uuid4().hex[:12]}",
                   secure=False, region="us-east-1")


@pytest.fixture
def local_store(tmp_path):
    return LocalStore(tmp_path / "objects", "http://files.test", SIGNING_KEY)


@pytest.fixture(params=["local", "s3"])
def object_store(request):
    return request.getfixturevalue(f"{request.param}_store")


@pytest.fixture
def parts(redis_client, local_store, key_prefix):
    """Every gateway part on the test Redis and a local store; image URLs on 127.0.0.1 allowed."""
    return make_parts(redis_client, local_store, key_prefix)


@pytest.fixture
def harness(parts, clients):
    """An in-process worker, settler, batch sweep and webhook sender over ``parts`` (``step``/``drive``)."""
    return Harness(parts, clients, LOOPBACK)

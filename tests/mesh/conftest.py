"""The full mesh (``idphoto serve`` as a Mesh): one per test module, 2 matting replicas, 2 workers, a short
visibility timeout so a killed worker's job is reclaimed within seconds. Redis: REDIS_URL, else a private one;
keys and the work stream are under a unique prefix so a shared Redis is safe."""

from __future__ import annotations

import time

import pytest

from idphoto.client import IdPhotoClient
from tests.support.mesh import isolated_mesh

VISIBILITY_TIMEOUT_S = 4


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    with isolated_mesh(tmp_path_factory, "mesh", matting_replicas=2, gateway_workers=2, start_timeout_s=90,
                       log_level="INFO", env={"IDPHOTO_JOBS_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S)}) as mesh:
        yield mesh


@pytest.fixture(scope="module")
def client(mesh):
    # generous retries: some tests restart the gateway under the client's feet
    with IdPhotoClient(mesh.endpoints.grpc_target, timeout_s=20, retries=8, backoff_s=0.2,
                       max_backoff_s=2.0, watch_timeout_s=120) as client:
        yield client


@pytest.fixture(scope="module")
def portrait() -> bytes:
    from tests.support.images import astronaut_bytes

    return astronaut_bytes("JPEG")


def wait_until(predicate, timeout_s: float, every_s: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"{what} not reached within {timeout_s}s")

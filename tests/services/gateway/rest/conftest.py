"""One real mesh (``idphoto serve`` as a Mesh) for the REST tests of this package, with a small upload cap
(3 MB) so that the cap tests stay quick. Redis keys and the work stream sit under a unique prefix."""

from __future__ import annotations

import uuid

import httpx
import pytest

from idphoto.serve.supervisor import Mesh, MeshOptions

MAX_UPLOAD_MB = 3


@pytest.fixture(scope="package")
def mesh(tmp_path_factory):
    prefix = f"idphoto-rest-test-{uuid.uuid4().hex[:8]}"
    options = MeshOptions(grpc_port=0, http_port=0, data_dir=tmp_path_factory.mktemp("rest-mesh"), gateway_workers=1,
                          start_timeout_s=120, stop_timeout_s=10,
                          env={"IDPHOTO_GATEWAY_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB),
                               "IDPHOTO_GATEWAY_MAX_INLINE_MB": "1", "IDPHOTO_JOBS_KEY_PREFIX": prefix,
                               "IDPHOTO_JOBS_WORK_STREAM": f"{prefix}:work"})
    mesh = Mesh(options)
    mesh.start()
    try:
        yield mesh
    finally:
        mesh.stop()


@pytest.fixture(scope="package")
def base_url(mesh) -> str:
    return mesh.endpoints.http_url


@pytest.fixture(scope="package")
def http(base_url):
    with httpx.Client(base_url=base_url, timeout=60) as client:
        yield client


@pytest.fixture(scope="package")
def portrait() -> bytes:
    from tests.support.images import astronaut_bytes

    return astronaut_bytes("JPEG")

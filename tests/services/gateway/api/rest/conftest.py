"""One real mesh (``idphoto serve`` as a Mesh) for the REST tests of this package, with a small upload cap
(3 MB) so that the cap tests stay quick. Redis keys and the work stream sit under a unique prefix."""

from __future__ import annotations

import httpx
import pytest

from tests.support.mesh import isolated_mesh

MAX_UPLOAD_MB = 3
BATCH_MAX_FILE_MB = 6


@pytest.fixture(scope="package")
def mesh(tmp_path_factory):
    with isolated_mesh(tmp_path_factory, "rest", gateway_workers=1,
                       env={"IDPHOTO_GATEWAY_MAX_UPLOAD_MB": str(MAX_UPLOAD_MB),
                            "IDPHOTO_GATEWAY_MAX_INLINE_MB": "1",
                            "IDPHOTO_BATCH_MAX_FILE_MB": str(BATCH_MAX_FILE_MB)}) as mesh:
        yield mesh


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

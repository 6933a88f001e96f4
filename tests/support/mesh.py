"""A real mesh (``idphoto serve`` as a Mesh) for a test module or package: free ports, a temporary data dir,
Redis keys and the work stream under a unique prefix (so a shared REDIS_URL is safe), stopped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from edges.serve.supervisor import Mesh, MeshOptions


def key_prefix(mesh: Mesh) -> str:
    """The unique Redis key prefix ``isolated_mesh`` gave this mesh (for tests that read or seed its keys)."""
    return mesh.options.env["IDPHOTO_JOBS_KEY_PREFIX"]


@contextmanager
def isolated_mesh(tmp_path_factory, label: str, env: dict[str, str] | None = None, **options) -> Iterator[Mesh]:
    prefix = f"idphoto-{label}-test-{uuid.uuid4().hex[:8]}"
    settings = {"grpc_port": 0, "http_port": 0, "start_timeout_s": 120, "stop_timeout_s": 10, **options}
    mesh = Mesh(MeshOptions(data_dir=tmp_path_factory.mktemp(f"{label}-mesh"), **settings,
                            env={"IDPHOTO_JOBS_KEY_PREFIX": prefix, "IDPHOTO_JOBS_WORK_STREAM": f"{prefix}:work",
                                 **(env or {})}))
    mesh.start()
    try:
        yield mesh
    finally:
        mesh.stop()

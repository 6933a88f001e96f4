"""Retention on a real mesh: with a 2 s retention, a finished job's Redis keys expire and the workers' janitor
deletes its stored objects (upload and outputs) soon after."""

from __future__ import annotations

import pytest
import redis

from idphoto.client import IdPhotoClient
from idphoto.errors import JobNotFoundError
from idphoto.v1 import idphoto_pb2
from tests.mesh.conftest import wait_until
from tests.support.images import astronaut_bytes
from tests.support.mesh import isolated_mesh, key_prefix


@pytest.fixture(scope="module")
def mesh(tmp_path_factory):
    env = {"IDPHOTO_JOBS_RETENTION_S": "2", "IDPHOTO_WORKER_JANITOR_INTERVAL_S": "0.5"}
    with isolated_mesh(tmp_path_factory, "retention", gateway_workers=1, env=env) as mesh:
        yield mesh


def _objects(mesh) -> list[str]:
    root = mesh.endpoints.data_dir / "objects" / "objects"        # the local store's bytes (meta/ beside it)
    keys = (str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    return sorted(key for key in keys if key.startswith("t/"))


def test_a_job_its_redis_keys_and_its_objects_are_gone_after_the_retention(mesh):
    prefix = key_prefix(mesh)
    store = redis.Redis.from_url(mesh.endpoints.redis_url, decode_responses=True)
    with IdPhotoClient(mesh.endpoints.grpc_target, timeout_s=20) as client:
        upload = client.upload(astronaut_bytes("JPEG"), "portrait.jpg")
        job = client.create_job("us-passport", upload_id=upload.upload_id, finalize=True)
        done = client.wait(job.id, timeout_s=60)
        assert done.state == idphoto_pb2.JOB_STATE_SUCCEEDED
        assert done.expire_time.ToSeconds() - done.update_time.ToSeconds() == 2
        mine = [key for key in _objects(mesh) if job.id in key or upload.upload_id in key]
        assert any(k.endswith("photo.jpg") for k in mine) and any("uploads" in k for k in mine)
        assert store.exists(f"{prefix}:job:{job.id}")

        wait_until(lambda: not any(job.id in k or upload.upload_id in k for k in _objects(mesh)), 20,
                   every_s=0.2, what="the janitor deleting the job's objects")
        assert store.keys(f"{prefix}:job:{job.id}*") == [] and store.keys(f"{prefix}:upload:{upload.upload_id}") == []
        assert not store.zscore(f"{prefix}:retention", f"t/default/jobs/{job.id}/")
        with pytest.raises(JobNotFoundError):
            client.get_job(job.id)

"""API keys on the public API over a real gRPC channel: no key, a good key, another tenant's job, a revoked key,
the per-key rate limit."""

import grpc
import pytest

from idphoto.rpc.errors import error_from_rpc
from idphoto.v1 import idphoto_pb2, idphoto_pb2_grpc
from services.gateway.api.server import create_server
from services.gateway.config import GatewayConfig
from services.gateway.core.service import GatewayCore
from services.gateway.storage.uploads import UploadStore
from services.gateway.tenancy.api_keys import AuthConfig
from services.gateway.tenancy.caller import TenantResolver
from services.gateway.wiring import GatewayParts
from tests.idphoto.rpc.support import insecure, run, serving
from tests.support.images import astronaut_bytes

PEPPER = "p" * 40


@pytest.fixture
def secured(job_store, work_queue, redis_client, local_store, key_prefix):
    uploads = UploadStore(redis_client, local_store, retention_s=3600, prefix=key_prefix)
    core = GatewayCore(job_store, work_queue, uploads, local_store)
    tenants = TenantResolver(AuthConfig(mode="required", pepper=PEPPER, rate_per_s=0.5, burst=6), redis_client,
                             key_prefix)
    return GatewayParts(GatewayConfig(port=0), None, None, redis_client, core, tenants)


async def _call(stub_call, key: str | None = None):
    metadata = (("authorization", f"Bearer {key}"),) if key is not None else ()
    try:
        return await stub_call(metadata=metadata), None
    except grpc.RpcError as err:
        return None, err


def test_keys_scope_every_call_to_a_tenant(secured):
    alice, _ = secured.tenants.keys.create("alice")
    bob, _ = secured.tenants.keys.create("bob")

    async def scenario():
        host, port = create_server(secured.config, secured)
        async with serving(host), insecure(f"127.0.0.1:{port}") as channel:
            stub = idphoto_pb2_grpc.IdPhotoServiceStub(channel)
            create = idphoto_pb2.CreateJobRequest(image=astronaut_bytes("JPEG"), spec_id="us-passport")
            anonymous = await _call(lambda **kw: stub.CreateJob(create, **kw))
            wrong = await _call(lambda **kw: stub.ListSpecs(idphoto_pb2.ListSpecsRequest(), **kw), "idp_nope")
            job, _ = await _call(lambda **kw: stub.CreateJob(create, **kw), alice)
            mine = await _call(lambda **kw: stub.GetJob(idphoto_pb2.GetJobRequest(job_id=job.id), **kw), alice)
            theirs = await _call(lambda **kw: stub.GetJob(idphoto_pb2.GetJobRequest(job_id=job.id), **kw), bob)
            listed = await _call(lambda **kw: stub.ListJobs(idphoto_pb2.ListJobsRequest(), **kw), bob)
            secured.tenants.keys.revoke(alice[:12])
            revoked = await _call(lambda **kw: stub.GetJob(idphoto_pb2.GetJobRequest(job_id=job.id), **kw), alice)
            return anonymous, wrong, job, mine, theirs, listed, revoked

    anonymous, wrong, job, mine, theirs, listed, revoked = run(scenario())
    for _, err in (anonymous, wrong, revoked):
        assert err.code() == grpc.StatusCode.UNAUTHENTICATED and error_from_rpc(err).code == "UNAUTHENTICATED"
    assert job.id and mine[0].id == job.id
    assert theirs[1].code() == grpc.StatusCode.NOT_FOUND                  # no existence leak
    assert list(listed[0].jobs) == []


def test_bursts_beyond_the_bucket_are_rate_limited(secured):
    key, _ = secured.tenants.keys.create("carol")

    async def scenario():
        host, port = create_server(secured.config, secured)
        async with serving(host), insecure(f"127.0.0.1:{port}") as channel:
            stub = idphoto_pb2_grpc.IdPhotoServiceStub(channel)
            return [await _call(lambda **kw: stub.ListSpecs(idphoto_pb2.ListSpecsRequest(), **kw), key)
                    for _ in range(10)]

    results = run(scenario())
    accepted = [r for r, err in results if err is None]
    refused = [err for _, err in results if err is not None]
    assert len(accepted) == 6 and len(refused) == 4                       # burst 6, refill 0.5/s
    for err in refused:
        typed = error_from_rpc(err)
        assert err.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and typed.code == "RATE_LIMITED"
        assert float(typed.details["retry_after_s"]) > 0
        trailers = dict(err.trailing_metadata())
        assert int(trailers["retry-after"]) >= 1                           # as HTTP's Retry-After, for clients

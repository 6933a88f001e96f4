"""IdPhotoService over gRPC: convert messages, then delegate to GatewayCore (in a thread: it talks to Redis and
the object store synchronously). No business logic lives here."""

from __future__ import annotations

from idphoto.log import bind_ids
from idphoto.rpc.convert import options_from_proto, spec_to_proto
from idphoto.v1 import idphoto_pb2, idphoto_pb2_grpc
from services.gateway.api.batch_rpcs import BatchRpcs
from services.gateway.api.convert import STATE_FROM_PROTO, event_to_proto, job_to_proto, upload_to_proto
from services.gateway.api.offload import off_loop
from services.gateway.core.service import GatewayCore
from services.gateway.tenancy.caller import Caller, TenantResolver, call_metadata


class IdPhotoServicer(BatchRpcs, idphoto_pb2_grpc.IdPhotoServiceServicer):
    def __init__(self, core: GatewayCore, tenants: TenantResolver | None = None) -> None:
        self.core = core
        self.tenants = tenants

    async def _caller(self, context) -> Caller:
        if self.tenants is None:
            return Caller("default")
        return await off_loop(self.tenants.caller, call_metadata(context))

    async def _tenant_of(self, context) -> str:
        return (await self._caller(context)).tenant

    def _job(self, job) -> idphoto_pb2.Job:
        deliveries = self.core.deliveries(job.id) if job.webhook_url else []
        return job_to_proto(job, self.core.output_urls(job), deliveries, self.core.jobs.retention_s)

    async def UploadImage(self, request_iterator, context) -> idphoto_pb2.Upload:
        tenant = await self._tenant_of(context)
        first: dict = {}
        chunks: list[bytes] = []
        total = 0
        async for message in request_iterator:
            if not first:
                declared = message.size_bytes if message.HasField("size_bytes") else None
                first = {"filename": message.filename, "content_type": message.content_type,
                         "declared_size": declared}
                if declared is not None:
                    self.core.check_upload_size(declared)          # refuse before reading the rest
            total += len(message.data)
            self.core.check_upload_size(total)                   # refuse while streaming, not after
            chunks.append(message.data)
        upload = await off_loop(self.core.upload, tenant, chunks, first.get("filename", ""),
                                 first.get("content_type", ""), first.get("declared_size"))
        return upload_to_proto(upload)

    async def CreateJob(self, request: idphoto_pb2.CreateJobRequest, context) -> idphoto_pb2.Job:
        source = request.WhichOneof("source")
        caller = await self._caller(context)
        job = await off_loop(
            self.core.create_job, caller.tenant, request.spec_id, options_from_proto(request.options),
            upload_id=request.upload_id if source == "upload_id" else "",
            image=request.image if source == "image" else b"",
            image_url=request.image_url if source == "image_url" else "", finalize=request.finalize,
            idempotency_key=request.idempotency_key, webhook_url=request.webhook_url, quota_key=caller.key_id)
        bind_ids(job_id=job.id)
        return self._job(job)

    async def GetJob(self, request: idphoto_pb2.GetJobRequest, context) -> idphoto_pb2.Job:
        return self._job(await off_loop(self.core.get_job, await self._tenant_of(context), request.job_id))

    async def FinalizeJob(self, request: idphoto_pb2.FinalizeJobRequest, context) -> idphoto_pb2.Job:
        caller = await self._caller(context)
        job = await off_loop(self.core.finalize_job, caller.tenant, request.job_id,
                              options_from_proto(request.options), request.spec_id, caller.key_id)
        return self._job(job)

    async def CancelJob(self, request: idphoto_pb2.CancelJobRequest, context) -> idphoto_pb2.Job:
        return self._job(await off_loop(self.core.cancel_job, await self._tenant_of(context), request.job_id))

    async def ListJobs(self, request: idphoto_pb2.ListJobsRequest, context) -> idphoto_pb2.ListJobsResponse:
        state = STATE_FROM_PROTO.get(request.state)
        jobs, token = await off_loop(self.core.list_jobs, await self._tenant_of(context), request.page_size,
                                              request.page_token, state)
        return idphoto_pb2.ListJobsResponse(jobs=[self._job(j) for j in jobs], next_page_token=token)

    async def ListSpecs(self, request: idphoto_pb2.ListSpecsRequest, context) -> idphoto_pb2.ListSpecsResponse:
        await self._tenant_of(context)                     # with auth on, the catalogue needs a key too
        specs, token, total = self.core.list_specs(request.country, request.page_size, request.page_token)
        return idphoto_pb2.ListSpecsResponse(specs=[spec_to_proto(s) for s in specs], next_page_token=token,
                                             total_size=total)

    async def WatchJob(self, request: idphoto_pb2.WatchJobRequest, context):
        tenant = await self._tenant_of(context)
        events = self.core.watch(tenant, request.job_id, request.after_event_id)
        while not context.done():                  # the client went away: stop reading Redis for it
            item = await off_loop(next, events, None)
            if item is None:
                return
            event, job = item
            yield event_to_proto(event, self._job(job))

"""The gateway's job state: jobs, their events and the work queue, in Redis."""

from services.gateway.jobs.config import JobsConfig, connect, create_job_store, create_work_queue
from services.gateway.jobs.model import LEGAL, JobEvent, JobRecord, JobState
from services.gateway.jobs.queue import WorkItem, WorkQueue, too_many_attempts
from services.gateway.jobs.store import JobStore

__all__ = ["LEGAL", "JobEvent", "JobRecord", "JobState", "JobStore", "JobsConfig", "WorkItem", "WorkQueue",
           "connect", "create_job_store", "create_work_queue", "too_many_attempts"]

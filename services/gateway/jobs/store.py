"""Jobs in Redis: one hash per job, a capped event stream per job, a per-tenant index for listings.

Every write is one Lua script (see ``scripts.py``), so the state check, the field update, the event and the TTL
refresh happen together or not at all, and racing writers are serialised by Redis: of eight workers moving the
same QUEUED job to RUNNING exactly one wins, the others get ``InvalidStateError``. Works with clients made with
or without ``decode_responses``.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterable
from typing import Any

import redis

from idphoto.errors import InvalidOptionError, InvalidStateError, JobNotFoundError
from services.gateway.jobs import scripts
from services.gateway.jobs.model import (
    CLEARS_ERROR,
    FINISHED,
    SETTLED,
    WORKING,
    JobEvent,
    JobRecord,
    JobState,
    encode_field,
    sources_of,
)
from services.gateway.jobs.paging import decode_token, first_page, newest_first
from services.gateway.jobs.queue import WorkItemSpec, stream_entries
from services.gateway.kv.keys import RedisKeys
from services.gateway.kv.values import as_text

MAX_PAGE_SIZE = 1000
CREATE_EXTRA = frozenset({"batch_id", "item", "image_url", "webhook_url", "quota_key"})
_CANCEL_NOW = frozenset({JobState.QUEUED, JobState.PREVIEW_READY})



def _pairs(flat: list[Any]) -> dict[str, str]:
    return {as_text(flat[i]): as_text(flat[i + 1]) for i in range(0, len(flat), 2)}


class JobStore:
    def __init__(self, redis_client: redis.Redis, prefix: str = "idphoto", retention_s: int = 86400,
                 events_maxlen: int = 1000, announce_settled: bool = True) -> None:
        if retention_s < 1 or events_maxlen < 1:
            raise ValueError("retention_s and events_maxlen must be positive")
        self.redis = redis_client
        self.keys = RedisKeys(prefix)
        self.retention_s = int(retention_s)
        self.events_maxlen = int(events_maxlen)
        self.settled_csv = "," + ",".join(sorted(s.value for s in SETTLED)) + "," if announce_settled else ""
        self._create = redis_client.register_script(scripts.CREATE)
        self._update = redis_client.register_script(scripts.UPDATE)
        self._release = redis_client.register_script(scripts.RELEASE_IDEMPOTENCY)

    # --- create / read -------------------------------------------------------------------------------------
    def create(self, tenant: str, spec_id: str, options: dict, upload_key: str,
               idempotency_key: str | None = None, extra: dict[str, str] | None = None,
               job_id: str | None = None, work: WorkItemSpec | None = None) -> tuple[JobRecord, bool]:
        """A new QUEUED job, or the job this tenant already created with ``idempotency_key`` (then False).

        ``extra``: more hash fields (batch_id, item, image_url, webhook_url, quota_key); ``job_id``: the id to use
        (e.g. one a quota slot was taken for), else a fresh one; ``work``: the first work item, appended to its
        stream in the same atomic step as the job (only when the job is new)."""
        if not tenant:
            raise InvalidOptionError("tenant must not be empty")
        idem_key = self.keys.job_idempotency(tenant, idempotency_key) if idempotency_key else None
        for attempt in range(3):
            job_id = job_id if job_id and attempt == 0 else new_job_id()
            now = time.time()
            keys = [self.keys.job(job_id), self.keys.job_events(job_id), self.keys.tenant_jobs(tenant)]
            fields = {"id": job_id, "tenant": tenant, "state": JobState.QUEUED.value, "spec_id": spec_id,
                      "options": json.dumps(options or {}, sort_keys=True), "upload_key": upload_key,
                      "progress": "0.0", "attempts": "0", "create_time": repr(now), "update_time": repr(now),
                      **{k: str(v) for k, v in (extra or {}).items() if k in CREATE_EXTRA}}
            args = [job_id, repr(now), self.retention_s, self.events_maxlen, repr(now - self.retention_s),
                    work.task if work else "", json.dumps(work.payload if work else {}, sort_keys=True)]
            status, found_id = (as_text(v) for v in self._create(
                keys=keys + [idem_key or "", work.stream if work else ""],
                args=args + [item for pair in fields.items() for item in pair]))
            if status == "CREATED":
                return self.get(job_id), True
            try:
                return self.get(found_id, tenant), False
            except JobNotFoundError:      # the job expired before its idempotency key: forget the key
                self._release(keys=[idem_key], args=[found_id])
        raise InvalidStateError("could not create the job: idempotency key keeps pointing at a missing job")

    def get(self, job_id: str, tenant: str | None = None) -> JobRecord:
        """The job; ``JobNotFoundError`` when it does not exist or belongs to another tenant."""
        raw = self.redis.hgetall(self.keys.job(job_id)) if job_id else {}
        record = JobRecord.from_hash({as_text(k): as_text(v) for k, v in raw.items()}) if raw else None
        if record is None or (tenant is not None and record.tenant != tenant):
            raise JobNotFoundError(f"job {job_id!r} not found", job_id=job_id)
        return record

    # --- writes --------------------------------------------------------------------------------------------
    def transition(self, job_id: str, to_state: JobState | str, expected: Iterable[JobState] | None = None,
                   work: WorkItemSpec | None = None, **fields: Any) -> JobRecord:
        """Move the job to ``to_state`` if that is legal from its current state (and it is in ``expected``).

        ``fields``: stage, progress, error_code, error_message, outputs, measurements, report, attempts,
        upload_key (``None`` clears one). ``work``: a work item queued in the same atomic step. Raises
        ``InvalidStateError`` (details: state, to) otherwise.
        """
        target = JobState(to_state)
        allowed = sources_of(target)
        if expected is not None:
            allowed &= {JobState(state) for state in expected}
        now = time.time()
        if target in CLEARS_ERROR:
            fields = {"error_code": None, "error_message": None, **fields}
        if target in FINISHED:
            fields["finish_time"] = now
        return self._apply(job_id, allowed, target, "state", now, fields, work)

    def update_progress(self, job_id: str, progress: float, stage: str) -> None:
        """Record progress (0..1) and the current stage of a RUNNING or FINALIZING job; appends an event."""
        if not 0.0 <= float(progress) <= 1.0:
            raise InvalidOptionError("progress must be between 0 and 1", progress=progress)
        self._apply(job_id, WORKING, None, "progress", time.time(), {"progress": progress, "stage": stage})

    def set_fields(self, job_id: str, **fields: Any) -> JobRecord:
        """Write ``fields`` (e.g. ``upload_key``) of a job a worker holds (RUNNING or FINALIZING); one event."""
        return self._apply(job_id, WORKING, None, "progress", time.time(), fields)

    def request_cancel(self, job_id: str, tenant: str | None = None) -> JobRecord:
        """Cancel the job: at once when nothing works on it, else flag it for its worker.

        QUEUED and PREVIEW_READY jobs become CANCELLED; RUNNING and FINALIZING jobs get ``cancel_requested``
        (the worker checks ``cancel_requested()`` and moves the job to CANCELLED); cancelling a CANCELLED job
        changes nothing; SUCCEEDED and FAILED jobs raise ``InvalidStateError``.
        """
        for _ in range(10):
            record = self.get(job_id, tenant)
            try:
                if record.state == JobState.CANCELLED:
                    return record
                if record.state in _CANCEL_NOW:
                    return self.transition(job_id, JobState.CANCELLED, expected={record.state})
                if record.state in WORKING:
                    return self._apply(job_id, {record.state}, None, "cancel_requested", time.time(),
                                       {"cancel_requested": True})
            except InvalidStateError:
                continue            # the state moved under us: look again
            raise InvalidStateError(f"a {record.state.value} job cannot be cancelled", job_id=job_id,
                                    state=record.state.value)
        raise InvalidStateError("the job kept changing state while being cancelled", job_id=job_id)

    def touch(self, job_ids: Iterable[str]) -> None:
        """Give these jobs (and so their files, see services.gateway.storage.retention) the full retention again."""
        pipe = self.redis.pipeline(transaction=False)
        for job_id in job_ids:
            pipe.expire(self.keys.job(job_id), self.retention_s)
            pipe.expire(self.keys.job_events(job_id), self.retention_s)
        pipe.execute()

    def cancel_requested(self, job_id: str) -> bool:
        value = self.redis.hget(self.keys.job(job_id), "cancel_requested")
        if value is None and not self.redis.exists(self.keys.job(job_id)):
            raise JobNotFoundError(f"job {job_id!r} not found", job_id=job_id)
        return value is not None and as_text(value) == "1"

    def _apply(self, job_id: str, allowed: Iterable[JobState], target: JobState | None, kind: str, now: float,
               fields: dict[str, Any], work: WorkItemSpec | None = None) -> JobRecord:
        encoded = []
        for name, value in fields.items():
            encoded += [name, _encode_extra(name, value)]
        allowed_csv = "," + ",".join(state.value for state in allowed) + ","
        reply = self._update(keys=[self.keys.job(job_id), self.keys.job_events(job_id), self.keys.settled(),
                                   work.stream if work else ""],
                             args=[allowed_csv, target.value if target else "", kind, repr(now),
                                   self.retention_s, self.events_maxlen, self.settled_csv,
                                   work.task if work else "", json.dumps(work.payload if work else {}),
                                   *encoded])
        status = as_text(reply[0])
        if status == "NOT_FOUND":
            raise JobNotFoundError(f"job {job_id!r} not found", job_id=job_id)
        if status == "BAD_STATE":
            current = as_text(reply[1])
            wanted = target.value if target else kind
            raise InvalidStateError(f"job is {current}: cannot apply {wanted}", job_id=job_id, state=current,
                                    to=wanted)
        return JobRecord.from_hash(_pairs(reply[2]))

    # --- events --------------------------------------------------------------------------------------------
    def events(self, job_id: str, after_event_id: str | None = None, block_ms: int = 0,
               tenant: str | None = None, count: int | None = None) -> list[JobEvent]:
        """Events after ``after_event_id`` (exclusive; all retained ones when None), oldest first.

        With ``block_ms`` > 0 and nothing new, waits up to that long for the next event (XREAD BLOCK). The
        client's ``socket_timeout`` must be longer than ``block_ms``. Events older than the stream cap are gone.
        """
        self.get(job_id, tenant)
        stream = self.keys.job_events(job_id)
        start = "-" if after_event_id is None else f"({after_event_id}"
        try:
            entries = self.redis.xrange(stream, start, "+", count=count)
            if not entries and block_ms > 0:
                entries = stream_entries(self.redis.xread({stream: after_event_id or "0-0"}, count=count,
                                                          block=int(block_ms)))
        except redis.ResponseError as exc:
            raise InvalidOptionError("invalid event id", after_event_id=after_event_id) from exc
        return [JobEvent.from_entry(job_id, as_text(entry_id), {as_text(k): as_text(v) for k, v in data.items()})
                for entry_id, data in entries]

    # --- listing -------------------------------------------------------------------------------------------
    def list(self, tenant: str, page_size: int = 50, page_token: str | None = None,
             state: JobState | str | None = None) -> tuple[list[JobRecord], str | None]:
        """One page of the tenant's jobs, newest first, and the token of the next page (None at the end)."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise InvalidOptionError(f"page_size must be between 1 and {MAX_PAGE_SIZE}", page_size=page_size)
        wanted = JobState(state) if state else None
        entries = ((score, member, JobRecord.from_hash(raw)) for score, member, raw in newest_first(
            self.redis, self.keys.tenant_jobs(tenant), decode_token(page_token), self.keys.job))
        mine = (e for e in entries if e[2].tenant == tenant and (wanted is None or e[2].state == wanted))
        page, token = first_page(mine, page_size)
        return page, token or None


def _encode_extra(name: str, value: Any) -> str:
    if name == "finish_time":
        return repr(float(value))
    if name == "cancel_requested":
        return "1" if value else ""
    return encode_field(name, value)


def new_job_id() -> str:
    """128 random bits, hex: unguessable and safe in keys and URLs."""
    return secrets.token_hex(16)

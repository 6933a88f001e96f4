"""Per-call context shared by the server interceptor and the clients: the ids (structlog contextvars) and the
deadline of the call being handled, so that outgoing calls carry the same ids and never outlive it."""

from __future__ import annotations

import contextvars
import time

import structlog

REQUEST_ID_KEY = "x-request-id"
JOB_ID_KEY = "x-job-id"
_IDS = (("request_id", REQUEST_ID_KEY), ("job_id", JOB_ID_KEY))

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("idphoto_rpc_deadline", default=None)


def outgoing_metadata() -> list[tuple[str, str]]:
    """``x-request-id`` / ``x-job-id`` of the current context (bound with idphoto.log.bind_ids)."""
    bound = structlog.contextvars.get_contextvars()
    return [(key, str(bound[name])) for name, key in _IDS if bound.get(name)]


def set_deadline(seconds_left: float | None) -> contextvars.Token:
    """Record the current call's deadline (``None`` = no deadline); returns the token to reset it."""
    return _deadline.set(None if seconds_left is None else time.monotonic() + seconds_left)


def reset_deadline(token: contextvars.Token) -> None:
    try:
        _deadline.reset(token)
    except ValueError:  # reset from another context (e.g. a generator closed elsewhere)
        pass


def remaining_s() -> float | None:
    """Seconds left before the current call's deadline; None when there is none."""
    end = _deadline.get()
    return None if end is None else max(0.0, end - time.monotonic())


def check_time_left(context, stage: str) -> None:
    """DeadlineExceededError when the call being handled has no time left for ``stage``."""
    from idphoto.errors import DeadlineExceededError

    left = context.time_remaining()
    if left is not None and left <= 0:
        raise DeadlineExceededError(f"no time left for {stage}", stage=stage)


def call_timeout(timeout_s: float | None) -> float | None:
    """The timeout for an outgoing call: ``timeout_s`` capped by what is left of the current call."""
    left = remaining_s()
    if left is None:
        return timeout_s
    return left if timeout_s is None else min(timeout_s, left)

"""Helpers for the REST tests: a Server-Sent Events reader and the checks every error response must pass."""

from __future__ import annotations

import json

import httpx


def parse_events(text: str) -> list[dict]:
    """SSE frames as dicts: ``id``, ``event`` (default "message"), ``data`` (JSON-decoded); comments dropped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.split("\n"):
            if not line or line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = fields[name] + "\n" + value if name == "data" and name in fields else value
        if "data" in fields:
            events.append({"id": fields.get("id", ""), "event": fields.get("event", "message"),
                           "data": json.loads(fields["data"])})
    return events


def watch(http: httpx.Client, job_id: str, headers: dict | None = None, params: dict | None = None) -> list[dict]:
    """Every event of one watch stream (the server ends it), after checking it is an event stream."""
    with http.stream("GET", f"/v1/jobs/{job_id}:watch", headers=headers, params=params, timeout=120) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["cache-control"] == "no-store"
        text = "".join(response.iter_text())
    return parse_events(text)


def messages(events: list[dict]) -> list[dict]:
    return [e for e in events if e["event"] == "message"]


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    """A REST error: the status, JSON ``{code, message, details}`` with ``code``, and nothing from inside."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/json", response.headers
    body = response.json()
    assert set(body) == {"code", "message", "details"}, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    for leak in ("Traceback", "File \"", "Exception", ".py"):
        assert leak not in response.text, response.text
    return body

"""Webhook deliveries queued in Redis, retried with exponential backoff and jitter, every attempt recorded.

Keys (``<prefix>`` is the queue's key prefix):

* ``<prefix>:webhooks:due`` — sorted set of delivery ids scored by the unix time they are due;
* ``<prefix>:webhooks:d:<id>`` — hash: tenant, url, body (base64), subject, type, state
  (``pending`` | ``delivered`` | ``failed``), attempts, created, last_status, last_error;
* ``<prefix>:webhooks:d:<id>:attempts`` — list of JSON attempt records ``{attempt, status_code, time, error}``;
* ``<prefix>:webhooks:s:<subject>`` — list of the delivery ids of one job or batch (its ``webhook_deliveries``).

Everything lives in Redis, so a restarted gateway (a new ``WebhookQueue``) delivers what was pending. Claiming is one
Lua step: due ids are taken and pushed ``lease_s`` into the future with their attempt counter raised, so two workers
never send the same attempt and a worker that dies mid-attempt is retried after the lease.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import time
import uuid
from collections.abc import Callable
from typing import Any

import redis

from services.gateway.kv.keys import RedisKeys
from services.gateway.kv.values import as_text
from services.gateway.outbound.fetch import FetchConfig
from services.gateway.webhooks.signing import AttemptResult, WebhookConfig, post_event

CLAIM = """
-- KEYS: due zset; ARGV: now, lease until, max count, delivery key prefix
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, id in ipairs(ids) do
  local key = ARGV[4] .. id
  if redis.call('HGET', key, 'state') == 'pending' then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
    local attempt = redis.call('HINCRBY', key, 'attempts', 1)
    out[#out + 1] = id
    out[#out + 1] = tostring(attempt)
  else
    redis.call('ZREM', KEYS[1], id)        -- finished or expired: nothing left to send
  end
end
return out
"""


ENQUEUE = """
-- KEYS: delivery hash, subject list ('' = none), due zset, once key ('' = none)
-- ARGV: delivery id, ttl s, now, then hash field/value pairs
-- One step: the once key is never taken without its delivery (a crash in between would lose the event).
if KEYS[4] ~= '' then
  local existing = redis.call('GET', KEYS[4])
  if existing then return existing end
  redis.call('SET', KEYS[4], ARGV[1], 'EX', ARGV[2])
end
local fields = {}
for i = 4, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], unpack(fields))
redis.call('EXPIRE', KEYS[1], ARGV[2])
if KEYS[2] ~= '' then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
return ARGV[1]
"""



def backoff_s(attempt: int, config: WebhookConfig, rng: random.Random | None = None) -> float:
    """Delay after failed attempt number ``attempt`` (1-based): exponential, capped, scaled by jitter."""
    base = min(config.max_backoff_s, config.base_backoff_s * (2 ** max(0, attempt - 1)))
    factor = 1.0 - config.jitter * (rng or random).random()
    return base * factor


class WebhookQueue:
    def __init__(self, redis_client: redis.Redis, fetch_config: FetchConfig, config: WebhookConfig | None = None,
                 prefix: str = "idphoto", rng: random.Random | None = None,
                 secret_for: Callable[[str], bytes | str] | None = None) -> None:
        self.redis = redis_client
        self.secret_for = secret_for                # tenant -> its webhook secret, looked up at send time
        self.config = config or WebhookConfig()
        self.fetch_config = dataclasses.replace(
            fetch_config, connect_timeout_s=self.config.timeout_s, read_timeout_s=self.config.timeout_s,
            total_timeout_s=2 * self.config.timeout_s)
        self.prefix = prefix
        self.keys = RedisKeys(prefix)
        self.rng = rng or random.Random()
        self._claim = self.redis.register_script(CLAIM)
        self._enqueue = self.redis.register_script(ENQUEUE)

    # --- keys ---------------------------------------------------------------------------------------------
    @property
    def _due(self) -> str:
        return self.keys.webhooks_due()

    def _delivery(self, delivery_id: str) -> str:
        return self.keys.delivery(delivery_id)

    def _attempts(self, delivery_id: str) -> str:
        return self.keys.delivery_attempts(delivery_id)

    def _subject(self, subject: str) -> str:
        return self.keys.subject_deliveries(subject)

    # --- producing ----------------------------------------------------------------------------------------
    def enqueue(self, tenant: str, url: str, secret: bytes | str | None, body: bytes, *, subject: str = "",
                event_type: str = "", dedupe: str = "", now: float | None = None) -> str:
        """Queue ``body`` for ``url`` (due at once); returns the delivery id. ``subject`` is the job/batch id.

        With ``dedupe``, a second enqueue under the same string returns the first delivery's id and sends nothing
        (a settled job processed twice after a crash still gets one event)."""
        now = time.time() if now is None else now
        secret_hex = "" if secret is None else (secret.encode() if isinstance(secret, str) else bytes(secret)).hex()
        fields = {"tenant": tenant, "url": url, "secret": secret_hex, "subject": subject, "type": event_type,
                  "body": base64.b64encode(body).decode(), "state": "pending", "attempts": 0, "created": repr(now),
                  "last_status": "", "last_error": ""}
        delivery_id = uuid.uuid4().hex
        keys = [self._delivery(delivery_id), self._subject(subject) if subject else "", self._due,
                self.keys.delivery_once(dedupe) if dedupe else ""]
        args = [delivery_id, self.config.retention_s, repr(now), *(str(v) for pair in fields.items() for v in pair)]
        return as_text(self._enqueue(keys=keys, args=args))

    # --- consuming ----------------------------------------------------------------------------------------
    def deliver_due(self, now: float | None = None) -> list[tuple[str, AttemptResult]]:
        """Send every delivery due at ``now`` once (up to ``batch_size``); returns (delivery id, result) pairs."""
        now = time.time() if now is None else now
        reply = self._claim(keys=[self._due],
                            args=[repr(now), repr(now + self.config.lease_s), self.config.batch_size,
                                  self._delivery("")])
        flat = [as_text(v) for v in reply]
        results = []
        for delivery_id, attempt in zip(flat[0::2], flat[1::2], strict=True):
            results.append((delivery_id, self._attempt(delivery_id, int(attempt), now)))
        return results

    def _attempt(self, delivery_id: str, attempt: int, now: float) -> AttemptResult:
        fields = {as_text(k): as_text(v) for k, v in self.redis.hgetall(self._delivery(delivery_id)).items()}
        if not fields:
            self.redis.zrem(self._due, delivery_id)
            return AttemptResult(0, "EXPIRED")
        body = base64.b64decode(fields["body"])
        result = post_event(fields["url"], self._secret(fields), body, self.fetch_config,
                            t=int(now), delivery_id=delivery_id)
        self._record(delivery_id, attempt, now, result)
        return result

    def _secret(self, fields: dict[str, str]) -> bytes | str:
        """The delivery's own secret, or (``secret=None`` at enqueue) the tenant's current one: then no copy of it
        sits in the queue, and a rotated secret signs every later attempt."""
        if fields.get("secret"):
            return bytes.fromhex(fields["secret"])
        if self.secret_for is None:
            raise ValueError("a delivery without a secret needs a queue with secret_for")
        return self.secret_for(fields["tenant"])

    def _record(self, delivery_id: str, attempt: int, now: float, result: AttemptResult) -> None:
        key = self._delivery(delivery_id)
        record = json.dumps({"attempt": attempt, "status_code": result.status_code, "time": now,
                             "error": result.error}, sort_keys=True)
        pipe = self.redis.pipeline(transaction=True)
        pipe.rpush(self._attempts(delivery_id), record)
        pipe.expire(self._attempts(delivery_id), self.config.retention_s)
        pipe.hset(key, mapping={"last_status": result.status_code, "last_error": result.error})
        if result.ok:
            pipe.hset(key, "state", "delivered")
            pipe.zrem(self._due, delivery_id)
        elif result.permanent or attempt >= self.config.max_attempts:
            pipe.hset(key, "state", "failed")
            pipe.zrem(self._due, delivery_id)
        else:
            pipe.zadd(self._due, {delivery_id: now + backoff_s(attempt, self.config, self.rng)})
        pipe.execute()

    # --- reading ------------------------------------------------------------------------------------------
    def get(self, delivery_id: str) -> dict[str, Any] | None:
        """One delivery as shown on a job or batch (no secret, no body)."""
        fields = {as_text(k): as_text(v) for k, v in self.redis.hgetall(self._delivery(delivery_id)).items()}
        if not fields:
            return None
        attempts = [json.loads(as_text(r)) for r in self.redis.lrange(self._attempts(delivery_id), 0, -1)]
        return {"delivery_id": delivery_id, "tenant": fields["tenant"], "url": fields["url"],
                "subject": fields.get("subject", ""), "type": fields.get("type", ""), "state": fields["state"],
                "attempts": attempts}

    def deliveries(self, subject: str) -> list[dict[str, Any]]:
        """``webhook_deliveries`` of a job or batch, oldest first."""
        ids = [as_text(v) for v in self.redis.lrange(self._subject(subject), 0, -1)]
        return [d for d in (self.get(i) for i in ids) if d is not None]

    def pending_count(self) -> int:
        return int(self.redis.zcard(self._due))

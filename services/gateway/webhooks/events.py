"""Webhook events of jobs and batches: the event body, the tenant's signing secret and a queued delivery. The
queue keeps no copy of the secret: it is looked up from the tenant record when each attempt is signed.

Each tenant has one webhook secret, kept in its record (``{prefix}:auth:tenant:{tenant}``, field
``webhook_secret``): ``idphoto keys create`` prints it with a new key, ``idphoto keys webhook-secret`` shows it
(``--rotate``: replaces it).
With auth off, the default tenant's secret is made on first use the same way.
"""

from __future__ import annotations

import secrets
from typing import Any

import redis

from services.gateway.kv.keys import RedisKeys
from services.gateway.kv.values import as_text
from services.gateway.webhooks.queue import WebhookQueue
from services.gateway.webhooks.signing import event_body


def tenant_webhook_secret(redis_client: redis.Redis, prefix: str, tenant: str) -> str:
    """The tenant's webhook secret, created (once, race-free) when it has none yet."""
    key = RedisKeys(prefix).tenant(tenant)
    redis_client.hsetnx(key, "webhook_secret", "whsec_" + secrets.token_urlsafe(32))
    value = redis_client.hget(key, "webhook_secret")
    return as_text(value)


def rotate_webhook_secret(redis_client: redis.Redis, prefix: str, tenant: str) -> str:
    """A new webhook secret for the tenant. Every later attempt, of queued deliveries too, is signed with it."""
    secret = "whsec_" + secrets.token_urlsafe(32)
    redis_client.hset(RedisKeys(prefix).tenant(tenant), "webhook_secret", secret)
    return secret


def secret_lookup(redis_client: redis.Redis, prefix: str):
    """tenant -> its webhook secret (for ``WebhookQueue(secret_for=…)``)."""
    return lambda tenant: tenant_webhook_secret(redis_client, prefix, tenant)


class Notifier:
    def __init__(self, queue: WebhookQueue, prefix: str) -> None:
        self.queue = queue
        self.prefix = prefix

    def send(self, tenant: str, url: str, event_type: str, subject: str, data: dict[str, Any], dedupe: str) -> str:
        """Queue one signed event (once per ``dedupe``); returns the delivery id."""
        body = event_body(event_type, subject, data)
        tenant_webhook_secret(self.queue.redis, self.prefix, tenant)        # made now if the tenant has none
        return self.queue.enqueue(tenant, url, None, body, subject=subject, event_type=event_type,
                                  dedupe=f"{subject}:{event_type}:{dedupe}")

    def deliveries(self, subject: str) -> list[dict[str, Any]]:
        return self.queue.deliveries(subject)

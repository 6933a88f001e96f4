"""API keys and tenants: typed settings (``IDPHOTO_AUTH_<FIELD>``) and a Redis key store.

A key looks like ``idp_<43 url-safe chars>`` (256 random bits). Redis only ever sees
``HMAC-SHA256(pepper, key)``: a dump of Redis without the pepper gives neither the keys nor a way to test guesses.
Each key belongs to one tenant; the tenant record holds the webhook secret shared by the tenant's keys. Keys are
listed by their id and display prefix (``idp_`` plus 8 characters), never in full, and revoking keeps the record
(marked revoked) so listings stay complete.

The gateway (``services.gateway.tenancy.caller``) calls ``bearer_key`` on the ``authorization`` metadata / header and
``KeyStore.authenticate`` on the result, then ``RateLimiter.check`` (see ``ratelimit.py``). The mode is
``IDPHOTO_AUTH=required|off`` (``IDPHOTO_AUTH_MODE`` is the same setting under its section name).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import redis

from idphoto.config import load_config
from idphoto.errors import ConfigError, InvalidOptionError, UnauthenticatedError
from services.gateway.kv.keys import RedisKeys
from services.gateway.kv.values import as_text
from services.gateway.tenancy.names import check_tenant

KEY_PREFIX = "idp_"
DISPLAY_CHARS = 12                      # "idp_" + 8 characters are shown by `keys list`
MIN_PEPPER_CHARS = 32
_KEY_RE = re.compile(r"^idp_[A-Za-z0-9_-]{32,128}$")


@dataclass(frozen=True)
class AuthConfig:
    mode: Literal["off", "required"] = "off"   # off: the embedded default; the Kubernetes overlays set required
    pepper: str = ""                            # HMAC key for stored key digests (a Secret); >= 32 chars
    rate_per_s: float = 10.0                    # token refill rate per API key
    burst: int = 20                             # bucket size: requests allowed at once
    max_concurrent_jobs: int = 8                # unfinished jobs per API key
    job_slot_ttl_s: int = 86400                 # a slot never released (crashed gateway) frees itself after this

    def validate(self) -> list[str]:
        problems = []
        if self.mode == "required" and len(self.pepper) < MIN_PEPPER_CHARS:
            problems.append(f"pepper must be at least {MIN_PEPPER_CHARS} characters when mode is required "
                            f"(got {len(self.pepper)})")
        if not self.rate_per_s > 0:
            problems.append(f"rate_per_s must be positive (got {self.rate_per_s})")
        for name in ("burst", "max_concurrent_jobs", "job_slot_ttl_s"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1 (got {getattr(self, name)})")
        return problems

    @property
    def required(self) -> bool:
        return self.mode == "required"


def load_auth_config(env: Mapping[str, str] | None = None, need_pepper: bool = True) -> AuthConfig:
    """``IDPHOTO_AUTH_<FIELD>``, with ``IDPHOTO_AUTH`` accepted for the mode. ``need_pepper=False`` (workers: they
    only give job slots back and never see a key) accepts a required mode without the pepper."""
    env = dict(os.environ if env is None else env)
    if "IDPHOTO_AUTH" in env:
        if env.setdefault("IDPHOTO_AUTH_MODE", env["IDPHOTO_AUTH"]) != env["IDPHOTO_AUTH"]:
            raise ConfigError("IDPHOTO_AUTH and IDPHOTO_AUTH_MODE disagree: set one of them")
    mode = env.get("IDPHOTO_AUTH_MODE", "off")
    if need_pepper or mode != "required":
        return load_config(AuthConfig, "AUTH", env)
    config = load_config(AuthConfig, "AUTH", {**env, "IDPHOTO_AUTH_MODE": "off", "IDPHOTO_AUTH_PEPPER": ""})
    return dataclasses.replace(config, mode="required")


@dataclass(frozen=True)
class Tenant:
    """Who a request comes from: the tenant, the key it used and the tenant's webhook secret."""

    name: str
    key_id: str
    webhook_secret: str


@dataclass(frozen=True)
class KeyInfo:
    """One key as `keys list` shows it: never the key itself."""

    key_id: str
    tenant: str
    prefix: str
    created: float
    revoked: bool

    def to_dict(self) -> dict[str, Any]:
        return {"key_id": self.key_id, "tenant": self.tenant, "prefix": self.prefix, "created": self.created,
                "revoked": self.revoked}



def bearer_key(authorization: str | None) -> str:
    """The key of an ``authorization: Bearer <key>`` header value ('' when absent or malformed)."""
    scheme, _, value = (authorization or "").strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


_CREATE = """
-- KEYS: key record, key index, tenant record
-- ARGV: digest, key id, tenant, new webhook secret, now, display prefix
if redis.call('HSETNX', KEYS[3], 'webhook_secret', ARGV[4]) == 1 then
  redis.call('HSET', KEYS[3], 'name', ARGV[3], 'created', ARGV[5])
end
if redis.call('HSETNX', KEYS[2], ARGV[2], ARGV[1]) == 0 then return {'EXISTS'} end
redis.call('HSET', KEYS[1], 'key_id', ARGV[2], 'tenant', ARGV[3], 'prefix', ARGV[6], 'created', ARGV[5],
           'revoked', '0')
return {'CREATED', redis.call('HGET', KEYS[3], 'webhook_secret')}
"""


class KeyStore:
    def __init__(self, redis_client: redis.Redis, pepper: str, prefix: str = "idphoto") -> None:
        if len(pepper or "") < MIN_PEPPER_CHARS:
            raise ConfigError(f"the API key pepper must be at least {MIN_PEPPER_CHARS} characters "
                              "(IDPHOTO_AUTH_PEPPER)")
        self.redis = redis_client
        self.keys = RedisKeys(prefix)
        self._pepper = pepper.encode()
        self._create = redis_client.register_script(_CREATE)

    def digest(self, api_key: str) -> str:
        return hmac.new(self._pepper, api_key.encode(), hashlib.sha256).hexdigest()

    def create(self, tenant: str) -> tuple[str, str]:
        """A new key for ``tenant`` (created on first use): ``(api_key, webhook_secret)``. Shown only once."""
        check_tenant(tenant)
        for _ in range(3):
            api_key = KEY_PREFIX + secrets.token_urlsafe(32)
            key_id = "key_" + secrets.token_hex(8)
            digest = self.digest(api_key)
            result = self._create(
                keys=[self.keys.api_key(digest), self.keys.key_index(), self.keys.tenant(tenant)],
                args=[digest, key_id, tenant, "whsec_" + secrets.token_urlsafe(32), repr(time.time()),
                      api_key[:DISPLAY_CHARS]])
            if as_text(result[0]) == "CREATED":
                return api_key, as_text(result[1])
        raise InvalidOptionError("could not allocate a unique key id")  # pragma: no cover - 2^-64 odds

    def authenticate(self, api_key: str | None) -> Tenant:
        """The tenant of a valid, unrevoked key; ``UnauthenticatedError`` otherwise (same error for every case)."""
        candidate = api_key or ""
        digest = self.digest(candidate)     # computed for every input so bad keys cost the same as good ones
        record: dict[str, str] = {}
        if _KEY_RE.match(candidate):
            record = {as_text(k): as_text(v) for k, v in self.redis.hgetall(self.keys.api_key(digest)).items()}
        index_digest = self.redis.hget(self.keys.key_index(), record["key_id"]) if record else None
        if (not record or record.get("revoked") != "0" or index_digest is None
                or not hmac.compare_digest(as_text(index_digest), digest)):
            raise UnauthenticatedError()
        secret = self.redis.hget(self.keys.tenant(record["tenant"]), "webhook_secret")
        if secret is None:
            raise UnauthenticatedError()
        return Tenant(name=record["tenant"], key_id=record["key_id"], webhook_secret=as_text(secret))

    def list(self) -> list[KeyInfo]:
        """Every key (oldest first): id, tenant, display prefix, created, revoked. Never the key."""
        index = {as_text(k): as_text(v) for k, v in self.redis.hgetall(self.keys.key_index()).items()}
        pipe = self.redis.pipeline(transaction=False)
        for digest in index.values():
            pipe.hgetall(self.keys.api_key(digest))
        infos = []
        for key_id, raw in zip(index, pipe.execute()):
            rec = {as_text(k): as_text(v) for k, v in raw.items()}
            if rec:
                infos.append(KeyInfo(key_id=key_id, tenant=rec.get("tenant", ""), prefix=rec.get("prefix", ""),
                                     created=float(rec.get("created", 0.0)), revoked=rec.get("revoked") != "0"))
        return sorted(infos, key=lambda info: (info.created, info.key_id))

    def revoke(self, key_id_or_prefix: str) -> KeyInfo:
        """Revoke one key by its id or its display prefix; its next ``authenticate`` fails."""
        wanted = (key_id_or_prefix or "").strip()
        matches = [info for info in self.list() if wanted and (info.key_id == wanted or info.prefix == wanted)]
        if len(matches) != 1:
            problem = "no key has" if not matches else "more than one key has"
            raise InvalidOptionError(f"{problem} the id or prefix {wanted!r}", key=wanted)
        info = matches[0]
        digest = self.redis.hget(self.keys.key_index(), info.key_id)
        self.redis.hset(self.keys.api_key(as_text(digest)), "revoked", "1")
        return KeyInfo(info.key_id, info.tenant, info.prefix, info.created, True)

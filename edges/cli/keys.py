"""`idphoto keys create|list|revoke|webhook-secret`: API keys and tenants in the gateway's Redis.

Uses ``REDIS_URL`` (or ``IDPHOTO_JOBS_REDIS_URL``), the key prefix ``IDPHOTO_JOBS_KEY_PREFIX`` and the pepper
``IDPHOTO_AUTH_PEPPER`` (the same Secret the gateway reads). Output is JSON, one line per record.
"""

from __future__ import annotations

import json
import os

import typer
from rich.console import Console

from idphoto.errors import ConfigError, IdPhotoError

app = typer.Typer(help="Create, list and revoke API keys (tenants).", no_args_is_help=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_REDIS_URL = typer.Option(None, "--redis-url", help="Redis URL (REDIS_URL, IDPHOTO_JOBS_REDIS_URL)")
_PREFIX = typer.Option(None, "--prefix", help="Redis key prefix (IDPHOTO_JOBS_KEY_PREFIX, default idphoto)")


def _store(redis_url: str | None, prefix: str | None):
    import redis

    from services.gateway.tenancy.api_keys import KeyStore

    url = redis_url or os.environ.get("REDIS_URL") or os.environ.get("IDPHOTO_JOBS_REDIS_URL")
    if not url:
        raise ConfigError("set REDIS_URL (or IDPHOTO_JOBS_REDIS_URL) to the gateway's Redis")
    pepper = os.environ.get("IDPHOTO_AUTH_PEPPER", "")
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30)
    return KeyStore(client, pepper, prefix=prefix or os.environ.get("IDPHOTO_JOBS_KEY_PREFIX") or "idphoto")


def _fail(exc: IdPhotoError) -> None:
    err.print(f"[red]error[/] {exc}")
    raise typer.Exit(1)


@app.command("create")
def create(tenant: str = typer.Option(..., "--tenant", help="tenant name (created on first use)"),
           redis_url: str | None = _REDIS_URL, prefix: str | None = _PREFIX) -> None:
    """Create a key; prints {"tenant", "api_key", "webhook_secret"} once (the key is not stored)."""
    try:
        api_key, webhook_secret = _store(redis_url, prefix).create(tenant)
    except IdPhotoError as exc:
        _fail(exc)
    typer.echo(json.dumps({"tenant": tenant, "api_key": api_key, "webhook_secret": webhook_secret}))


@app.command("list")
def list_keys(redis_url: str | None = _REDIS_URL, prefix: str | None = _PREFIX) -> None:
    """Every key: id, tenant, display prefix, created, revoked (never the key)."""
    try:
        infos = _store(redis_url, prefix).list()
    except IdPhotoError as exc:
        _fail(exc)
    for info in infos:
        typer.echo(json.dumps(info.to_dict()))


@app.command("revoke")
def revoke(key: str = typer.Argument(..., help="key id (key_…) or display prefix (idp_…)"),
           redis_url: str | None = _REDIS_URL, prefix: str | None = _PREFIX) -> None:
    """Revoke one key; requests with it get UNAUTHENTICATED from then on."""
    try:
        info = _store(redis_url, prefix).revoke(key)
    except IdPhotoError as exc:
        _fail(exc)
    typer.echo(json.dumps(info.to_dict()))


@app.command("webhook-secret")
def webhook_secret(tenant: str = typer.Option(..., "--tenant", help="tenant name"),
                   rotate: bool = typer.Option(False, "--rotate", help="replace it with a new secret"),
                   redis_url: str | None = _REDIS_URL, prefix: str | None = _PREFIX) -> None:
    """Print {"tenant", "webhook_secret"}: the secret the tenant's webhooks are signed with (made if missing,
    e.g. for the default tenant with auth off; ``--rotate`` makes a new one, used from the next attempt on).
    Needs no pepper."""
    import redis

    from services.gateway.webhooks.events import rotate_webhook_secret, tenant_webhook_secret

    url = redis_url or os.environ.get("REDIS_URL") or os.environ.get("IDPHOTO_JOBS_REDIS_URL")
    if not url:
        _fail(ConfigError("set REDIS_URL (or IDPHOTO_JOBS_REDIS_URL) to the gateway's Redis"))
    client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=30)
    key_prefix = prefix or os.environ.get("IDPHOTO_JOBS_KEY_PREFIX") or "idphoto"
    secret = (rotate_webhook_secret if rotate else tenant_webhook_secret)(client, key_prefix, tenant)
    typer.echo(json.dumps({"tenant": tenant, "webhook_secret": secret}))


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="keys")

"""`idphoto keys create|list|revoke` through typer's runner, against a real Redis with a unique key prefix."""

from __future__ import annotations

import json

import pytest
import redis
from typer.testing import CliRunner

from edges.cli.main import app
from idphoto.errors import UnauthenticatedError
from services.gateway.tenancy.api_keys import KeyStore
from tests.support.redis_server import delete_prefix, redis_url_for_tests, unique_prefix

PEPPER = "cli-test-pepper-" + "x" * 32
runner = CliRunner()


@pytest.fixture(scope="module")
def redis_url():
    with redis_url_for_tests() as url:
        yield url


@pytest.fixture
def env(redis_url):
    prefix = unique_prefix("cli-keys")
    yield {"REDIS_URL": redis_url, "IDPHOTO_JOBS_KEY_PREFIX": prefix, "IDPHOTO_AUTH_PEPPER": PEPPER}
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    delete_prefix(client, prefix)
    client.close()


@pytest.fixture
def store(env):
    return KeyStore(redis.Redis.from_url(env["REDIS_URL"], decode_responses=True), PEPPER,
                    prefix=env["IDPHOTO_JOBS_KEY_PREFIX"])


def _create(env, tenant):
    result = runner.invoke(app, ["keys", "create", "--tenant", tenant], env=env)
    assert result.exit_code == 0, result.output
    return result


def test_create_prints_one_json_line_and_the_key_authenticates(env, store):
    result = _create(env, "acme")
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    record = json.loads(lines[0])
    assert set(record) == {"tenant", "api_key", "webhook_secret"} and record["tenant"] == "acme"
    tenant = store.authenticate(record["api_key"])
    assert tenant.name == "acme" and tenant.webhook_secret == record["webhook_secret"]


def test_list_never_shows_the_key_and_revoke_makes_it_fail(env, store):
    key_a = json.loads(_create(env, "tenant-a").stdout)["api_key"]
    key_b = json.loads(_create(env, "tenant-b").stdout)["api_key"]
    listed = runner.invoke(app, ["keys", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert key_a not in listed.stdout and key_b not in listed.stdout
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r["tenant"], r["revoked"]) for r in rows] == [("tenant-a", False), ("tenant-b", False)]

    revoked = runner.invoke(app, ["keys", "revoke", rows[0]["key_id"]], env=env)
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(UnauthenticatedError):
        store.authenticate(key_a)
    assert store.authenticate(key_b).name == "tenant-b"
    rows = [json.loads(line) for line in runner.invoke(app, ["keys", "list"], env=env).stdout.splitlines()]
    assert [r["revoked"] for r in rows] == [True, False]


def test_revoking_an_unknown_key_fails(env):
    result = runner.invoke(app, ["keys", "revoke", "key_nope"], env=env)
    assert result.exit_code == 1


def test_a_missing_pepper_is_an_error(env):
    result = runner.invoke(app, ["keys", "create", "--tenant", "acme"], env={**env, "IDPHOTO_AUTH_PEPPER": ""})
    assert result.exit_code == 1 and "pepper" in result.output.lower()


def test_webhook_secret_is_the_one_create_printed_and_is_made_for_a_tenant_without_keys(env):
    created = json.loads(runner.invoke(app, ["keys", "create", "--tenant", "hooks"], env=env).stdout)
    shown = runner.invoke(app, ["keys", "webhook-secret", "--tenant", "hooks"], env={**env, "IDPHOTO_AUTH_PEPPER": ""})
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == {"tenant": "hooks", "webhook_secret": created["webhook_secret"]}
    first = json.loads(runner.invoke(app, ["keys", "webhook-secret", "--tenant", "default"], env=env).stdout)
    again = json.loads(runner.invoke(app, ["keys", "webhook-secret", "--tenant", "default"], env=env).stdout)
    assert first == again and first["webhook_secret"].startswith("whsec_")


def test_rotating_the_webhook_secret_replaces_it(env):
    first = json.loads(runner.invoke(app, ["keys", "webhook-secret", "--tenant", "rot"], env=env).stdout)
    rotated = json.loads(runner.invoke(app, ["keys", "webhook-secret", "--tenant", "rot", "--rotate"], env=env).stdout)
    shown = json.loads(runner.invoke(app, ["keys", "webhook-secret", "--tenant", "rot"], env=env).stdout)
    assert rotated["webhook_secret"] != first["webhook_secret"] and shown == rotated

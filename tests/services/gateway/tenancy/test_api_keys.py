"""API keys and tenants (services/gateway/tenancy/api_keys.py) against a real Redis."""

from __future__ import annotations

import pytest

from idphoto.config import load_config
from idphoto.errors import ConfigError, UnauthenticatedError
from services.gateway.tenancy.api_keys import AuthConfig, KeyStore, bearer_key

PEPPER = "p" * 40


@pytest.fixture
def store(redis_client, key_prefix):
    return KeyStore(redis_client, PEPPER, prefix=key_prefix)


def _everything_under(client, prefix: str) -> list[str]:
    """Every key name, hash field/value, string and set/zset member stored under ``prefix``."""
    seen: list[str] = []
    for key in client.scan_iter(match=f"{prefix}*"):
        seen.append(key)
        kind = client.type(key)
        if kind == "hash":
            for field, value in client.hgetall(key).items():
                seen += [field, value]
        elif kind == "string":
            seen.append(client.get(key))
        elif kind == "set":
            seen += list(client.smembers(key))
        elif kind == "zset":
            seen += list(client.zrange(key, 0, -1))
        else:
            pytest.fail(f"unexpected key type {kind} for {key}")
    return seen


def test_the_raw_key_is_never_stored(store, redis_client, key_prefix):
    api_key, secret = store.create("acme")
    stored = _everything_under(redis_client, key_prefix)
    assert stored, "the store wrote nothing under its prefix"
    assert secret in stored                      # the webhook secret is kept (needed to sign) ...
    assert not any(api_key in item for item in stored)  # ... the key never is
    assert not any(api_key[len("idp_"):] in item for item in stored)
    assert store.digest(api_key) in " ".join(stored)


def test_a_fresh_key_authenticates_to_its_tenant(store):
    api_key, secret = store.create("acme")
    assert api_key.startswith("idp_") and len(api_key) > 40
    tenant = store.authenticate(api_key)
    assert tenant.name == "acme" and tenant.webhook_secret == secret and tenant.key_id.startswith("key_")


@pytest.mark.parametrize("bad", ["", None, "idp_", "not-a-key", "Bearer x"])
def test_missing_or_malformed_keys_are_unauthenticated(store, bad):
    store.create("acme")
    with pytest.raises(UnauthenticatedError) as info:
        store.authenticate(bad)
    assert info.value.code == "UNAUTHENTICATED" and info.value.grpc_status == "UNAUTHENTICATED"
    assert info.value.http_status == 401


def test_a_wrong_key_of_the_right_shape_is_unauthenticated(store):
    api_key, _ = store.create("acme")
    wrong = api_key[:-1] + ("A" if api_key[-1] != "A" else "B")
    with pytest.raises(UnauthenticatedError):
        store.authenticate(wrong)


def test_a_key_made_with_another_pepper_is_unauthenticated(store, redis_client, key_prefix):
    api_key, _ = store.create("acme")
    with pytest.raises(UnauthenticatedError):
        KeyStore(redis_client, "q" * 40, prefix=key_prefix).authenticate(api_key)


def test_a_revoked_key_is_unauthenticated_and_others_keep_working(store):
    key_a, _ = store.create("acme")
    key_b, _ = store.create("acme")
    key_id = store.authenticate(key_a).key_id
    revoked = store.revoke(key_id)
    assert revoked.revoked and revoked.key_id == key_id
    with pytest.raises(UnauthenticatedError):
        store.authenticate(key_a)
    assert store.authenticate(key_b).name == "acme"
    # by display prefix too
    store.revoke(key_b[:12])
    with pytest.raises(UnauthenticatedError):
        store.authenticate(key_b)


def test_two_tenants_get_different_keys_and_secrets(store):
    key_a, secret_a = store.create("tenant-a")
    key_b, secret_b = store.create("tenant-b")
    assert key_a != key_b and secret_a != secret_b
    assert store.authenticate(key_a).name == "tenant-a"
    assert store.authenticate(key_b).name == "tenant-b"
    # a tenant's keys share its webhook secret
    key_a2, secret_a2 = store.create("tenant-a")
    assert key_a2 != key_a and secret_a2 == secret_a


def test_list_shows_ids_and_prefixes_but_never_the_key(store):
    key_a, _ = store.create("tenant-a")
    key_b, _ = store.create("tenant-b")
    store.revoke(store.authenticate(key_b).key_id)
    infos = store.list()
    assert [(i.tenant, i.revoked) for i in infos] == [("tenant-a", False), ("tenant-b", True)]
    text = repr([i.to_dict() for i in infos])
    assert key_a not in text and key_b not in text
    assert infos[0].prefix == key_a[:12] and infos[0].created > 0


def test_bad_tenant_names_and_unknown_revocations_are_rejected(store):
    from idphoto.errors import InvalidOptionError

    for name in ("", "has space", "x" * 65, "../etc"):
        with pytest.raises(InvalidOptionError):
            store.create(name)
    with pytest.raises(InvalidOptionError):
        store.revoke("key_does_not_exist")


def test_a_short_pepper_is_refused(redis_client, key_prefix):
    with pytest.raises(ConfigError):
        KeyStore(redis_client, "short", prefix=key_prefix)


def test_bearer_header_parsing():
    assert bearer_key("Bearer idp_abc") == "idp_abc"
    assert bearer_key("bearer   idp_abc ") == "idp_abc"
    assert bearer_key("Basic xyz") == "" and bearer_key(None) == "" and bearer_key("") == ""


# --- config ------------------------------------------------------------------------------------------------
def test_config_defaults_to_off_without_a_pepper():
    config = load_config(AuthConfig, "AUTH", env={})
    assert config.mode == "off" and not config.required and config.burst >= 1


def test_required_mode_needs_a_long_pepper():
    with pytest.raises(ConfigError) as info:
        load_config(AuthConfig, "AUTH", env={"IDPHOTO_AUTH_MODE": "required", "IDPHOTO_AUTH_PEPPER": "short"})
    assert "pepper" in str(info.value)
    config = load_config(AuthConfig, "AUTH", env={"IDPHOTO_AUTH_MODE": "required", "IDPHOTO_AUTH_PEPPER": PEPPER,
                                                  "IDPHOTO_AUTH_RATE_PER_S": "2.5", "IDPHOTO_AUTH_BURST": "7",
                                                  "IDPHOTO_AUTH_MAX_CONCURRENT_JOBS": "3"})
    assert config.required and config.rate_per_s == 2.5 and config.burst == 7 and config.max_concurrent_jobs == 3


def test_config_reports_every_problem_at_once():
    env = {"IDPHOTO_AUTH_MODE": "required", "IDPHOTO_AUTH_PEPPER": "", "IDPHOTO_AUTH_RATE_PER_S": "0",
           "IDPHOTO_AUTH_BURST": "0", "IDPHOTO_AUTH_MAX_CONCURRENT_JOBS": "many"}
    with pytest.raises(ConfigError) as info:
        load_config(AuthConfig, "AUTH", env=env)
    problems = info.value.details["problems"]
    joined = " | ".join(problems)
    assert len(problems) == 4, problems
    for word in ("pepper", "rate_per_s", "burst", "IDPHOTO_AUTH_MAX_CONCURRENT_JOBS"):
        assert word in joined


def test_an_unknown_mode_is_a_config_error():
    with pytest.raises(ConfigError):
        load_config(AuthConfig, "AUTH", env={"IDPHOTO_AUTH_MODE": "maybe"})


def test_idphoto_auth_names_the_mode_and_must_agree_with_the_section_key():
    from services.gateway.tenancy.api_keys import load_auth_config

    assert load_auth_config({"IDPHOTO_AUTH": "required", "IDPHOTO_AUTH_PEPPER": PEPPER}).required
    assert not load_auth_config({}).required
    with pytest.raises(ConfigError):
        load_auth_config({"IDPHOTO_AUTH": "required", "IDPHOTO_AUTH_MODE": "off", "IDPHOTO_AUTH_PEPPER": PEPPER})
    with pytest.raises(ConfigError):
        load_auth_config({"IDPHOTO_AUTH": "sometimes"})


def test_a_worker_takes_the_required_mode_without_the_pepper(redis_client, key_prefix):
    from services.gateway.config import GatewayConfig
    from services.gateway.jobs.config import JobsConfig
    from services.gateway.tenancy.api_keys import load_auth_config
    from services.gateway.wiring import ExtraConfigs, assemble

    env = {"IDPHOTO_AUTH": "required", "IDPHOTO_AUTH_MAX_CONCURRENT_JOBS": "3"}
    with pytest.raises(ConfigError):
        load_auth_config(env)                          # the gateway API needs the pepper
    config = load_auth_config(env, need_pepper=False)
    assert config.required and config.max_concurrent_jobs == 3 and not config.pepper
    with pytest.raises(ConfigError):
        load_auth_config({"IDPHOTO_AUTH": "sometimes"}, need_pepper=False)
    parts = assemble(GatewayConfig(port=0), JobsConfig(key_prefix=key_prefix), redis_client, None,
                     ExtraConfigs.load(env, worker=True))
    assert parts.tenants is None and parts.core.limiter.max_concurrent_jobs == 3   # slots are still given back


@pytest.mark.parametrize("tenant", ["acme.corp", "", "-lead", "x" * 64, "a/b"])
def test_a_key_is_only_made_for_a_tenant_name_every_store_accepts(redis_client, key_prefix, tenant):
    from idphoto.errors import InvalidOptionError

    with pytest.raises(InvalidOptionError):
        KeyStore(redis_client, PEPPER, key_prefix).create(tenant)

"""NetworkPolicies, evaluated (tests/deploy/k8s.py): only the gateway tier (gateway API + workers) reaches face,
matting, compose, Redis and S3; the gateway accepts traffic only on its ports; the workers accept none."""

from __future__ import annotations

import ipaddress

import pytest

from tests.deploy.conftest import INTERNAL
from tests.deploy.k8s import (
    External,
    allowed,
    egress_allowed,
    find,
    ingress_allowed,
    namespace_of,
    other_pod,
    pods,
)

INTERNET_CLIENT = External("203.0.113.7")
GATEWAY_TIER = ("gateway", "worker")


def _cidr_hosts(objs, port: int) -> list[External]:
    """External addresses inside the ipBlocks that some gateway-tier egress rule opens on ``port`` (prod: Redis,
    S3; the workers' own internet rule is not one of them)."""
    hosts = []
    for policy in find(objs, "NetworkPolicy"):
        if policy["spec"]["podSelector"].get("matchLabels", {}).get("idphoto.io/tier") != "gateway":
            continue
        for rule in policy["spec"].get("egress") or []:
            if any(p.get("port") == port for p in rule.get("ports") or []):
                for peer in rule.get("to") or []:
                    if "ipBlock" in peer:
                        network = ipaddress.ip_network(peer["ipBlock"]["cidr"])
                        hosts.append(External(str(next(iter(network.hosts())))))
    return hosts


def _strangers(objs):
    ns = namespace_of(objs)
    return [other_pod(ns, {"app": "debug-shell"}), other_pod(ns, {"app.kubernetes.io/component": "gateway-clone"}),
            other_pod(ns, {"idphoto.io/tier": "gateway"}, namespace="elsewhere"),
            other_pod(ns, {}, namespace="monitoring")]


def test_every_pod_is_denied_by_default(overlay):
    _, objs = overlay
    deny = [p for p in find(objs, "NetworkPolicy") if p["spec"]["podSelector"] == {}
            and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not p["spec"].get("ingress")
            and not p["spec"].get("egress")]
    assert len(deny) == 1
    ns = namespace_of(objs)
    stranger = other_pod(ns, {"app": "debug-shell"}, ports={"ssh": (22, "TCP")})
    assert not allowed(objs, INTERNET_CLIENT, stranger, 22)


def test_only_the_gateway_tier_reaches_the_internal_services(overlay):
    name, objs = overlay
    everyone = pods(objs)
    for target in INTERNAL:
        service = everyone[target]
        for source in GATEWAY_TIER:
            assert allowed(objs, everyone[source], service, "grpc"), f"{name}: {source} cannot reach {target}"
        others = [p for comp, p in everyone.items() if comp not in GATEWAY_TIER] + _strangers(objs)
        for source in [*others, INTERNET_CLIENT]:
            assert not allowed(objs, source, service, "grpc"), f"{name}: {source} reaches {target}"
        # each layer holds by itself: the service's ingress admits only the gateway tier, and only the gateway
        # tier's egress opens towards it (a stranger in the namespace or elsewhere is refused by both)
        for source in [*others, INTERNET_CLIENT]:
            assert not ingress_allowed(objs, source, service, "grpc"), f"{name}: ingress admits {source}"
        for source in others:
            if source.namespace == service.namespace:
                assert not egress_allowed(objs, source, service, "grpc"), f"{name}: {source} may send to {target}"
        # nothing but Prometheus reaches the metrics port, and the gateway tier has no business there
        assert allowed(objs, other_pod(namespace_of(objs), {}, namespace="monitoring"), service, "metrics")
        for source in [*[p for comp, p in everyone.items() if comp != target], INTERNET_CLIENT]:
            assert not allowed(objs, source, service, "metrics"), f"{name}: {source} reaches {target} metrics"


def test_only_the_gateway_tier_carries_the_tier_label(overlay):
    _, objs = overlay
    tier = {comp for comp, pod in pods(objs).items() if pod.labels.get("idphoto.io/tier") == "gateway"}
    assert tier == set(GATEWAY_TIER)


def test_the_gateway_accepts_traffic_only_on_its_ports(overlay):
    name, objs = overlay
    gateway = pods(objs)["gateway"]
    assert set(gateway.ports) == {"grpc", "http"}
    for port in ("grpc", "http"):
        assert allowed(objs, INTERNET_CLIENT, gateway, port), f"{name}: clients cannot reach the gateway {port}"
    for port in (22, 6379, 9000, 50051, 9101):
        assert not allowed(objs, INTERNET_CLIENT, gateway, port), f"{name}: gateway open on {port}"
    for policy in find(objs, "NetworkPolicy"):
        if policy["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/component") == "gateway":
            for rule in policy["spec"].get("ingress") or []:
                assert rule.get("ports"), f"{name}: {policy['metadata']['name']} opens every port"


def test_nothing_reaches_the_workers(overlay):
    _, objs = overlay
    everyone = pods(objs)
    worker = everyone["worker"]
    for source in [*everyone.values(), INTERNET_CLIENT]:
        for port in (22, 8080, 50050):
            assert not allowed(objs, source, worker, port)


def test_dev_redis_and_minio_are_reached_by_the_gateway_tier_only(rendered):
    objs = rendered["dev"]
    everyone = pods(objs)
    for store, port in (("redis", "redis"), ("minio", "s3")):
        for source in GATEWAY_TIER:
            assert allowed(objs, everyone[source], everyone[store], port), f"{source} cannot reach {store}"
        allowed_extra = {"minio-bootstrap"} if store == "minio" else set()
        for comp, pod in everyone.items():
            if comp in GATEWAY_TIER or comp in allowed_extra or comp == store:
                continue
            assert not allowed(objs, pod, everyone[store], port), f"dev: {comp} reaches {store}"
        for stranger in [*_strangers(objs), INTERNET_CLIENT]:
            assert not allowed(objs, stranger, everyone[store], port), f"dev: {stranger} reaches {store}"
            assert not ingress_allowed(objs, stranger, everyone[store], port), f"dev: {store} admits {stranger}"
        for comp, pod in everyone.items():
            if comp not in GATEWAY_TIER and comp not in allowed_extra and comp != store:
                assert not ingress_allowed(objs, pod, everyone[store], port), f"dev: {store} admits {comp}"
                assert not egress_allowed(objs, pod, everyone[store], port), f"dev: {comp} may send to {store}"
    assert allowed(objs, everyone["minio-bootstrap"], everyone["minio"], "s3")


def test_dev_model_pull_reaches_the_internet_but_not_the_cluster(rendered):
    objs = rendered["dev"]
    everyone = pods(objs)
    for comp in ("face", "matting"):
        assert allowed(objs, everyone[comp], External("151.101.0.223"), 443), f"{comp} cannot pull models"
        for private in ("10.0.0.5", "172.20.1.1", "192.168.1.1", "169.254.169.254", "100.64.0.1"):
            assert not allowed(objs, everyone[comp], External(private), 443), f"{comp} reaches {private}"
        assert not allowed(objs, everyone[comp], External("151.101.0.223"), 6379)
    assert not allowed(objs, everyone["compose"], External("151.101.0.223"), 443)


@pytest.mark.parametrize("name", ["prod", "gpu"])
def test_prod_external_redis_and_s3_are_reached_by_the_gateway_tier_only(rendered, name):
    objs = rendered[name]
    everyone = pods(objs)
    redis_hosts, s3_hosts = _cidr_hosts(objs, 6379), _cidr_hosts(objs, 443)
    assert redis_hosts and s3_hosts
    for host, port in [*((h, 6379) for h in redis_hosts), *((h, 443) for h in s3_hosts)]:
        for source in GATEWAY_TIER:
            assert allowed(objs, everyone[source], host, port), f"{name}: {source} cannot reach {host.ip}:{port}"
        for comp in INTERNAL:
            assert not allowed(objs, everyone[comp], host, port), f"{name}: {comp} reaches {host.ip}:{port}"
    # face, matting and compose have no way out of the cluster at all (DNS aside)
    for comp in INTERNAL:
        for port in (443, 80, 6379):
            assert not allowed(objs, everyone[comp], External("151.101.0.223"), port)


def test_everyone_may_resolve_names(overlay):
    _, objs = overlay
    dns = other_pod("kube-system", {"k8s-app": "kube-dns"}, namespace="kube-system",
                    ports={"dns": (53, "UDP")})
    for comp, pod in pods(objs).items():
        assert allowed(objs, pod, dns, 53, "UDP"), comp


def test_the_evaluator_can_say_yes_and_no():
    """Guard against an evaluator that allows (or denies) everything: a tiny policy set with known answers."""
    ns = "t"
    policies = [
        {"kind": "NetworkPolicy", "metadata": {"name": "deny", "namespace": ns},
         "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}},
        {"kind": "NetworkPolicy", "metadata": {"name": "a-to-b", "namespace": ns},
         "spec": {"podSelector": {"matchLabels": {"app": "b"}}, "policyTypes": ["Ingress"],
                  "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "a"}}}],
                               "ports": [{"port": "web", "protocol": "TCP"}]}]}},
        {"kind": "NetworkPolicy", "metadata": {"name": "a-out", "namespace": ns},
         "spec": {"podSelector": {"matchLabels": {"app": "a"}}, "policyTypes": ["Egress"],
                  "egress": [{"to": [{"podSelector": {"matchLabels": {"app": "b"}}}]}]}},
    ]
    a = other_pod(ns, {"app": "a"})
    b = other_pod(ns, {"app": "b"}, ports={"web": (8080, "TCP")})
    c = other_pod(ns, {"app": "c"})
    assert allowed(policies, a, b, "web")
    assert not allowed(policies, a, b, 9090)
    assert not allowed(policies, c, b, "web")
    assert not allowed(policies, b, a, 8080)
    assert not allowed(policies, a, External("8.8.8.8"), 443)


def test_workers_reach_public_http_for_image_urls_and_webhooks_but_not_the_cluster(overlay):
    name, objs = overlay
    everyone = pods(objs)
    public = External("151.101.0.223")
    for port in (80, 443):
        assert allowed(objs, everyone["worker"], public, port), f"{name}: workers cannot fetch on {port}"
    for private in ("10.0.0.5", "172.20.1.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "127.0.0.1"):
        assert not allowed(objs, everyone["worker"], External(private), 443), f"{name}: workers reach {private}"
    assert not allowed(objs, everyone["worker"], public, 22)
    assert not allowed(objs, everyone["gateway"], public, 443), f"{name}: the API pods fetch nothing"

"""Helpers over rendered manifests: workloads, containers, config keys, and a NetworkPolicy evaluator.

The evaluator answers "may a connection from A reach B on port P?" the way the NetworkPolicy API defines it:
a pod selected by no policy of a direction is open in that direction; once selected, only what some rule of
those policies allows gets through, and a connection needs both the source's egress and the destination's
ingress. Peers: podSelector (same namespace), namespaceSelector (+ podSelector), ipBlock (cidr minus except).
Ports: numbers, or names resolved against the destination pod's container ports.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass, field

from idphoto.config import config_keys

WORKLOAD_KINDS = ("Deployment", "StatefulSet", "Job")
EXTRA_ENV_KEYS = {"IDPHOTO_MODEL_DIR", "IDPHOTO_MODELS_MANIFEST"}   # read by idphoto/models, not a config class


def typed_config_keys() -> set[str]:
    """Every IDPHOTO_* key the services' typed configs understand."""
    from services.compose.server import ComposeServiceConfig
    from services.face.server import FaceServiceConfig
    from services.gateway.batches.config import BatchConfig
    from services.gateway.config import GatewayConfig, WorkerConfig
    from services.gateway.jobs.config import JobsConfig
    from services.gateway.outbound.fetch import FetchConfig
    from services.gateway.storage.config import StorageConfig
    from services.gateway.tenancy.api_keys import AuthConfig
    from services.gateway.webhooks.signing import WebhookConfig
    from services.matting.server import MattingServiceConfig

    sections = [(FaceServiceConfig, "FACE"), (MattingServiceConfig, "MATTING"), (ComposeServiceConfig, "COMPOSE"),
                (GatewayConfig, "GATEWAY"), (WorkerConfig, "WORKER"), (JobsConfig, "JOBS"),
                (StorageConfig, "STORAGE"), (AuthConfig, "AUTH"), (FetchConfig, "FETCH"),
                (WebhookConfig, "WEBHOOKS"), (BatchConfig, "BATCH")]
    aliases = {"IDPHOTO_AUTH"}                      # the auth mode's documented name (load_auth_config)
    return {key for cls, section in sections for key in config_keys(cls, section)} | aliases


def find(objs: list[dict], kind: str, name: str | None = None) -> list[dict]:
    return [o for o in objs if o["kind"] == kind and (name is None or o["metadata"]["name"] == name)]


def one(objs: list[dict], kind: str, name: str) -> dict:
    found = find(objs, kind, name)
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def pod_labels(workload: dict) -> dict:
    return workload["spec"]["template"]["metadata"].get("labels", {})


def component(workload: dict) -> str:
    return pod_labels(workload)["app.kubernetes.io/component"]


def workloads(objs: list[dict], kinds=WORKLOAD_KINDS) -> list[dict]:
    return [o for o in objs if o["kind"] in kinds]


def containers(workload: dict, init: bool = True) -> list[dict]:
    spec = pod_spec(workload)
    return list(spec.get("containers", [])) + (list(spec.get("initContainers", [])) if init else [])


def configmap_env(objs: list[dict], container: dict) -> dict[str, str]:
    """The environment a container gets from the ConfigMaps of its envFrom."""
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        ref = source.get("configMapRef")
        if ref:
            env.update(one(objs, "ConfigMap", ref["name"]).get("data", {}))
    return env


def unknown_config_keys(objs: list[dict]) -> dict[str, set[str]]:
    """Per ConfigMap used as environment (envFrom) or per container env: IDPHOTO_* keys no typed config knows,
    and keys that are not IDPHOTO_* at all (a ConfigMap of config holds nothing else)."""
    known = typed_config_keys()
    problems: dict[str, set[str]] = {}
    env_maps = {source["configMapRef"]["name"] for w in workloads(objs) for c in containers(w)
                for source in c.get("envFrom", []) if "configMapRef" in source}
    for name in sorted(env_maps):
        bad = {k for k in one(objs, "ConfigMap", name).get("data", {}) if k not in known}
        if bad:
            problems[f"ConfigMap/{name}"] = bad
    for w in workloads(objs):
        for c in containers(w):
            bad = {e["name"] for e in c.get("env", []) if e["name"].startswith("IDPHOTO_")
                   and e["name"] not in known | EXTRA_ENV_KEYS}
            if bad:
                problems[f"{w['kind']}/{w['metadata']['name']}/{c['name']}"] = bad
    return problems


# --- NetworkPolicy evaluation ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Pod:
    name: str
    labels: dict
    namespace: str
    namespace_labels: dict
    ports: dict = field(default_factory=dict)       # name -> (number, protocol)

    def port_number(self, port: int | str, protocol: str) -> int | None:
        if isinstance(port, int):
            return port
        number, proto = self.ports.get(port, (None, None))
        return number if proto == protocol else None


@dataclass(frozen=True)
class External:
    """An address outside the cluster (a client on the internet, an external Redis or S3)."""

    ip: str


def namespace_of(objs: list[dict]) -> str:
    names = {o["metadata"].get("namespace") for o in objs if o["kind"] != "Namespace"}
    names.discard(None)
    assert len(names) == 1, f"objects span namespaces {names}"
    return names.pop()


def pods(objs: list[dict]) -> dict[str, Pod]:
    """One representative pod per workload, keyed by its component label."""
    ns = namespace_of(objs)
    out = {}
    for w in workloads(objs):
        ports = {p["name"]: (p["containerPort"], p.get("protocol", "TCP"))
                 for c in containers(w, init=False) for p in c.get("ports", []) if "name" in p}
        out[component(w)] = Pod(component(w), pod_labels(w), ns, {"kubernetes.io/metadata.name": ns}, ports)
    return out


def other_pod(ns: str, labels: dict, namespace: str | None = None, ports: dict | None = None) -> Pod:
    namespace = namespace or ns
    return Pod("other", labels, namespace, {"kubernetes.io/metadata.name": namespace}, ports or {})


def selector_matches(selector: dict | None, labels: dict) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        ok = {"In": present and labels[key] in values, "NotIn": not present or labels[key] not in values,
              "Exists": present, "DoesNotExist": not present}[op]
        if not ok:
            return False
    return True


def _peer_matches(peer: dict, other: Pod | External, policy_ns: str) -> bool:
    if "ipBlock" in peer:
        if not isinstance(other, External):
            return False          # pod IPs are inside the cluster ranges; the policies here never list them
        ip = ipaddress.ip_address(other.ip)
        block = peer["ipBlock"]
        return ip in ipaddress.ip_network(block["cidr"]) and not any(
            ip in ipaddress.ip_network(e) for e in block.get("except", []))
    if isinstance(other, External):
        return False
    if "namespaceSelector" in peer:
        if not selector_matches(peer["namespaceSelector"], other.namespace_labels):
            return False
    elif other.namespace != policy_ns:
        return False
    return selector_matches(peer.get("podSelector"), other.labels)


def _ports_match(rule_ports: list[dict] | None, port: int, protocol: str, destination: Pod | External) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != protocol:
            continue
        if "port" not in entry:
            return True
        wanted = entry["port"]
        if isinstance(wanted, str):
            if not isinstance(destination, Pod):
                continue
            wanted = destination.port_number(wanted, protocol)
            if wanted is None:
                continue
        if wanted <= port <= entry.get("endPort", wanted):
            return True
    return False


def _policy_types(policy: dict) -> list[str]:
    spec = policy["spec"]
    return spec.get("policyTypes") or (["Ingress"] + (["Egress"] if "egress" in spec else []))


def _direction_allows(policies: list[dict], subject: Pod, peer: Pod | External, port: int, protocol: str,
                      direction: str, destination: Pod | External) -> bool:
    selecting = [p for p in policies if p["metadata"].get("namespace") == subject.namespace
                 and direction in _policy_types(p) and selector_matches(p["spec"]["podSelector"], subject.labels)]
    if not selecting:
        return True
    key = "ingress" if direction == "Ingress" else "egress"
    side = "from" if direction == "Ingress" else "to"
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            peers = rule.get(side)
            if peers and not any(_peer_matches(entry, peer, policy["metadata"]["namespace"]) for entry in peers):
                continue
            if _ports_match(rule.get("ports"), port, protocol, destination):
                return True
    return False


def allowed(objs: list[dict], source: Pod | External, destination: Pod | External, port: int | str,
            protocol: str = "TCP") -> bool:
    """May ``source`` open a connection to ``destination`` on ``port`` (a number, or a named port of the
    destination pod)?"""
    policies = find(objs, "NetworkPolicy")
    if isinstance(port, str):
        assert isinstance(destination, Pod), "named ports need a destination pod"
        number = destination.port_number(port, protocol)
        assert number is not None, f"{destination.name} has no port {port}"
        port = number
    if isinstance(source, Pod) and not _direction_allows(policies, source, destination, port, protocol,
                                                         "Egress", destination):
        return False
    if isinstance(destination, Pod) and not _direction_allows(policies, destination, source, port, protocol,
                                                              "Ingress", destination):
        return False
    return True


def _number(destination: Pod | External, port: int | str, protocol: str) -> int:
    if isinstance(port, int):
        return port
    assert isinstance(destination, Pod), "named ports need a destination pod"
    number = destination.port_number(port, protocol)
    assert number is not None, f"{destination.name} has no port {port}"
    return number


def ingress_allowed(objs: list[dict], source: Pod | External, destination: Pod, port: int | str,
                    protocol: str = "TCP") -> bool:
    """The destination's ingress policies alone (as if the source's egress were open): each layer of the
    defence must hold by itself."""
    number = _number(destination, port, protocol)
    return _direction_allows(find(objs, "NetworkPolicy"), destination, source, number, protocol, "Ingress",
                             destination)


def egress_allowed(objs: list[dict], source: Pod, destination: Pod | External, port: int | str,
                   protocol: str = "TCP") -> bool:
    """The source's egress policies alone."""
    number = _number(destination, port, protocol)
    return _direction_allows(find(objs, "NetworkPolicy"), source, destination, number, protocol, "Egress",
                             destination)


def app_deployments(objs) -> dict[str, dict]:
    return {component(d): d for d in find(objs, "Deployment")}


def secret_values(objs) -> dict[str, dict[str, str]]:
    """The overlay's generated Secrets, decoded; prod takes its Secrets from the operator: stand-ins then."""
    secrets = {s["metadata"]["name"].rsplit("-", 1)[0]: {k: base64.b64decode(v).decode()
                                                        for k, v in s.get("data", {}).items()}
               for s in find(objs, "Secret")}
    return secrets or {"idphoto-redis": {"url": "rediss://:secret@redis.example.com:6379/0"},
                       "idphoto-s3": {"endpoint": "s3.example.com", "access-key": "AKIA", "secret-key": "s" * 40},
                       "idphoto-auth": {"pepper": "q" * 48}}

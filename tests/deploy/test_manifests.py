"""Every overlay renders, validates strictly against a pinned Kubernetes schema, and keeps the deployment's
invariants: probes, requests and limits, a locked-down security context, pinned images, known config keys,
an autoscaler and a disruption budget per service, a GPU for matting only (gpu overlay), drain times."""

from __future__ import annotations

import re
import shutil

import kubernetes_validate
import pytest
from kubernetes_validate.utils import SchemaNotFoundError, all_versions

from idphoto.config import load_config
from tests.deploy.conftest import APP_COMPONENTS, INTERNAL, K8S, OVERLAYS, render
from tests.deploy.k8s import (
    app_deployments,
    component,
    configmap_env,
    containers,
    find,
    one,
    pod_labels,
    pod_spec,
    secret_values,
    selector_matches,
    typed_config_keys,
    unknown_config_keys,
    workloads,
)

# The Kubernetes version the manifests are validated against (kubernetes-validate ships its schemas offline).
# Native gRPC probes are GA since 1.27; matchLabelKeys in topology spread is on by default since 1.27.
KUBERNETES_VERSION = "1.32.0"
LONG_RUNNING = ("Deployment", "StatefulSet")


def long_running(objs):
    return workloads(objs, LONG_RUNNING)


def test_the_pinned_schema_version_ships_with_kubernetes_validate():
    assert KUBERNETES_VERSION in all_versions()


def test_every_object_validates_strictly(overlay):
    name, objs = overlay
    errors = []
    for obj in objs:
        label = f"{obj['kind']}/{obj['metadata']['name']}"
        try:
            kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            errors.append(f"{label}: {path}: {exc.message}")
        except SchemaNotFoundError as exc:
            errors.append(f"{label}: {exc.message}")
    assert not errors, f"{name}:\n" + "\n".join(errors)


def test_strict_validation_catches_a_misspelt_field(rendered):
    """The validation above is able to fail: an unknown field in a container is refused."""
    deployment = dict(find(rendered["dev"], "Deployment", "face")[0])
    broken = {**deployment, "spec": {**deployment["spec"], "replcas": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_each_overlay_runs_the_five_components(overlay):
    name, objs = overlay
    assert sorted(app_deployments(objs)) == sorted(APP_COMPONENTS), name
    for workload in workloads(objs):
        spec = pod_spec(workload)
        assert spec.get("serviceAccountName") == "idphoto"
        assert spec.get("automountServiceAccountToken") is False
    account = one(objs, "ServiceAccount", "idphoto")
    assert account.get("automountServiceAccountToken") is False


def test_every_container_has_probes_requests_and_limits(overlay):
    name, objs = overlay
    for workload in long_running(objs):
        for container in containers(workload, init=False):
            where = f"{name} {workload['metadata']['name']}/{container['name']}"
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                assert probe in container, f"{where}: no {probe}"
    for workload in workloads(objs):
        for container in containers(workload):
            where = f"{name} {workload['metadata']['name']}/{container['name']}"
            resources = container.get("resources", {})
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(kind, {})), f"{where}: {kind} lacks cpu or memory"


def test_every_pod_and_container_is_locked_down(overlay):
    name, objs = overlay
    namespace = find(objs, "Namespace")
    assert len(namespace) == 1 and namespace[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == \
        "restricted"
    for workload in workloads(objs):
        pod = pod_spec(workload).get("securityContext", {})
        where = f"{name} {workload['kind']}/{workload['metadata']['name']}"
        assert pod.get("runAsNonRoot") is True, where
        assert pod.get("runAsUser", 0) != 0, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        assert not pod_spec(workload).get("hostNetwork") and not pod_spec(workload).get("hostPID"), where
        for container in containers(workload):
            sc = container.get("securityContext", {})
            here = f"{where}/{container['name']}"
            assert sc.get("allowPrivilegeEscalation") is False, here
            assert sc.get("readOnlyRootFilesystem") is True, here
            assert sc.get("privileged") in (None, False), here
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], here
            assert not sc.get("capabilities", {}).get("add"), here
            assert sc.get("runAsUser", 1) != 0, here
            # a read-only root: whatever the process writes goes to a volume
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            if workload["kind"] != "StatefulSet" or container["name"] == "minio":
                assert "/tmp" in mounts, f"{here}: no writable /tmp"


def test_idphoto_services_use_native_grpc_probes_and_warm_up_time(overlay):
    name, objs = overlay
    deployments = app_deployments(objs)
    for comp in (*INTERNAL, "gateway"):
        container = pod_spec(deployments[comp])["containers"][0]
        grpc_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "grpc")
        for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
            assert container[probe].get("grpc", {}).get("port") == grpc_port, f"{name} {comp} {probe}"
        startup = container["startupProbe"]
        budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3)
        if comp in ("face", "matting"):
            assert budget >= 120, f"{comp}: {budget}s is too short for loading and warming the models"
    worker = pod_spec(deployments["worker"])["containers"][0]
    assert worker["readinessProbe"]["exec"]["command"][-2:] == ["/etc/idphoto/probe/worker_probe.py", "ready"]
    assert worker["livenessProbe"]["exec"]["command"][-2:] == ["/etc/idphoto/probe/worker_probe.py", "live"]
    mounts = {m["name"]: m["mountPath"] for m in worker["volumeMounts"]}
    volume = next(v for v in pod_spec(deployments["worker"])["volumes"] if v["name"] == "probe")
    assert mounts["probe"] == "/etc/idphoto/probe"
    assert "worker_probe.py" in one(objs, "ConfigMap", volume["configMap"]["name"])["data"]


def test_the_service_runs_what_its_name_says(overlay):
    _, objs = overlay
    modules = {"gateway": "services.gateway", "worker": "services.gateway.worker", "face": "services.face",
               "matting": "services.matting", "compose": "services.compose"}
    for comp, deployment in app_deployments(objs).items():
        assert pod_spec(deployment)["containers"][0]["command"] == ["python", "-m", modules[comp]]


IMAGE = re.compile(r"^(?P<repo>[a-z0-9.\-]+(?::\d+)?/[a-z0-9._/\-]+)(?::(?P<tag>[\w.\-]+))?"
                   r"(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")


def test_images_are_pinned_never_latest(overlay):
    name, objs = overlay
    for workload in workloads(objs):
        for container in containers(workload):
            image = container["image"]
            match = IMAGE.match(image)
            assert match, f"{name}: {image!r} is not registry/repository:tag (a placeholder left unreplaced?)"
            assert match["tag"] or match["digest"], f"{name}: {image} has neither tag nor digest"
            assert match["tag"] != "latest", f"{name}: {image} uses latest"
            assert container.get("imagePullPolicy") != "Always", f"{name}: {image} pulls on every start"


def test_which_image_each_overlay_runs(rendered):
    def idphoto_images(objs):
        return {f"{component(w)}/{c['name']}": c["image"] for w in workloads(objs) for c in containers(w)
                if "/idphoto/idphoto" in c["image"]}

    dev, prod, gpu = (idphoto_images(rendered[n]) for n in OVERLAYS)
    assert set(dev.values()) == {"registry.example.com/idphoto/idphoto:0.1.0-slim"}   # models pulled at start
    assert set(prod.values()) == {"registry.example.com/idphoto/idphoto:0.1.0"}       # models baked in
    assert gpu.pop("matting/matting") == "registry.example.com/idphoto/idphoto:0.1.0-gpu"
    assert set(gpu.values()) == {"registry.example.com/idphoto/idphoto:0.1.0"}


def test_config_keys_are_exactly_keys_the_typed_configs_know(overlay):
    name, objs = overlay
    assert unknown_config_keys(objs) == {}, name
    # and the config is not empty: every section is configured somewhere
    data = one(objs, "ConfigMap", next(c["envFrom"][0]["configMapRef"]["name"]
                                       for c in containers(app_deployments(objs)["gateway"])))["data"]
    for section in ("FACE", "MATTING", "COMPOSE", "GATEWAY", "WORKER", "JOBS", "STORAGE"):
        assert any(k.startswith(f"IDPHOTO_{section}_") for k in data), section


def test_a_misspelt_config_key_fails_the_check(tmp_path):
    """Copy the manifests, misspell one key in the base config, render again: the check names it."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    env_file = copy / "base" / "config.env"
    env_file.write_text(env_file.read_text().replace("IDPHOTO_MATTING_MAX_IN_FLIGHT=", "IDPHOTO_MATTING_MAX_INFLIGHT="))
    problems = unknown_config_keys(render(copy / "overlays" / "dev"))
    assert list(problems.values()) == [{"IDPHOTO_MATTING_MAX_INFLIGHT"}]
    assert "IDPHOTO_MATTING_MAX_INFLIGHT" not in typed_config_keys()


def test_every_process_loads_its_config_from_the_rendered_environment(overlay):
    """Not only known keys: the values parse and validate (targets, ports, URLs), as the processes will."""
    from services.compose.server import ComposeServiceConfig
    from services.face.server import FaceServiceConfig
    from services.gateway.config import GatewayConfig, WorkerConfig
    from services.gateway.jobs.config import JobsConfig
    from services.gateway.storage.config import StorageConfig
    from services.gateway.tenancy.api_keys import AuthConfig
    from services.gateway.wiring import ExtraConfigs
    from services.matting.server import MattingServiceConfig

    name, objs = overlay
    secrets = secret_values(objs)
    sections = {"face": [(FaceServiceConfig, "FACE")], "matting": [(MattingServiceConfig, "MATTING")],
                "compose": [(ComposeServiceConfig, "COMPOSE")],
                "gateway": [(GatewayConfig, "GATEWAY"), (JobsConfig, "JOBS"), (StorageConfig, "STORAGE"),
                            (AuthConfig, "AUTH")],
                "worker": [(GatewayConfig, "GATEWAY"), (WorkerConfig, "WORKER"), (JobsConfig, "JOBS"),
                           (StorageConfig, "STORAGE")]}
    for comp, deployment in app_deployments(objs).items():
        container = pod_spec(deployment)["containers"][0]
        env = configmap_env(objs, container)
        for item in container.get("env", []):
            source = item.get("valueFrom", {})
            if "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                env[item["name"]] = secrets[ref["name"].rsplit("-", 1)[0] if ref["name"] not in secrets
                                            else ref["name"]][ref["key"]]
            elif "fieldRef" in source:
                env[item["name"]] = f"{comp}-7d9f8b6c5-abcde"
            else:
                env[item["name"]] = item["value"]
        for cls, section in sections[comp]:
            config = load_config(cls, section, env)
            assert config is not None, (name, comp, section)
        if comp in ("gateway", "worker"):        # auth (IDPHOTO_AUTH), fetch, webhooks, batches, as each process does
            extra = ExtraConfigs.load(env, worker=comp == "worker")
            assert extra.auth.required == (name != "dev"), (name, comp)
        if comp in INTERNAL:
            assert env[f"IDPHOTO_{comp.upper()}_HOST"] == "0.0.0.0", "a pod must listen on its pod IP"
        if comp in ("gateway", "worker"):
            assert env["IDPHOTO_STORAGE_BACKEND"] == "s3", "replicas share S3, never a local directory"


def test_ports_agree_between_config_containers_services_and_scrape_annotations(overlay):
    _, objs = overlay
    deployments = app_deployments(objs)
    for comp in INTERNAL:
        container = pod_spec(deployments[comp])["containers"][0]
        env = configmap_env(objs, container)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"grpc": int(env[f"IDPHOTO_{comp.upper()}_PORT"]),
                         "metrics": int(env[f"IDPHOTO_{comp.upper()}_METRICS_PORT"])}
        annotations = deployments[comp]["spec"]["template"]["metadata"]["annotations"]
        assert int(annotations["prometheus.io/port"]) == ports["metrics"]
        service = one(objs, "Service", comp)
        assert service["spec"]["clusterIP"] == "None", f"{comp}: headless, so gRPC balances per call"
        assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(ports["grpc"], "grpc")]
        assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod_labels(deployments[comp]))
        # the gateway tier dials the headless Service's DNS name with the same port
        target = env[f"IDPHOTO_GATEWAY_{comp.upper()}_TARGETS"]
        assert target == f"dns:///{comp}:{ports['grpc']}"
    gateway = pod_spec(deployments["gateway"])["containers"][0]
    env = configmap_env(objs, gateway)
    ports = {p["name"]: p["containerPort"] for p in gateway["ports"]}
    assert ports == {"grpc": int(env["IDPHOTO_GATEWAY_PORT"]), "http": int(env["IDPHOTO_GATEWAY_HTTP_PORT"])}
    service = one(objs, "Service", "gateway")
    assert {p["port"] for p in service["spec"]["ports"]} == set(ports.values())


def test_every_service_has_an_autoscaler_and_a_disruption_budget(overlay):
    name, objs = overlay
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in find(objs, "HorizontalPodAutoscaler")}
    pdbs = find(objs, "PodDisruptionBudget")
    for comp, deployment in app_deployments(objs).items():
        dep_name = deployment["metadata"]["name"]
        assert "replicas" not in deployment["spec"], f"{name} {comp}: the HPA owns the replica count"
        hpa = hpas[dep_name]
        assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        cpu = [m for m in hpa["spec"]["metrics"] if m["type"] == "Resource" and m["resource"]["name"] == "cpu"]
        assert cpu and 0 < cpu[0]["resource"]["target"]["averageUtilization"] <= 90, f"{name} {comp}"
        matching = [p for p in pdbs if selector_matches(p["spec"]["selector"], pod_labels(deployment))]
        assert len(matching) == 1, f"{name} {comp}: {len(matching)} PDBs"
        pdb = matching[0]["spec"]
        if name == "dev":
            assert hpa["spec"]["minReplicas"] == hpa["spec"]["maxReplicas"] == 1, "dev: one replica each"
            assert pdb.get("maxUnavailable") == 1, "dev: a single pod must still be drainable"
        else:
            least = 1 if (name, comp) == ("gpu", "matting") else 2     # gpu: two GPU replicas, keep one
            assert "maxUnavailable" not in pdb and pdb["minAvailable"] >= least, f"{name} {comp}: minAvailable"
            assert hpa["spec"]["minReplicas"] > pdb["minAvailable"], f"{name} {comp}: the PDB would block drains"


def test_matting_autoscaler_documents_a_queue_depth_metric():
    text = (K8S / "base" / "matting.yaml").read_text()
    example = [line.strip().lstrip("# ") for line in text.splitlines() if line.strip().startswith("#")]
    assert "- type: External" in example and "name: redis_stream_group_lag" in example

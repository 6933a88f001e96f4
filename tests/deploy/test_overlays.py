"""Per-overlay guarantees: a GPU for matting only (gpu), drain times, zone spreading and operator Secrets (prod),
in-cluster Redis and MinIO with model pulling (dev), models baked into the image (prod), no unknown auth keys."""

from __future__ import annotations

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
    workloads,
)


def test_gpu_overlay_gives_matting_a_gpu_and_nothing_else_one(rendered):
    for name, objs in rendered.items():
        with_gpu = {f"{component(w)}/{c['name']}" for w in workloads(objs) for c in containers(w)
                    if "nvidia.com/gpu" in c.get("resources", {}).get("limits", {})
                    or "nvidia.com/gpu" in c.get("resources", {}).get("requests", {})}
        assert with_gpu == ({"matting/matting"} if name == "gpu" else set()), name
    gpu = rendered["gpu"]
    matting = app_deployments(gpu)["matting"]
    spec = pod_spec(matting)
    assert spec["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1    # one replica per GPU
    assert spec["nodeSelector"] == {"nvidia.com/gpu.present": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    env = configmap_env(gpu, spec["containers"][0])
    assert env["IDPHOTO_MATTING_PROVIDERS"].split(",") == ["cuda", "cpu"]
    for comp, deployment in app_deployments(gpu).items():
        if comp != "matting":
            assert "nodeSelector" not in pod_spec(deployment) and "tolerations" not in pod_spec(deployment)
    for name in ("dev", "prod"):
        env = configmap_env(rendered[name], pod_spec(app_deployments(rendered[name])["matting"])["containers"][0])
        assert env["IDPHOTO_MATTING_PROVIDERS"] == "cpu"


def _grace(container: dict, env: dict[str, str], section: str) -> float:
    grace = float(env[f"IDPHOTO_{section}_GRACE_S"])
    pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("exec", {}).get("command", [])
    assert pre_stop[:1] == ["sleep"], "preStop keeps the pod serving while endpoints drop it"
    return grace + float(pre_stop[1])


def test_termination_grace_covers_the_drain(overlay):
    name, objs = overlay
    for comp, deployment in app_deployments(objs).items():
        container = pod_spec(deployment)["containers"][0]
        env = configmap_env(objs, container)
        period = pod_spec(deployment)["terminationGracePeriodSeconds"]
        if comp == "worker":
            # SIGTERM finishes the current item; an item runs at most stage A + stage B
            whole_job = sum(float(env[f"IDPHOTO_WORKER_STAGE_{s}_DEADLINE_S"]) for s in "AB")
            assert period >= whole_job, f"{name}: worker killed before its item can finish"
            assert float(env["IDPHOTO_JOBS_VISIBILITY_TIMEOUT_S"]) > whole_job, "live items would be handed out twice"
        else:
            assert period >= _grace(container, env, comp.upper()), f"{name} {comp}: grace shorter than the drain"


def test_prod_spreads_every_component_across_zones(rendered):
    for name in ("prod", "gpu"):
        for comp, deployment in app_deployments(rendered[name]).items():
            constraints = {c["topologyKey"]: c for c in pod_spec(deployment).get("topologySpreadConstraints", [])}
            zone = constraints["topology.kubernetes.io/zone"]
            assert zone["whenUnsatisfiable"] == "DoNotSchedule" and zone["maxSkew"] == 1, f"{name} {comp}"
            assert "app.kubernetes.io/component" in zone["matchLabelKeys"]
            assert selector_matches(zone["labelSelector"], pod_labels(deployment))
            assert "kubernetes.io/hostname" in constraints
    for deployment in find(rendered["dev"], "Deployment"):
        assert "topologySpreadConstraints" not in pod_spec(deployment)


def test_prod_takes_redis_and_s3_from_operator_secrets(rendered):
    for name in ("prod", "gpu"):
        objs = rendered[name]
        assert find(objs, "Secret") == [], f"{name}: no credentials in the repository"
        assert not find(objs, "StatefulSet"), f"{name}: Redis and S3 are external"
        for comp in ("gateway", "worker"):
            env = {e["name"]: e.get("valueFrom", {}) for e in
                   pod_spec(app_deployments(objs)[comp])["containers"][0]["env"]}
            for key, secret in (("IDPHOTO_JOBS_REDIS_URL", "idphoto-redis"),
                                ("IDPHOTO_STORAGE_S3_ACCESS_KEY", "idphoto-s3"),
                                ("IDPHOTO_STORAGE_S3_SECRET_KEY", "idphoto-s3")):
                assert env[key]["secretKeyRef"]["name"] == secret, (name, comp, key)
        data = one(objs, "ConfigMap", next(c["envFrom"][0]["configMapRef"]["name"]
                                           for c in containers(app_deployments(objs)["gateway"])))["data"]
        assert not {k for k in data if "REDIS_URL" in k or "SECRET" in k or "ACCESS_KEY" in k}
        assert data["IDPHOTO_STORAGE_S3_SECURE"] == "true"


def test_dev_runs_redis_and_minio_in_cluster_and_pulls_models(rendered):
    objs = rendered["dev"]
    redis = one(objs, "StatefulSet", "redis")
    args = pod_spec(redis)["containers"][0]["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--maxmemory-policy") + 1] == "noeviction"
    assert redis["spec"]["volumeClaimTemplates"][0]["metadata"]["name"] == "data"
    minio = one(objs, "StatefulSet", "minio")
    assert minio["spec"]["volumeClaimTemplates"]
    job = one(objs, "Job", "minio-bootstrap")
    assert pod_spec(job)["containers"][0]["command"] == ["python", "/etc/idphoto/bootstrap/bucket_bootstrap.py"]
    redis_url = secret_values(objs)["idphoto-redis"]["url"]
    assert redis_url.endswith("@redis:6379/0")
    assert secret_values(objs)["idphoto-s3"]["endpoint"] == "minio:9000"
    assert one(objs, "Service", "redis") and one(objs, "Service", "minio")
    from idphoto.models.manifest import DEFAULT_MODELS, get_entry

    face_models = {n for n in DEFAULT_MODELS if get_entry(n).task in ("face-detect", "face-landmarks")}
    assert face_models == {"mtcnn-pnet", "mtcnn-rnet", "mtcnn-onet", "face-mesh", "iris-landmark"}
    models = {"face": face_models, "matting": {"rvm-mobilenetv3"}}
    for comp, wanted in models.items():
        spec = pod_spec(app_deployments(objs)[comp])
        init = spec["initContainers"][0]
        assert init["command"][:3] == ["idphoto", "models", "pull"] and set(init["command"][3:]) == wanted
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert "emptyDir" in volumes["models"]
        init_env = {e["name"]: e.get("value") for e in init["env"]}
        main_env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
        assert init_env["IDPHOTO_MODEL_DIR"] == main_env["IDPHOTO_MODEL_DIR"] == "/models"
        mount = next(m for m in spec["containers"][0]["volumeMounts"] if m["name"] == "models")
        assert mount["mountPath"] == "/models" and mount["readOnly"] is True
    assert configmap_env(objs, pod_spec(app_deployments(objs)["matting"])["containers"][0])[
        "IDPHOTO_MATTING_MODEL"] == "rvm-mobilenetv3"


def test_prod_models_come_from_the_image(rendered):
    for name in ("prod", "gpu"):
        for comp in ("face", "matting"):
            spec = pod_spec(app_deployments(rendered[name])[comp])
            assert "initContainers" not in spec
            env = {e["name"]: e.get("value") for e in spec["containers"][0]["env"]}
            assert env["IDPHOTO_MODEL_DIR"] == "/opt/idphoto/models"


def test_auth_is_off_in_dev_and_required_in_prod_with_the_pepper_from_a_secret(rendered):
    for name, objs in rendered.items():
        gateway = pod_spec(app_deployments(objs)["gateway"])["containers"][0]
        env = configmap_env(objs, gateway)
        peppers = [item["valueFrom"]["secretKeyRef"] for item in gateway.get("env", [])
                   if item["name"] == "IDPHOTO_AUTH_PEPPER"]
        if name == "dev":
            assert env["IDPHOTO_AUTH"] == "off" and not peppers
        else:
            assert env["IDPHOTO_AUTH"] == "required", name
            assert [ref["name"] for ref in peppers] == ["idphoto-auth"] and peppers[0]["key"] == "pepper"
            assert "IDPHOTO_AUTH_PEPPER" not in env, "the pepper never sits in a ConfigMap"

"""The Dockerfile, parsed (no Docker engine runs here): cpu and gpu targets, non-root, no weights copied in,
models baked only through `idphoto models pull`, pinned bases, a build context that holds what COPY needs, and
agreement with the manifests (user id, model directory, ports)."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT
from tests.deploy.k8s import containers, find, pod_spec, workloads

DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
WEIGHTS = (".onnx", ".pth", ".pt", ".safetensors", ".bin")


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse(text: str) -> tuple[dict[str, str], list[Stage]]:
    """(global ARG defaults, stages) from Dockerfile text: continuation lines joined, comments dropped."""
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.IGNORECASE)
            assert match, f"cannot read {line!r}"
            stages.append(Stage(match[1], match[2] or str(len(stages))))
        elif not stages:
            assert keyword == "ARG", f"{keyword} before the first FROM"
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
        else:
            stages[-1].instructions.append((keyword, rest.strip()))
    return args, stages


@pytest.fixture(scope="module")
def dockerfile():
    args, stages = parse(DOCKERFILE.read_text())
    return args, {s.name: s for s in stages}, stages


def _base_image(args: dict[str, str], stage: Stage) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], stage.base)


def _chain(stages: dict[str, Stage], name: str) -> list[Stage]:
    """A stage and the stages it is built FROM, nearest first."""
    chain = [stages[name]]
    while chain[-1].base in stages:
        chain.append(stages[chain[-1].base])
    return chain


def _copied_from(stage: Stage) -> set[str]:
    return {m[1] for args in stage.all("COPY") for m in [re.match(r"--from=(\S+)", args)] if m}


def _stages_feeding(stages: dict[str, Stage], name: str) -> set[str]:
    """Every stage whose output can reach ``name`` (FROM chains and COPY --from, transitively)."""
    seen, todo = set(), [name]
    while todo:
        current = todo.pop()
        if current in seen or current not in stages:
            continue
        seen.add(current)
        todo.append(stages[current].base)
        todo.extend(_copied_from(stages[current]))
    return seen


def test_cpu_and_gpu_targets_exist_and_cpu_is_the_default(dockerfile):
    _, stages, ordered = dockerfile
    assert {"cpu", "gpu"} <= set(stages)
    assert ordered[-1].name == "cpu", "a plain `docker build .` must give the CPU image"


def test_base_images_are_pinned(dockerfile):
    args, stages, _ = dockerfile
    for stage in stages.values():
        if stage.base in stages:
            continue
        image = _base_image(args, stage)
        assert re.fullmatch(r"[\w./-]+:[\w.-]+(@sha256:[0-9a-f]{64})?", image), f"{stage.name}: {image} unpinned"
        assert not image.endswith(":latest"), image
    gpu_root = _base_image(args, _chain(stages, "gpu")[-1])
    assert gpu_root.startswith("nvidia/cuda:12.") and "cudnn" in gpu_root and "runtime" in gpu_root
    assert _base_image(args, _chain(stages, "cpu")[-1]).startswith("python:3.12")


def test_runtime_targets_run_as_the_non_root_user_the_manifests_expect(dockerfile, rendered):
    _, stages, _ = dockerfile
    run_as = {pod_spec(w)["securityContext"]["runAsUser"] for w in find(rendered["prod"], "Deployment")}
    assert run_as == {10001}
    for target in ("cpu", "gpu"):
        users = stages[target].all("USER")
        assert users, f"{target}: no USER: it would run as root"
        user = users[-1].split(":")[0]
        assert user not in ("root", "0") and user == "10001", f"{target}: USER {users[-1]}"
        creates = " ".join(stages[target].all("RUN"))
        assert "useradd" in creates and "--uid 10001" in creates


def test_the_gpu_target_carries_onnxruntime_gpu_and_the_cpu_one_does_not(dockerfile):
    _, stages, _ = dockerfile
    gpu_runs = " ".join(r for s in _stages_feeding(stages, "gpu") for r in stages[s].all("RUN"))
    cpu_runs = " ".join(r for s in _stages_feeding(stages, "cpu") for r in stages[s].all("RUN"))
    assert "onnxruntime-gpu==" in gpu_runs and "s/^onnxruntime==/onnxruntime-gpu==/" in gpu_runs
    assert "onnxruntime-gpu" not in cpu_runs
    assert "gpu-build" in _copied_from(stages["gpu"]) and "cpu-build" in _copied_from(stages["cpu"])
    assert "gpu-build" not in _stages_feeding(stages, "cpu")


def test_models_are_baked_only_by_idphoto_models_pull(dockerfile):
    _, stages, _ = dockerfile
    model_dir = "/opt/idphoto/models"
    for target in ("cpu", "gpu"):
        copies = stages[target].all("COPY")
        model_copies = [c for c in copies if c.rstrip().endswith(model_dir)]
        assert len(model_copies) == 1, f"{target}: models must come from one place"
        source_stage = re.match(r"--from=(\S+)", model_copies[0])[1]
        pulls = [r for s in _stages_feeding(stages, source_stage) for r in stages[s].all("RUN")
                 if "idphoto models pull" in r]
        assert pulls and "--dir /models" in pulls[0], "the bake path runs `idphoto models pull`"
        assert "BAKE_MODELS" in pulls[0]
        env = " ".join(stages[target].all("ENV"))
        assert f"IDPHOTO_MODEL_DIR={model_dir}" in env
    for stage in stages.values():
        for copy in stage.all("COPY") + stage.all("ADD"):
            assert not any(w in copy for w in WEIGHTS), f"{stage.name}: copies weights: {copy}"
            if not copy.startswith("--from"):
                assert ".models" not in copy and "/models" not in copy, f"{stage.name}: {copy}"
        assert not stage.all("ADD"), "ADD fetches URLs and unpacks archives: use COPY or RUN"


def test_the_build_context_has_what_copy_needs_and_no_weights(dockerfile):
    _, stages, _ = dockerfile
    patterns = [p.strip() for p in DOCKERIGNORE.read_text().splitlines() if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        parts = Path(path).parts
        return any(fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/"))
                   or any(fnmatch.fnmatch(part, p.removeprefix("**/")) for part in parts) or
                   any(path.startswith(p.rstrip("/") + "/") for p in patterns if "*" not in p)
                   for p in patterns)

    for stage in stages.values():
        for copy in stage.all("COPY"):
            if copy.startswith("--from"):
                continue
            *sources, _dest = copy.split()
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert not ignored(source), f"COPY {source}: excluded by .dockerignore"
    for must_stay_out in (".models", ".venv", ".git", "idphoto/_gen", "var", "tests", "x/model.onnx"):
        assert ignored(must_stay_out), f".dockerignore lets {must_stay_out} into the build context"


def test_the_image_works_with_a_read_only_root_filesystem(dockerfile, rendered):
    _, stages, _ = dockerfile
    for target in ("cpu", "gpu"):
        env = " ".join(stages[target].all("ENV"))
        assert "HOME=/tmp" in env, f"{target}: HOME must be writable (an emptyDir at /tmp)"
        builders = _stages_feeding(stages, target)
        runs = " ".join(r for s in builders for r in stages[s].all("RUN"))
        assert "compileall" in runs, "bytecode compiled at build time: nothing is written at run time"
        assert "gen_protos" in runs, "generated protobuf code is built into the image"
    for base in ("cpu-base", "gpu-base"):
        assert "PYTHONDONTWRITEBYTECODE=1" in " ".join(stages[base].all("ENV"))
    for w in workloads(rendered["prod"]):
        for c in containers(w):
            assert any(m["mountPath"] == "/tmp" for m in c.get("volumeMounts", [])), c["name"]


def test_exposed_ports_are_the_ports_the_manifests_use(dockerfile, rendered):
    _, stages, _ = dockerfile
    ports = {p["containerPort"] for w in find(rendered["prod"], "Deployment") for c in containers(w)
             for p in c.get("ports", [])}
    for target in ("cpu", "gpu"):
        exposed = {int(p) for line in stages[target].all("EXPOSE") for p in line.split()}
        assert exposed == ports, target


def test_one_image_the_command_picks_the_service(dockerfile):
    _, stages, _ = dockerfile
    for target in ("cpu", "gpu"):
        assert not stages[target].all("ENTRYPOINT"), "no entrypoint: the manifests' command picks the service"
        assert stages[target].all("CMD")

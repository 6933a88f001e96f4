"""The import contracts (pyproject.toml [tool.importlinter]) hold on this tree, and fail when a module imports
against them: each case copies the packages, plants one wrong import and expects the named contract to break."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("idphoto", "services", "edges")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the three root packages and the contracts (sources only)."""
    root = tmp_path_factory.mktemp("contracts")
    for name in PACKAGES:
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "_gen", "web"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_tree_keeps_every_contract(tree):
    result = _lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


WRONG_IMPORTS = [
    ("idphoto/domain/wrong.py", "import services.compose.render\n",
     "Layers: the entry points on the services on the kernel"),
    ("services/compose/wrong.py", "import edges.inprocess\n",
     "Layers: the entry points on the services on the kernel"),
    ("services/gateway/wrong.py", "import services.face.core\n",
     "The services know each other only through the kernel"),
    ("idphoto/domain/wrong.py", "import idphoto.pipeline.run\n",
     "Kernel layers: client SDK and RPC kit over the pipeline over geometry over the"),
    ("idphoto/geometry/wrong.py", "import redis\n",
     "Domain, geometry and pipeline are pure: no transport, no stores"),
    ("services/gateway/kv/wrong.py", "import services.gateway.jobs.store\n",
     "The gateway by role: each layer imports only the ones below it"),
    ("services/gateway/jobs/wrong.py", "import grpc\n",
     "Only the gateway's api imports grpc and starlette"),
]


@pytest.mark.parametrize(("path", "source", "contract"), WRONG_IMPORTS, ids=[p for p, _, _ in WRONG_IMPORTS])
def test_a_wrong_import_breaks_its_contract(tree, path, source, contract):
    planted = tree / path
    planted.write_text(source)
    try:
        result = _lint(tree)
    finally:
        planted.unlink()
    assert result.returncode != 0, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout
    assert path[:-3].replace("/", ".") in broken

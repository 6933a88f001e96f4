from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def output_dir(request) -> Path:
    """A per-test folder under tests/_output (git-ignored) for images worth looking at."""
    path = ROOT / "tests" / "_output" / request.node.name
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def face_core():
    from services.face.core import FaceCore

    core = FaceCore()
    core.warmup()
    return core


@pytest.fixture(scope="session")
def matting_model():
    from services.matting.config import MattingConfig
    from services.matting.loader import load_matting_model

    return load_matting_model(MattingConfig())


@pytest.fixture(scope="session")
def clients(face_core, matting_model):
    from edges.inprocess import LocalCompose, LocalFace, LocalMatting
    from idphoto.pipeline.run import Clients

    return Clients(face=LocalFace(face_core), matting=LocalMatting(matting_model), compose=LocalCompose())

import shutil
import socket
from pathlib import Path

import pytest

from bench.workflows.project import Project, scratch_copy

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path) -> Project:
    """A private copy of the benchmark's data and configs, so a test may change or break it."""
    scratch_copy(REPO, tmp_path)
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    return Project(tmp_path)


@pytest.fixture(scope="session")
def repo() -> Project:
    return Project(REPO)


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory):
    """Built checkpoints and embeddings go to a fresh folder, so the tests never depend on a warm cache."""
    folder = tmp_path_factory.mktemp("bench-cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("BENCH_CACHE", str(folder))
    yield folder
    patch.undo()


@pytest.fixture(scope="session")
def free_port():
    """A function giving a free TCP port on 127.0.0.1, for the servers tests start (Label Studio, Dask)."""
    def find() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]
    return find

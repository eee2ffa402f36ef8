import shutil
from pathlib import Path

import pytest

from bench.cli import Project

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def project(tmp_path) -> Project:
    """A private copy of the benchmark's data and configs, so a test may change or break it."""
    for folder in ("seeds", "labels"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    (tmp_path / "experiments").mkdir()
    for config in (REPO / "experiments").glob("*.yaml"):
        shutil.copy(config, tmp_path / "experiments" / config.name)
    shutil.copy(REPO / "README.md", tmp_path / "README.md")
    return Project(tmp_path)


@pytest.fixture(scope="session")
def repo() -> Project:
    return Project(REPO)

import shutil
import socket
from pathlib import Path

import pytest

from bench.cli import main
from bench.workflows.project import Project, scratch_copy

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def copy_checkout():
    """A function copying the benchmark's data, configs, README and docs/ (no results) into a folder, as a Project:
    the pages with the generated blocks that a run or `bench perf` rewrites."""
    def copy(folder: Path) -> Project:
        scratch_copy(REPO, folder)
        shutil.copy(REPO / "README.md", folder / "README.md")
        shutil.copytree(REPO / "docs", folder / "docs")
        return Project(folder)
    return copy


@pytest.fixture
def project(tmp_path, copy_checkout) -> Project:
    """A private copy of the benchmark's data and configs, so a test may change or break it."""
    return copy_checkout(tmp_path)


@pytest.fixture(scope="session")
def repo() -> Project:
    return Project(REPO)


@pytest.fixture(scope="session")
def cold_cache(tmp_path_factory):
    """An empty model cache, for the tests of building E5 into one; every other test shares the user's cache
    ($BENCH_CACHE, else ~/.cache/deserter-bench), as `bench run` does, so E5 is built and texts encoded once."""
    return tmp_path_factory.mktemp("bench-cache")


@pytest.fixture
def evaluate():
    """A function running one evaluation unit as `bench run` does (`run_plans`), giving its scored result."""
    from bench.evaluation.runner import Plan, run_plans

    def run(config, task, rows, evaluation):
        return run_plans([Plan(config, "", None, [(task, rows, evaluation, None)])])[0][0]
    return run


@pytest.fixture(scope="session")
def free_port():
    """A function giving a free TCP port on 127.0.0.1, for the servers tests start (Label Studio, Dask)."""
    def find() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return probe.getsockname()[1]
    return find


@pytest.fixture(scope="module")
def ran_once(tmp_path_factory, copy_checkout):
    """A checkout after a run of three cheap experiments, made once for the tests that start from one."""
    project = copy_checkout(tmp_path_factory.mktemp("ran"))
    configs = [str(project.experiments / f"{name}.yaml") for name in ("majority", "stratified", "tfidf")]
    assert main(["--root", str(project.root), "run", *configs]) == 0
    return project


@pytest.fixture
def ran(ran_once, tmp_path):
    """A private copy of that checkout, so that there are records and tables to protect (or to change)."""
    shutil.copytree(ran_once.root, tmp_path / "checkout")
    return Project(tmp_path / "checkout")


def files_under(root) -> dict[str, bytes]:
    """Every file below a folder and its bytes: the snapshot that a refused command must leave as it was."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


@pytest.fixture
def snapshot():
    """`files_under`, for a test that checks a command which succeeds left a folder as it was."""
    return files_under


@pytest.fixture
def refused(capsys):
    """A function running bench that must fail with the message, with no traceback, and leave every file under
    `watch` (default: the checkout) as it was; it gives the error output."""
    def run(project, arguments, message, watch=None):
        watch = watch or project.root
        before = files_under(watch)
        assert main(["--root", str(project.root), *arguments]) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err
        assert files_under(watch) == before, "nothing may be written or changed"
        return err
    return run

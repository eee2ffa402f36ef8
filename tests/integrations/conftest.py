"""What the tests of the tool integrations share: the benchmark exported by the project's own code, a tiny model
built offline with the tool's Python, and running a command of the tool's virtual environment without network."""

import functools
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.workflows.project import Project
from bench.workflows.release import export_release

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


@functools.cache
def no_network_prefix() -> tuple[str, ...]:
    """`unshare -n` where this machine allows it (as root, as CI runs), so any network access fails outright;
    elsewhere the offline variables alone keep the Hugging Face libraries off the network."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ("unshare", "-n")
    return ()


def run_offline(command: list[str], scratch: Path, cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run a tool's command without network, with a Hugging Face cache of its own; its output on failure."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_UPDATE_DOWNLOAD_COUNTS": "0", "HF_HOME": str(scratch / "hf"), "TOKENIZERS_PARALLELISM": "false",
           "INSPECT_LOG_DIR": str(scratch / "inspect-logs")}
    done = subprocess.run([*no_network_prefix(), *command], env=env, capture_output=True, text=True, cwd=cwd)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """The release folder, as `bench export-hf` writes it."""
    folder = tmp_path_factory.mktemp("export") / "deserter-bench"
    export_release(Project(REPO), folder)
    return folder


def tiny_model(python: str, export: Path, scratch: Path) -> Path:
    """A tiny random Llama with a tokenizer trained on the export, built by the tool's Python (tiny_model.py)."""
    folder = scratch / "tiny-llama"
    run_offline([python, str(HERE / "tiny_model.py"), str(export), str(folder)], scratch)
    return folder

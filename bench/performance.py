"""Performance: wall time and peak memory of the bench commands, measured in fresh processes on a scratch copy."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .files import atomic_write, dump_json
from .reports import markdown_table

# Runs one command as a child and prints its wall time and the child's peak resident memory.
MEASURE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
elapsed = time.perf_counter() - start
if done.returncode:
    sys.exit(done.stderr)
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """(seconds, peak MiB) of one command."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=env,
                         check=False)
    if out.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {out.stderr.strip()}")
    seconds, kib = out.stdout.split()
    return float(seconds), int(kib) / 1024


def scratch_copy(root: Path, target: Path) -> None:
    for folder in ("seeds", "labels"):
        shutil.copytree(root / folder, target / folder)
    (target / "experiments").mkdir()
    for config in (root / "experiments").glob("*.yaml"):
        shutil.copy(config, target / "experiments" / config.name)


def run_benchmarks(root: Path, repeats: int = 3) -> dict:
    bench = [sys.executable, "-m", "bench.cli"]
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch_copy(root, Path(scratch))
        commands = {
            "bench --help": [*bench, "--help"],
            "bench validate": [*bench, "--root", scratch, "validate"],
            "bench run (default experiments)": [*bench, "--root", scratch, "run"],
        }
        for name, command in commands.items():
            runs = [measure(command) for _ in range(repeats)]
            rows[name] = {"seconds_best": min(s for s, _ in runs), "seconds_median": sorted(s for s, _ in runs)[len(runs) // 2],
                          "peak_mib": max(m for _, m in runs), "repeats": repeats}
    return {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
            "commands": rows}


def performance_table(result: dict) -> str:
    machine = result["machine"]
    rows = [[name, f"{r['seconds_median']:.2f}", f"{r['seconds_best']:.2f}", f"{r['peak_mib']:.0f}"]
            for name, r in result["commands"].items()]
    return (f"{machine['cpus']} CPUs, Python {machine['python']}; each command run "
            f"{next(iter(result['commands'].values()))['repeats']} times in a fresh process.\n\n"
            + markdown_table(["command", "median s", "best s", "peak MiB"], rows))


def write_performance(experiments_dir: Path, result: dict) -> Path:
    path = experiments_dir / "results" / "performance.json"
    atomic_write(path, dump_json(result))
    return path

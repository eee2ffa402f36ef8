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
    """The data and configs, without results, so measuring never touches the checkout."""
    for folder in ("seeds", "labels"):
        shutil.copytree(root / folder, target / folder)
    shutil.copytree(root / "experiments", target / "experiments", ignore=shutil.ignore_patterns("results"))


def run_benchmarks(root: Path, repeats: int = 3, fine_tuning: bool = True) -> dict:
    """Time each command in a scratch copy with an empty model cache: the first default run is cold."""
    bench = [sys.executable, "-m", "bench.cli"]
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch_copy(root, Path(scratch))
        env = dict(os.environ, BENCH_CACHE=str(Path(scratch) / "cache"))
        run = [*bench, "--root", scratch, "run"]
        commands = [
            ("bench --help", [*bench, "--help"], repeats),
            ("bench validate", [*bench, "--root", scratch, "validate"], repeats),
            ("bench run, cold cache (builds E5, encodes)", run, 1),
            ("bench run, warm cache", run, repeats),
        ]
        if fine_tuning:
            commands.append(("bench run --all, warm cache (with fine-tuning)", [*run, "--all"], 1))
        for name, command, times in commands:
            runs = [measure(command, env) for _ in range(times)]
            seconds = sorted(s for s, _ in runs)
            rows[name] = {"seconds_best": seconds[0], "seconds_median": seconds[len(seconds) // 2],
                          "peak_mib": max(m for _, m in runs), "repeats": times}
    return {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
            "commands": rows}


def performance_table(result: dict) -> str:
    machine = result["machine"]
    rows = [[name, str(r["repeats"]), f"{r['seconds_median']:.2f}", f"{r['seconds_best']:.2f}", f"{r['peak_mib']:.0f}"]
            for name, r in result["commands"].items()]
    return (f"{machine['cpus']} CPUs, Python {machine['python']}, {machine['system']}; each command in a fresh "
            "process; peak MiB is the largest resident set of the command's process.\n\n"
            + markdown_table(["command", "runs", "median s", "best s", "peak MiB"], rows))


def write_performance(experiments_dir: Path, result: dict) -> Path:
    path = experiments_dir / "results" / "performance.json"
    atomic_write(path, dump_json(result))
    return path

"""Run one command as a child and print its wall time (seconds) and peak memory (KiB), for `bench perf`.

Run as `python -m bench.workflows.measure_command COMMAND...`, in a process of its own, so that it measures only
the command. The memory is the proportional set size (PSS) summed over the command's process tree, sampled
every 0.1 s, so pages that processes share (a memory-mapped analysis, libraries) count once; resident size
where the system reports no PSS; and the largest child's peak resident size where that is more (a command
that ends before a sample sees it grown).
"""

from __future__ import annotations

import contextlib
import resource
import subprocess
import sys
import tempfile
import time

import psutil


def tree_memory(process: psutil.Process) -> int:
    """Bytes of the process and its descendants: PSS where the system reports it, else resident size."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            info = member.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        total += getattr(info, "pss", info.rss)
    return total


def main(command: list[str]) -> None:
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as errors:  # a file, not a pipe: a chatty child never blocks on a full pipe
        child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, text=True)
        process = psutil.Process(child.pid)
        peak = 0
        while child.poll() is None:
            with contextlib.suppress(psutil.NoSuchProcess):
                peak = max(peak, tree_memory(process))
            time.sleep(0.1)
        elapsed = time.perf_counter() - start
        if child.returncode:
            errors.seek(0)
            sys.exit(errors.read())
    print(elapsed, max(peak // 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))


if __name__ == "__main__":
    main(sys.argv[1:])

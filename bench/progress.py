"""Progress of long work, on stderr: a bar on a terminal, one line per finished step in a log.

A bar shows only where stderr is a terminal and the `CI` variable is unset, so that logs, pipes and tests get
plain lines; stdout keeps the command's output (the tables) either way.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm


def bars_shown() -> bool:
    """Whether progress is drawn as a bar: stderr is a terminal and this is not a CI run."""
    return sys.stderr.isatty() and not os.environ.get("CI")


class Progress:
    """Work in named steps (experiments, measurements), counted as it goes.

    On a terminal, a tqdm bar with the elapsed time: of the steps themselves, or of `total` finer units
    (folds) that the caller counts with `advance`; its postfix names the step running and, for finer units, the
    steps done. Elsewhere, one line per finished step, `[3/12] finished svm (41 s)`, so that logs show progress;
    none for work of seconds (`logged` False).
    """

    def __init__(self, steps: int, what: str, *, unit: str = "step", total: int | None = None, noun: str = "steps",
                 logged: bool = True):
        self.steps, self.done, self.noun, self.logged = steps, 0, noun, logged
        self.fine = total is not None
        self.bar = tqdm(total=steps if total is None else total, desc=what, unit=unit, file=sys.stderr,
                        disable=not bars_shown(), dynamic_ncols=True)
        self.began = time.monotonic()

    def start(self, name: str) -> None:
        """A step begins: the bar names it."""
        self.began = time.monotonic()
        self.bar.set_postfix_str(f"{name}; {self.done}/{self.steps} {self.noun} done" if self.fine else name)

    def advance(self, units: int = 1) -> None:
        """Finer units done (folds of the step running)."""
        self.bar.update(units)

    def finish(self, name: str, outcome: str = "") -> None:
        """A step is done; its outcome (a score, a time) goes above the bar, or on its line in a log."""
        self.done += 1
        if self.fine:
            self.bar.set_postfix_str(f"{self.done}/{self.steps} {self.noun} done")
        else:
            self.bar.update()
        if not self.bar.disable and outcome:
            self.bar.write(f"{name}: {outcome}", file=sys.stderr)
        elif self.bar.disable and self.logged:
            seconds = time.monotonic() - self.began
            print(f"[{self.done}/{self.steps}] finished {name} ({seconds:.0f} s)" + (f": {outcome}" if outcome else ""),
                  file=sys.stderr, flush=True)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """One step, begun and finished around a block."""
        self.start(name)
        yield
        self.finish(name)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exception) -> None:
        self.close()


def say(line: str) -> None:
    """A line on stderr that leaves a bar of this process whole (printed above it)."""
    tqdm.write(line, file=sys.stderr)


def report_written(paths: Sequence[Path]) -> None:
    """The closing line of a command that writes: every file and folder it wrote (a folder ends in /)."""
    names = [f"{path}{os.sep}" if path.is_dir() else str(path) for path in paths]
    print(f"wrote {', '.join(names)}", file=sys.stderr, flush=True)

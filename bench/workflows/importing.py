"""`bench import`: another tool's per-sample output as a predictions file, so that its run is scored by the harness.

Each importer reads one tool's output folder and returns the rows of a predictions file (`id`, `task`, `label`, as
bench/models/predictions_file.py reads them); a bad file is refused, naming its line, before anything is written.
A new tool is one function under `@importer("name")`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path

from ..files import BenchError, as_text, atomic_write, check_destinations, read_jsonl
from .project import Project

Row = dict[str, str]
IMPORTERS: dict[str, Callable[[Path], list[tuple[Row, Path, int]]]] = {}


def importer(tool: str):
    """Register a reader of `tool`'s output folder: it returns each row with the file and line it came from."""
    def register(function: Callable[[Path], list[tuple[Row, Path, int]]]):
        IMPORTERS[tool] = function
        return function
    return register


@importer("lm-eval")
def lm_eval_rows(folder: Path) -> list[tuple[Row, Path, int]]:
    """lm-evaluation-harness's `--log_samples` files (samples_*.jsonl, at any depth) of the tasks in
    integrations/lm_eval: each sample's prediction is the choice of highest log-likelihood, as lm-eval's `acc`
    takes it."""
    files = sorted(folder.rglob("samples_*.jsonl"))
    if not files:
        raise BenchError("no samples_*.jsonl here: run lm_eval with --output_path FOLDER --log_samples", folder)
    return [(lm_eval_row(sample, path, number), path, number) for path in files for number, sample in read_jsonl(path)]


def lm_eval_row(sample: dict, path: Path, line: int) -> Row:
    """One sample's id, task and predicted label; a sample of another task or a malformed one is an error."""
    doc = sample.get("doc")
    if not isinstance(doc, dict) or not all(isinstance(doc.get(key), str) for key in ("id", "task")):
        raise BenchError("the sample's doc has no `id` and `task`: not a task of integrations/lm_eval", path, line)
    choices, scores = doc.get("choices"), sample.get("filtered_resps")
    if not isinstance(choices, list) or not isinstance(scores, list) or len(choices) != len(scores) or not scores:
        raise BenchError("expected the doc's `choices` and one log-likelihood per choice in `filtered_resps`", path,
                         line)
    likelihoods = [log_likelihood(response, path, line) for response in scores]
    best = max(range(len(likelihoods)), key=lambda index: (likelihoods[index], -index))  # the first of equals
    return {"id": doc["id"], "task": doc["task"], "label": as_text(choices[best])}


def log_likelihood(response, path: Path, line: int) -> float:
    """A choice's log-likelihood: lm-eval logs each as [value, is_greedy], the value as text ("-25.7")."""
    value = response[0] if isinstance(response, list) and response else response
    try:
        number = float(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) else math.nan
    except ValueError:
        number = math.nan
    if math.isnan(number):
        raise BenchError(f"a log-likelihood in `filtered_resps` is not a number: {value!r}", path, line)
    return number


def predictions_csv(rows: list[tuple[Row, Path, int]]) -> str:
    """The predictions file's text; an id predicted twice in a task (two runs in one folder) is an error."""
    seen: dict[tuple[str, str], tuple[Path, int]] = {}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=("id", "task", "label"), lineterminator="\n")
    writer.writeheader()
    for row, path, line in rows:
        if not all(row[key].strip() for key in ("id", "task", "label")):
            raise BenchError("an empty id, task or label", path, line)
        key = (row["id"], row["task"])
        if key in seen:
            first, first_line = seen[key]
            raise BenchError(f"a second prediction for {key[0]} in task {key[1]} (the first: {first}:{first_line}); "
                             "import one run's output at a time", path, line)
        seen[key] = (path, line)
        writer.writerow(row)
    return buffer.getvalue()


def import_predictions(project: Project, tool: str, output: str, out: str) -> int:
    """`bench import`: read TOOL's OUTPUT folder, then write the predictions file OUT (CSV: id, task, label)."""
    if tool not in IMPORTERS:
        raise BenchError(f"unknown tool {tool!r} (known: {', '.join(sorted(IMPORTERS))})")
    folder = Path(output)
    if not folder.is_dir():
        raise BenchError("not a folder: give the folder the tool wrote its output to", folder)
    if not out.endswith(".csv"):
        raise BenchError("the predictions file to write must end in .csv", out)
    rows = IMPORTERS[tool](folder)
    text = predictions_csv(rows)
    check_destinations([Path(out)])
    atomic_write(Path(out), text)
    tasks = sorted({row["task"] for row, _, _ in rows})
    print(f"{out}: {len(rows)} predictions of {', '.join(tasks)}; score them with a predictions_file config "
          "(experiments/examples/predictions_file.yaml)")
    return 0

"""`bench import`: another tool's per-sample output as a predictions file, so that its run is scored by the harness.

Each importer reads one tool's output folder and returns the rows of a predictions file (`id`, `task`, `label`, and
`evaluation` and `fold` for a model that trains, as bench/models/predictions_file.py reads them); a bad file is
refused, naming its line, before anything is written.
A new tool is one function under `@importer("name")`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from pathlib import Path

from ..files import BenchError, as_text, atomic_write, check_destinations, read_json_object, read_jsonl
from .import_mteb import read_mteb
from .project import Project

Row = dict[str, str]
Found = list[tuple[Row, Path, int | None]]  # each row with the file and line it came from (None: a whole-file JSON)
IMPORTERS: dict[str, Callable[[Path], Found]] = {}


def importer(tool: str):
    """Register a reader of `tool`'s output folder: it returns each row with the file and line it came from."""
    def register(function: Callable[[Path], Found]):
        IMPORTERS[tool] = function
        return function
    return register


@importer("lm-eval")
def lm_eval_rows(folder: Path) -> Found:
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


@importer("inspect")
def inspect_rows(folder: Path) -> Found:
    """inspect-ai's eval logs in JSON (`--log-format json`, *.json at any depth) of the task in integrations/inspect:
    each sample's answer, the label its scorer parsed; an answer that named no label cannot be a prediction."""
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise BenchError("no *.json eval logs here: run inspect eval with --log-format json (or convert the logs "
                         "with `inspect log convert --to json`)", folder)
    return [(inspect_row(sample, path), path, None) for path in files for sample in inspect_samples(path)]


def inspect_samples(path: Path) -> list[dict]:
    log = read_json_object(path, "an inspect eval log")
    samples = log.get("samples")
    if log.get("status") != "success" or not isinstance(samples, list):
        raise BenchError(f"not a finished inspect eval log (status: {log.get('status')!r})", path)
    return [sample if isinstance(sample, dict) else {} for sample in samples]


def inspect_row(sample: dict, path: Path) -> Row:
    """One sample's id, task and answer; a sample of another task, or one whose answer named no label, is an error."""
    metadata, scores = sample.get("metadata"), sample.get("scores")
    score = scores.get("label") if isinstance(scores, dict) else None
    if not isinstance(metadata, dict) or not isinstance(metadata.get("task"), str) or not isinstance(score, dict):
        raise BenchError(f"sample {sample.get('id')!r} has no task and `label` score: not the task of "
                         "integrations/inspect", path)
    answer = as_text(score.get("answer")).strip()
    if not answer:
        raise BenchError(f"sample {sample.get('id')!r} of task {metadata['task']} named no label, and a predictions "
                         "file holds labels only; give the model more tokens (-T max_tokens=N) or a model that "
                         "answers", path)
    return {"id": as_text(sample.get("id")), "task": metadata["task"], "label": answer}


@importer("mteb")
def mteb_rows(folder: Path) -> Found:
    """MTEB's saved predictions of the tasks in integrations/mteb: one per paragraph and fold it is tested in."""
    return [(row, folder, None) for row in read_mteb(folder)]


def predictions_csv(rows: Found) -> str:
    """The predictions file's text, with the fold columns where the tool predicts per fold; an id predicted twice
    in a task and fold (two runs in one folder) is an error."""
    per_fold = any("fold" in row for row, _, _ in rows)
    columns = ("id", "task", "label", "evaluation", "fold") if per_fold else ("id", "task", "label")
    seen: dict[tuple[str, ...], str] = {}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row, path, line in rows:
        if not all(row.get(key, "").strip() for key in columns):
            raise BenchError(f"an empty {' or '.join(columns)}", path, line)
        key = tuple(row[column] for column in columns if column != "label")
        if key in seen:
            where = f"{key[0]} in task {key[1]}" + (f" fold {'/'.join(key[2:])}" if per_fold else "")
            raise BenchError(f"a second prediction for {where} (the first: {seen[key]}); import one run's output at "
                             "a time", path, line)
        seen[key] = f"{path}:{line}" if line is not None else str(path)
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

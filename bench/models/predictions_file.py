"""Predictions made outside the harness (an API language model, a GPU cluster, another team's system), read from a file.

The file is CSV (with a header) or JSON Lines, one row per paragraph and task: `id`, `task`, `label`, and
optionally `evaluation` and `fold` (as in the release's `folds` config, e.g. `leave_one_story_out:all` and `1`)
for a model that trains, whose prediction for a paragraph depends on the fold it is tested in. A row
without them serves every setting. `bench predictions-template` writes the rows to fill in.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from ..files import BenchError, as_text, read_csv, read_jsonl
from .registry import fold_name, register

COLUMNS = ("id", "task", "label")
FOLD_COLUMNS = ("evaluation", "fold")
ANY_FOLD = ""


@register("predictions_file", rank=11, learns=False)
class FilePredictions(ClassifierMixin, BaseEstimator):
    """Looks each paragraph's label up in the file; `fit` reads nothing but the fold it is in.

    Parameters
    ----------
    path : str
        The predictions file (.csv or .jsonl); in a config, relative to the config's folder.
    task, fold : str
        Filled by the harness: the task's name, and the fold being evaluated (`evaluation/fold`).
    """

    _parameter_constraints = {"path": [str, None], "task": [str, None], "fold": [str, None]}
    path_parameters = ("path",)  # a config's relative `path` is read from the config's folder (evaluation/config.py)

    def __init__(self, path: str | None = None, task: str | None = None, fold: str | None = None):
        self.path = path
        self.task = task
        self.fold = fold

    def fit(self, X=None, y=None):
        if not self.path:
            raise ValueError("predictions_file needs `path`, the file of predictions")
        # Outside a task (the config's rehearsal) the rows are not judged yet: `check` reports every problem at once.
        table = read_predictions(self.path, judged=self.task is not None)
        self.labels_ = {key[0]: label for key, (label, _) in table.items() if key[1] == self.task}
        self.classes_ = np.array(sorted(set(self.labels_.values()) | set(y if y is not None else [])))
        return self

    def predict(self, X):
        table = read_predictions(str(self.path))
        task, found = str(self.task), []
        for paragraph in map(str, X["id"]):
            entry = table.get((paragraph, task, self.fold or ANY_FOLD)) or table.get((paragraph, task, ANY_FOLD))
            if entry is None:
                raise BenchError(f"no prediction for paragraph {paragraph} in task {self.task}"
                                 + (f", fold {self.fold}" if self.fold else ""), self.path)
            found.append(entry[0])
        return np.array(found, dtype=object)

    def check(self, task: str, labels: Sequence[str], ids: Sequence[str], folds: dict[str, Sequence[str]],
              tasks: Sequence[str]) -> None:
        """Before any run: every row must be well formed, its task one of `tasks` (the data's), and every id and
        label of the rows for `task` must exist, and every test paragraph of every fold (`folds`: fold name to its
        test ids) must have a prediction; else one error listing every problem, each with its line."""
        if not self.path:
            raise BenchError("the predictions_file model needs params: path")
        table, malformed = _read(self.path)
        problems = [BenchError(message, self.path, line) for line, message in malformed]
        known = set(ids)
        for (paragraph, row_task, fold), (label, line) in table.items():
            if row_task not in tasks:
                problems.append(BenchError(f"unknown task {row_task!r} (known: {', '.join(tasks)})", self.path, line))
            elif row_task != task:
                continue
            elif paragraph not in known:
                problems.append(BenchError(f"unknown id {paragraph!r}: no row of task {task} has it", self.path, line))
            elif label not in labels:
                problems.append(BenchError(f"unknown label {label!r} for task {task} (labels: {', '.join(labels)})",
                                           self.path, line))
            elif fold != ANY_FOLD and fold not in folds:
                problems.append(BenchError(f"unknown fold {fold!r} (this experiment's folds: {', '.join(folds)})",
                                           self.path, line))
        problems += self._missing(table, task, folds)
        if problems:
            raise BenchError.several(problems)

    def _missing(self, table: dict[tuple[str, str, str], tuple[str, int]], task: str,
                 folds: dict[str, Sequence[str]]) -> list[BenchError]:
        """A problem per paragraph of `task` that some fold tests and the file does not predict there; one for the
        whole task where the file has no row of it."""
        if not any(row_task == task for _, row_task, _ in table):
            tested = {paragraph for test_ids in folds.values() for paragraph in test_ids}
            return [BenchError(f"no prediction of task {task} at all ({len(tested)} paragraphs to predict)", self.path)]
        unpredicted: dict[str, list[str]] = {}
        for fold, test_ids in folds.items():
            for paragraph in test_ids:
                if (paragraph, task, fold) not in table and (paragraph, task, ANY_FOLD) not in table:
                    unpredicted.setdefault(paragraph, []).append(fold)
        return [BenchError(f"no prediction for paragraph {paragraph} in task {task}, which fold(s) {', '.join(tested)} "
                           "test", self.path) for paragraph, tested in unpredicted.items()]

    def fold_specific(self) -> bool:
        """Whether any prediction depends on the fold: the mark that such rows come from a model that trained."""
        return any(fold != ANY_FOLD for _, _, fold in read_predictions(str(self.path)))


def read_predictions(path: str, judged: bool = True) -> dict[tuple[str, str, str], tuple[str, int]]:
    """(id, task, fold) to (label, line); with `judged`, malformed or repeated rows are one error naming each line."""
    table, malformed = _read(path)
    if judged and malformed:
        raise BenchError.several([BenchError(message, path, line) for line, message in malformed])
    return table


def _read(path: str) -> tuple[dict[tuple[str, str, str], tuple[str, int]], tuple[tuple[int, str], ...]]:
    """The well-formed rows, and (line, problem) for each malformed or repeated one."""
    try:
        stat = Path(path).stat()
    except OSError:
        raise BenchError("the predictions file does not exist or cannot be read (a relative `path` is read from the "
                         "config's folder)", path) from None
    return _read_predictions(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _read_predictions(path: str, modified: int, size: int) -> tuple[dict[tuple[str, str, str], tuple[str, int]],
                                                                      tuple[tuple[int, str], ...]]:
    """Read once per version of the file: every fold of every setting looks it up."""
    if path.endswith(".jsonl"):
        rows = list(read_jsonl(Path(path)))
    elif path.endswith(".csv"):
        rows = list(read_csv(Path(path), required=COLUMNS))
    else:
        raise BenchError("a predictions file must be .csv or .jsonl", path)
    table: dict[tuple[str, str, str], tuple[str, int]] = {}
    malformed: list[tuple[int, str]] = []
    for number, row in rows:
        values = {c: as_text(row.get(c)).strip() for c in (*COLUMNS, *FOLD_COLUMNS)}
        empty = [c for c in COLUMNS if not values[c]]
        if empty:
            malformed.append((number, f"empty or missing {', '.join(empty)}"))
            continue
        if bool(values["evaluation"]) != bool(values["fold"]):
            malformed.append((number, "evaluation and fold go together: give both or neither"))
            continue
        fold = fold_name(values["evaluation"], values["fold"]) if values["evaluation"] else ANY_FOLD
        key = (values["id"], values["task"], fold)
        if key in table:
            malformed.append((number, f"a second prediction for {values['id']} in task {values['task']}"
                              + (f", fold {fold}" if fold else "") + f" (the first is on line {table[key][1]})"))
            continue
        table[key] = (values["label"], number)
    return table, tuple(malformed)

"""Records: one JSON file per experiment (scores, predictions, provenance), written and read back in table order,
and the questions the tables, pages and figures ask of them all (`Results`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from ..evaluation.config import Config
from ..evaluation.results import CORPUS_INFORMED, Record, Result
from ..evaluation.settings import SETTINGS
from ..files import BenchError, atomic_write, check_inside, check_name, dump_json, read_json_object
from ..models import MODELS, build_model
from ..models.protocol import FoldSpecific

HEADLINE = "leave_one_story_out:all"  # the evaluation the results page, the figures and the parallel story single out
SAME_STORY = " (same story)"  # beside an evaluation where a story is on both sides of a split
BASELINE_MARK = "committed baseline"  # beside a record read from the checkout's results for an --out run's tables


def write_record(records_dir: Path, config: Config, results: list[Result], origin: dict,
                 dataset: dict | None = None, *, inside: Path | None = None,
                 current: Callable[[Record], bool] | None = None) -> Path:
    """The experiment's record, written whole or not at all, and never through a symbolic link out of `inside`
    (the checkout or the output folder; by default the folder that holds the records folder).

    With `current`, the record already there is left as it was where it holds the same, apart from how it was made
    (MAKING), and `current(old)` says it is still current: a rerun that changes nothing leaves no file changed."""
    path = records_dir / f"{check_name(config.name, 'the experiment name')}.json"
    check_inside(path, Path(records_dir).parent if inside is None else inside)
    record = Record(config.name, config.model, results, origin, bool(config.train_sizes), config.metric,
                    config.per_target, marks(config, origin), config.description, dataset)
    if current is None or not same_record(path, record, current):
        atomic_write(path, dump_json(record.to_json()))
    return path


# The provenance that says how a record was made, not what it holds: the commit, whether the record's inputs had
# uncommitted changes, and the command line.
MAKING = ("commit", "dirty", "command")


def same_record(path: Path, record: Record, current: Callable[[Record], bool]) -> bool:
    """Whether the record at PATH is `record` byte for byte once given its own MAKING, and is current."""
    if not path.is_file():
        return False
    try:
        old = read_record(path)
    except BenchError:
        return False  # a broken record is replaced
    made = {key: old.provenance[key] for key in MAKING if key in old.provenance}
    as_made = dump_json(replace(record, provenance={**record.provenance, **made}).to_json())
    return path.read_bytes() == as_made.encode("utf-8") and current(old)


def marks(config: Config, origin: dict) -> list[str]:
    """What a table says beside the experiment's name: that it ran on a GPU, that it was given content of the test
    corpus, or that its predictions came from a file (and whether they are per fold, from a model that trained)."""
    found = ["GPU"] if origin.get("device", {}).get("kind") == "cuda" else []
    if config.corpus_informed:
        found.append(CORPUS_INFORMED)
    model = build_model(config.model, config.params)
    if isinstance(model, FoldSpecific):
        found.append("predictions file, per fold" if model.fold_specific() else "predictions file")
    return found


RECORD_KEYS = {"experiment": str, "model": str, "results": list}  # what sorting and every table read first


def read_record(path: Path) -> Record:
    """One record; a truncated or hand-edited one is an error naming the file (and the line, where the JSON is
    malformed), before any output is made from it."""
    data = read_json_object(path, "a record, as `bench run` writes it")
    for key, kind in RECORD_KEYS.items():
        if key not in data:
            raise BenchError(f"missing key {key!r}", path)
        if not isinstance(data[key], kind):
            raise BenchError(f"{key!r} must be a JSON {'string' if kind is str else 'list'}, not {data[key]!r:.40}",
                             path)
    try:
        return Record.from_json(data)
    except KeyError as err:  # a result, fold, score or prediction without one of its keys
        raise BenchError(f"missing key {err.args[0]!r} in one of its results", path) from None
    except (TypeError, AttributeError, ValueError) as err:  # a value of the wrong kind in one of its results
        raise BenchError(f"not a record as `bench run` writes it: {err}", path) from None


def load_records(records_dir: Path) -> tuple[Results, Results]:
    """The result records and the learning curves, read once; each baselines first, then by model kind and name."""
    records = in_table_order([read_record(path) for path in sorted(records_dir.glob("*.json"))])
    return Results([r for r in records if not r.learning_curve]), Results([r for r in records if r.learning_curve])


def in_table_order(records: Sequence[Record]) -> list[Record]:
    """Baselines first, then by model kind (the registry's rank) and name."""
    rank = {name: family.rank for name, family in MODELS.items()}
    return sorted(records, key=lambda r: (rank.get(r.model, len(rank)), r.experiment))


def marked(evaluation: str, story_disjoint: bool | None) -> str:
    """An evaluation's name, marked where the same story is on both sides of a split."""
    return evaluation + (SAME_STORY if story_disjoint is False else "")


@dataclass(frozen=True)
class EvaluationFacts:
    """What holds for an evaluation in every record: whether it is story-disjoint (None where the data declares no
    stories), and the documents its folds test."""

    story_disjoint: bool | None
    test_docs: frozenset[str]


class Results:
    """The records of one publication, in table order, and the questions the outputs ask of them."""

    def __init__(self, records: Sequence[Record]):
        self.records = list(records)

    def __iter__(self) -> Iterator[Record]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    @cached_property
    def cells(self) -> dict[tuple[str, str, str], Result]:
        return {(record.experiment, r.task, r.evaluation): r for record in self.records for r in record.results}

    def cell(self, experiment: str, task: str, evaluation: str) -> Result | None:
        """The result of one experiment on one task in one evaluation, if it ran there."""
        return self.cells.get((experiment, task, evaluation))

    def headline(self, experiment: str, task: str) -> Result | None:
        """The result in the evaluation the page and the figures single out (HEADLINE)."""
        return self.cell(experiment, task, HEADLINE)

    def of_task(self, task: str) -> Iterator[tuple[Record, Result]]:
        """Every record's results on one task, in table order."""
        return ((record, r) for record in self.records for r in record.results if r.task == task)

    @cached_property
    def evaluations(self) -> list[str]:
        """Columns: settings in their fixed order, then train and test language."""
        seen = {(r.setting, r.train_language, r.test_language, r.evaluation)
                for record in self.records for r in record.results}
        order = list(SETTINGS)
        ranked = sorted(seen, key=lambda s: (order.index(s[0]) if s[0] in order else len(order), s[0], s[1], s[2]))
        return [s[3] for s in ranked]

    @cached_property
    def tasks(self) -> list[str]:
        """Tasks in the order the records first name them."""
        return list(dict.fromkeys(r.task for record in self.records for r in record.results))

    @cached_property
    def facts(self) -> dict[str, EvaluationFacts]:
        """Per evaluation: whether it is story-disjoint, as the first record to run it says, and its test documents."""
        disjoint: dict[str, bool | None] = {}
        docs: dict[str, set[str]] = {}
        for record in self.records:
            for r in record.results:
                disjoint.setdefault(r.evaluation, r.story_disjoint)
                docs.setdefault(r.evaluation, set()).update(d for fold in r.folds for d in fold.tested_docs)
        return {e: EvaluationFacts(disjoint[e], frozenset(docs[e])) for e in disjoint}

    @cached_property
    def headline_evaluations(self) -> list[str]:
        """The evaluations of the headline tables: the story-disjoint ones (all, where the data declares no stories)."""
        return [e for e in self.evaluations if self.facts[e].story_disjoint is not False]

    def column_label(self, evaluation: str) -> str:
        """A column's heading, marked where the same story is on both sides of a split."""
        return marked(evaluation, self.facts[evaluation].story_disjoint)

    def metric_of(self, task: str) -> str:
        """The headline metric of a task: the one all its configs name, else F_avg for a stance task (majority
        scores 0 there) and macro-F1 otherwise."""
        named = {record.metric for record in self.records if any(r.task == task for r in record.results)}
        if len(named) == 1 and (only := named.pop()) != "by_task":
            return only
        stance = any("f_avg" in r.scores for _, r in self.of_task(task))
        return "f_avg" if stance else "macro_f1"

    @cached_property
    def ranked(self) -> list[Record]:
        """The records a table ranks: all but those of corpus-informed models, which sit in a group of their own."""
        return [record for record in self.records if not record.corpus_informed]

    @cached_property
    def informed(self) -> list[Record]:
        """The records of corpus-informed models, in table order: shown apart from the ranking, never ranked."""
        return [record for record in self.records if record.corpus_informed]

    def best(self, task: str, evaluation: str) -> str | None:
        """The ranked experiment with the highest mean headline score in one cell (the first in table order on a
        tie): the model whose errors and confusions the pages show. A point estimate, not a tested winner."""
        metric = self.metric_of(task)
        scored = [(r.scores[metric].mean, -i, record.experiment) for i, record in enumerate(self.ranked)
                  if (r := self.cell(record.experiment, task, evaluation)) is not None and metric in r.scores]
        return max(scored)[2] if scored else None

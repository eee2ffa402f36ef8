"""What a run produces and publishing reads: a record per experiment, its evaluations' results and their folds.

Each type reads itself from the record's JSON (`from_json`) and writes itself back (`to_json`) to the same
JSON: a record read and written again is byte-identical. Fields older records may lack are optional, read
as None and left out again when written. Per-class scores and selection details stay plain mappings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..models import MODELS
from .config import Config

CORPUS_INFORMED = "corpus-informed"  # a record's mark: the model was given content of the test corpus


@dataclass(frozen=True)
class Bootstrap:
    """The resampling every derived statistic of an experiment honours: how many resamples, their seed, and the
    confidence of the intervals."""

    resamples: int = 1000
    seed: int = 0
    confidence: float = 0.95

    @classmethod
    def of(cls, config: Config) -> Bootstrap:
        return cls(config.resamples, config.bootstrap_seed, config.confidence)

    @classmethod
    def from_provenance(cls, provenance: Mapping[str, Any]) -> Bootstrap:
        """The settings of the config a record names, with the defaults where it names none."""
        config = provenance.get("config", {})
        return cls(int(config.get("resamples", 1000)), int(config.get("bootstrap_seed", 0)),
                   float(config.get("confidence", 0.95)))


@dataclass(frozen=True)
class Score:
    """One measure over the seeds: their mean and sample standard deviation, each seed's value, the bootstrap CI."""

    mean: float
    std: float
    per_seed: list[float]
    ci_low: float
    ci_high: float

    @property
    def seeds(self) -> int:
        return len(self.per_seed)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Score:
        return cls(data["mean"], data["std"], list(data["per_seed"]), data["ci_low"], data["ci_high"])

    def to_json(self) -> dict[str, Any]:
        return {"mean": self.mean, "std": self.std, "per_seed": list(self.per_seed), "ci_low": self.ci_low,
                "ci_high": self.ci_high}


Scores = dict[str, Score]  # by measure: macro_f1, accuracy, macro_f1_seen, f_avg


def scores_from_json(data: Mapping[str, Any]) -> Scores:
    return {name: Score.from_json(value) for name, value in data.items()}


def scores_to_json(scores: Scores) -> dict[str, Any]:
    return {name: score.to_json() for name, score in scores.items()}


@dataclass(frozen=True)
class Subset:
    """The test rows of a result that share one value of a reported column (a language, a test set): how many,
    and their scores."""

    n_test: int
    scores: Scores

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Subset:
        return cls(data["n_test"], scores_from_json(data["scores"]))

    def to_json(self) -> dict[str, Any]:
        return {"n_test": self.n_test, "scores": scores_to_json(self.scores)}


Breakdown = dict[str, dict[str, Subset]]  # column (`report_by`) -> value -> its test rows' scores


@dataclass(frozen=True)
class Fold:
    """One outer fold: its groups and documents on each side, sizes and classes, and what the fold chose and
    logged (`selection` with a grid, `loss` per seed from a model trained by gradient descent)."""

    by: str
    train: list[str]
    test: list[str]
    n_train: int
    n_test: int
    test_classes: list[str]
    unseen_classes: list[str]
    train_docs: list[str] | None = None
    test_docs: list[str] | None = None
    selection: dict[str, Any] | None = None
    loss: dict[str, list[float]] | None = None

    OPTIONAL: ClassVar[tuple[str, ...]] = ("train_docs", "test_docs", "selection", "loss")

    @property
    def tested_docs(self) -> list[str]:
        """The test side's documents; records older than `test_docs` name them only where the fold is by document."""
        if self.test_docs is not None:
            return self.test_docs
        return self.test if self.by == "doc" else []

    @property
    def inner_scores(self) -> tuple[float, float] | None:
        """Macro-F1 of the chosen grid point and of majority on the inner folds, where selection measured both."""
        chosen = self.selection or {}
        if chosen.get("inner_macro_f1") is None or chosen.get("inner_majority_macro_f1") is None:
            return None
        return chosen["inner_macro_f1"], chosen["inner_majority_macro_f1"]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fold:
        return cls(data["by"], data["train"], data["test"], data["n_train"], data["n_test"], data["test_classes"],
                   data["unseen_classes"], **{name: data.get(name) for name in cls.OPTIONAL})

    def to_json(self) -> dict[str, Any]:
        found = {"by": self.by, "train": self.train, "test": self.test, "n_train": self.n_train,
                 "n_test": self.n_test, "test_classes": self.test_classes, "unseen_classes": self.unseen_classes}
        return found | {name: getattr(self, name) for name in self.OPTIONAL if getattr(self, name) is not None}


@dataclass(frozen=True)
class Prediction:
    """One test paragraph: its id, document (absent in older records), gold label and each seed's prediction."""

    id: str
    gold: str
    pred: list[str]
    doc: str | None = None

    @property
    def document(self) -> str:
        return self.doc if self.doc is not None else self.id.split("-")[0]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Prediction:
        return cls(data["id"], data["gold"], data["pred"], data.get("doc"))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "gold": self.gold, "pred": self.pred} | ({} if self.doc is None else {"doc": self.doc})


@dataclass(frozen=True)
class Result:
    """One evaluation's result: a task scored in one evaluation (and train size) over the pooled folds."""

    task: str
    evaluation: str
    setting: str
    train_language: str
    test_language: str
    labels: list[str]
    scores: Scores
    predictions: list[Prediction]
    folds: list[Fold] = field(default_factory=list)
    train_size: float | None = None
    story_disjoint: bool | None = None
    n_test: int = 0
    f_avg_poles: list[str] = field(default_factory=list)
    seen_classes: list[str] | None = None
    per_class: dict[str, Any] = field(default_factory=dict)
    per_target: dict[str, Scores] = field(default_factory=dict)
    reported_by: Breakdown = field(default_factory=dict)  # absent from records without `report_by`

    @property
    def seed_predictions(self) -> list[list[str]]:
        """Each seed's predictions for the test paragraphs, in the result's order."""
        rows = self.predictions
        return [[row.pred[i] for row in rows] for i in range(len(rows[0].pred))] if rows else []

    @property
    def gold(self) -> list[str]:
        return [row.gold for row in self.predictions]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        return cls(data["task"], data["evaluation"], data["setting"], data["train_language"], data["test_language"],
                   data["labels"], scores_from_json(data["scores"]),
                   [Prediction.from_json(row) for row in data["predictions"]],
                   [Fold.from_json(fold) for fold in data.get("folds", [])], data.get("train_size"),
                   data.get("story_disjoint"), data.get("n_test", 0), data.get("f_avg_poles", []),
                   data.get("seen_classes"), data.get("per_class", {}),
                   {target: scores_from_json(scores) for target, scores in (data.get("per_target") or {}).items()},
                   {column: {value: Subset.from_json(subset) for value, subset in values.items()}
                    for column, values in (data.get("reported_by") or {}).items()})

    def to_json(self) -> dict[str, Any]:
        found = {"task": self.task, "train_size": self.train_size, "setting": self.setting,
                 "train_language": self.train_language, "test_language": self.test_language,
                 "evaluation": self.evaluation, "story_disjoint": self.story_disjoint,
                 "folds": [fold.to_json() for fold in self.folds], "n_test": self.n_test, "labels": self.labels,
                 "f_avg_poles": self.f_avg_poles, "seen_classes": self.seen_classes,
                 "scores": scores_to_json(self.scores), "per_class": self.per_class,
                 "per_target": {target: scores_to_json(scores) for target, scores in self.per_target.items()},
                 "predictions": [row.to_json() for row in self.predictions]}
        if not self.reported_by:
            return found
        return found | {"reported_by": {column: {value: subset.to_json() for value, subset in values.items()}
                                        for column, values in self.reported_by.items()}}


@dataclass(frozen=True)
class Record:
    """One experiment's record: what ran, where and from what (`provenance`), and every result."""

    experiment: str
    model: str
    results: list[Result]
    provenance: dict[str, Any] = field(default_factory=dict)
    learning_curve: bool = False
    metric: str = "by_task"
    per_target: bool | str = False
    marks: list[str] = field(default_factory=list)
    description: str = ""
    dataset: dict[str, Any] | None = None

    @property
    def bootstrap(self) -> Bootstrap:
        """The resampling of the record's config, which the statistics derived from it honour."""
        return Bootstrap.from_provenance(self.provenance)

    @property
    def learns(self) -> bool:
        """Whether the model's predictions depend on its training text (a model unknown here is taken to)."""
        family = MODELS.get(self.model)
        return family is None or family.learns

    @property
    def corpus_informed(self) -> bool:
        """Whether the model was given content of the test corpus (its config says so): it is not ranked."""
        return CORPUS_INFORMED in self.marks

    @property
    def row_name(self) -> str:
        """The experiment's name in a table, with its marks (GPU, predictions file) beside it."""
        return self.experiment + (f" [{'; '.join(self.marks)}]" if self.marks else "")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Record:
        return cls(data["experiment"], data["model"], [Result.from_json(r) for r in data["results"]],
                   data.get("provenance", {}), data.get("learning_curve", False), data.get("metric", "by_task"),
                   data.get("per_target", False), data.get("marks", []), data.get("description", ""),
                   data.get("dataset"))

    def to_json(self) -> dict[str, Any]:
        found = {"experiment": self.experiment, "model": self.model, "learning_curve": self.learning_curve,
                 "metric": self.metric, "per_target": self.per_target, "marks": self.marks,
                 "description": self.description, "provenance": self.provenance,
                 "results": [result.to_json() for result in self.results]}
        return found if self.dataset is None else found | {"dataset": self.dataset}

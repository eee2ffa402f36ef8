"""Significance and power of the headline columns: what a test set this small can carry.

For each headline column (a task, a story-disjoint evaluation and a metric), from that column's own predictions:

- the minimum detectable difference (MDE) between two ranked rows, from paired bootstrap resamples of each pair's
  difference, summarised over all pairs; at document level too where the column has enough test documents;
- the one pre-registered question: does each ranked model that is not a chance baseline differ from chance?
  Two-sided paired permutation tests against majority and against uniform, Holm-corrected over the column.

No model is tested against the best: the best is chosen on the same paragraphs, and with so few of them the
answer would say more about the test set than about the models. Each pair is computed once here; the bold, the
marks and the prose all read it from the `Column`.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from ..evaluation.results import Bootstrap, Record, Result
from ..evaluation.statistics import (
    ALPHA,
    MIN_DOCUMENTS,
    document_permutation_test,
    document_resamples,
    holm,
    minimum_detectable_difference,
    paired_permutation_test,
    seed_averaged_resamples,
    smallest_document_p,
)
from .records import Results

CHANCE = ("majority", "stratified", "uniform")  # the models whose predictions ignore the text
MARKS = {"majority": "†", "uniform": "‡"}  # the chance rows each model is tested against, and the mark it earns
SEEN = "macro_f1_seen"  # topic's second metric: macro-F1 over the classes the training side had


@dataclass(frozen=True)
class Spread:
    """A detectable difference over the pairs of ranked rows: its median, the column's MDE, and its range."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: list[float]) -> Spread | None:
        return cls(statistics.median(values), min(values), max(values)) if values else None


@dataclass(frozen=True)
class ChanceTest:
    """One model against one chance row: the difference of their point estimates and the Holm-adjusted two-sided
    p-values, over paragraphs and (None below MIN_DOCUMENTS test documents) over whole documents."""

    model: str
    chance: str
    difference: float
    p: float
    p_documents: float | None = None
    mark: str = ""  # what a cell shows where the model is significantly above this chance row

    @property
    def above(self) -> bool:
        """Significantly above the chance row at paragraph level: the question the marks answer."""
        return self.difference > 0 and self.p < ALPHA


@dataclass(frozen=True)
class Column:
    """One headline column's power and chance tests.

    `scores` holds each ranked row's point estimate in table order; `pairs` and `document_pairs` each pair's
    MDE (keyed by the two experiments in table order); `tests` the chance tests, empty for a metric the tests do
    not use. `paragraphs` and `documents` count the column's test paragraphs and documents.
    """

    task: str
    evaluation: str
    metric: str
    bootstrap: Bootstrap
    paragraphs: int
    documents: int
    scores: dict[str, float]
    pairs: dict[tuple[str, str], float]
    document_pairs: dict[tuple[str, str], float]
    tests: list[ChanceTest]

    @property
    def mde(self) -> Spread | None:
        return Spread.of(list(self.pairs.values()))

    @property
    def document_mde(self) -> Spread | None:
        return Spread.of(list(self.document_pairs.values()))

    @property
    def bold(self) -> frozenset[str]:
        """The highest point estimate and every ranked row less than the MDE below it: rows the table cannot order."""
        best = max(self.scores.values())
        mde = self.mde.median if self.mde else 0.0
        return frozenset(name for name, score in self.scores.items()
                         if math.isclose(score, best, abs_tol=1e-12) or best - score < mde)

    def marks(self, experiment: str) -> str:
        """† and ‡ where the model is significantly above majority and uniform."""
        return "".join(test.mark for test in self.tests if test.model == experiment and test.above)

    def differences(self) -> list[tuple[str, str, float]]:
        """Every pair of ranked rows as (higher, lower, difference of point estimates), largest first."""
        found = []
        for first, second in self.pairs:
            high, low = (first, second) if self.scores[first] >= self.scores[second] else (second, first)
            found.append((high, low, self.scores[high] - self.scores[low]))
        return sorted(found, key=lambda pair: -pair[2])

    def reaching(self, threshold: float) -> list[tuple[str, str, float]]:
        """The pairs whose point estimates differ by at least `threshold`."""
        return [pair for pair in self.differences() if pair[2] >= threshold]

    def detectable(self) -> list[tuple[str, str, float]]:
        """The pairs that differ by at least the column's MDE: the only orderings the table can claim."""
        return [] if self.mde is None else self.reaching(self.mde.median)

    def detectable_over_documents(self) -> list[tuple[str, str, float]]:
        """The detectable pairs that also reach the document-level MDE, where there is one."""
        documents = self.document_mde
        return [] if documents is None else [pair for pair in self.detectable() if pair[2] >= documents.median]

    @property
    def documents_can_reach_alpha(self) -> bool:
        """Whether any test that swaps whole documents can reach α with this many documents."""
        return self.documents >= MIN_DOCUMENTS and smallest_document_p(self.documents) <= ALPHA


def headline_metrics(results: Results, task: str) -> list[str]:
    """The metrics of a task's headline tables: its headline metric, and for macro-F1 also macro-F1 over the
    classes seen in training, where the records hold it."""
    metric = results.metric_of(task)
    seen = metric == "macro_f1" and any(SEEN in r.scores for _, r in results.of_task(task))
    return [metric, SEEN] if seen else [metric]


def analyse(results: Results) -> dict[tuple[str, str, str], Column]:
    """Every headline column of every task and headline metric, keyed by (task, evaluation, metric); the chance
    tests only in the headline metric."""
    found = {}
    for task in results.tasks:
        for metric in headline_metrics(results, task):
            for evaluation in results.headline_evaluations:
                column = analyse_column(results, task, evaluation, metric, test=metric == results.metric_of(task))
                if column is not None:
                    found[(task, evaluation, metric)] = column
    return found


def aligned(result: Result, order: list[str]) -> list[list[str]]:
    """Each seed's predictions in the paragraph order given, so two models pair up paragraph by paragraph."""
    position = {row.id: i for i, row in enumerate(result.predictions)}
    return [[preds[position[i]] for i in order] for preds in result.seed_predictions]


def analyse_column(results: Results, task: str, evaluation: str, metric: str, *, test: bool = True) -> Column | None:
    """One column's pair MDEs and (with `test`) chance tests, on the resampling of its majority record (else its
    first ranked one); None where no ranked record scores the metric there."""
    present: list[tuple[Record, Result]] = [
        (record, result) for record in results.ranked
        if (result := results.cell(record.experiment, task, evaluation)) is not None and metric in result.scores]
    if not present:
        return None
    reference_record, reference = next(((rec, r) for rec, r in present if rec.model == "majority"), present[0])
    order = [row.id for row in reference.predictions]
    models = {record.experiment: aligned(result, order) for record, result in present}
    docs = [row.document for row in reference.predictions]
    bootstrap = reference_record.bootstrap
    pairs, document_pairs = pair_mdes(reference, models, docs, bootstrap, metric)
    scores = {record.experiment: result.scores[metric].mean for record, result in present}
    chance = {record.model: record.experiment for record, _ in present if record.model in MARKS}
    tested = [record.experiment for record, _ in present if record.model not in CHANCE] if test else []
    tests = chance_tests(reference, models, docs, bootstrap, metric=metric, scores=scores,
                         comparisons=[(model, chance[name], MARKS[name]) for model in tested for name in MARKS
                                      if name in chance])
    return Column(task, evaluation, metric, bootstrap, len(order), len(set(docs)), scores, pairs, document_pairs, tests)


def pair_mdes(reference: Result, models: dict[str, list[list[str]]], docs: list[str], bootstrap: Bootstrap,
              metric: str) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """Each pair's MDE over paragraphs and, where the column has MIN_DOCUMENTS test documents (and the metric is
    not over seen classes, which the document resampling does not score), over documents.

    Every model is resampled on the same draws at once, so each difference is exactly the one
    `paired_differences` and a two-model `document_resamples` give for that pair.
    """
    names = list(models)
    gold, labels, poles = reference.gold, reference.labels, reference.f_avg_poles
    seen = reference.seen_classes if metric == SEEN else None
    paragraphs = [found[metric] for found in seed_averaged_resamples(gold, list(models.values()), labels, bootstrap,
                                                                     poles=poles, seen=seen)]
    documents = None if metric == SEEN else document_resamples(gold, list(models.values()), docs, labels, bootstrap,
                                                               poles=poles, metric=metric)
    pairs, document_pairs = {}, {}
    for i, first in enumerate(names):
        for j in range(i + 1, len(names)):
            key = (first, names[j])
            pairs[key] = minimum_detectable_difference(paragraphs[i] - paragraphs[j])
            if documents is not None:
                document_pairs[key] = minimum_detectable_difference(documents[i] - documents[j])
    return pairs, document_pairs


def chance_tests(reference: Result, models: dict[str, list[list[str]]], docs: list[str], bootstrap: Bootstrap, *,
                 metric: str, scores: dict[str, float], comparisons: list[tuple[str, str, str]]) -> list[ChanceTest]:
    """The two-sided paired permutation test of each (model, chance row, its mark), over paragraphs and, with
    MIN_DOCUMENTS test documents or more, over whole documents; each level Holm-corrected over the comparisons."""
    gold, labels, poles = reference.gold, reference.labels, reference.f_avg_poles
    keys = [f"{model} - {chance}" for model, chance, _ in comparisons]
    raw = {key: paired_permutation_test(gold, models[model], models[chance], labels, bootstrap, metric=metric,
                                        poles=poles, alternative="two-sided")
           for key, (model, chance, _) in zip(keys, comparisons)}
    by_documents = {}
    if len(set(docs)) >= MIN_DOCUMENTS:
        by_documents = holm({key: document_permutation_test(gold, models[model], models[chance], docs, labels,
                                                            bootstrap, metric=metric, poles=poles)
                             for key, (model, chance, _) in zip(keys, comparisons)})
    adjusted = holm(raw)
    return [ChanceTest(model, chance, scores[model] - scores[chance], adjusted[key], by_documents.get(key), mark)
            for key, (model, chance, mark) in zip(keys, comparisons)]

"""Cross-lingual transfer: cross-lingual minus in-language score on the same test paragraphs, with a paired CI.

A ratio of two small, noisy scores means little; a difference on the same paragraphs has a paired interval.
It is undefined ("n/a") for models whose predictions do not depend on the training data's text.
"""

from __future__ import annotations

from ..evaluation.results import Record, Result
from ..evaluation.statistics import paired_difference
from .records import Results


def transfer_columns(results: Results) -> list[tuple[str, str, str]]:
    """(column name, cross-lingual evaluation, in-language evaluation of its test language)."""
    evaluations = {(r.evaluation, r.setting, r.train_language, r.test_language)
                   for record in results for r in record.results}
    names = {e[0] for e in evaluations}
    return sorted((f"transfer {source}>{target}", name, f"in_language:{target}")
                  for name, setting, source, target in evaluations
                  if setting == "cross_lingual" and f"in_language:{target}" in names)


def transfer_cell(record: Record, cross: Result | None, home: Result | None, metric: str) -> str:
    """The difference with its CI; "n/a" for a model that does not learn; § where the in-language
    reference is not story-disjoint, so the difference mixes a change of story with the change of language."""
    if cross is None or home is None or metric not in cross.scores:
        return ""
    if not record.learns:
        return "n/a"
    ids = [row.id for row in cross.predictions]
    position = {row.id: i for i, row in enumerate(home.predictions)}
    if any(i not in position for i in ids):
        return ""
    reference = [[pred[position[i]] for i in ids] for pred in home.seed_predictions]
    difference, low, high = paired_difference(cross.gold, cross.seed_predictions, reference, cross.labels,
                                              record.bootstrap, poles=cross.f_avg_poles, metric=metric,
                                              seen=cross.seen_classes)
    mark = " §" if home.story_disjoint is False else ""
    return f"{difference:+.3f} [{low:+.3f}, {high:+.3f}]{mark}"


def transfer_cells(results: Results, task: str, metric: str) -> dict[tuple[str, str], str]:
    """(experiment, column) -> cell for every transfer column of one task."""
    return {(record.experiment, column): transfer_cell(record, results.cell(record.experiment, task, cross),
                                                       results.cell(record.experiment, task, home), metric)
            for record in results for column, cross, home in transfer_columns(results)}

"""Cross-lingual transfer: cross-lingual minus in-language score on the same test paragraphs, with a paired CI.

A ratio of two small, noisy scores means little; a difference on the same paragraphs has a paired interval.
It is undefined ("n/a") for models whose predictions do not depend on the training data's text.
"""

from __future__ import annotations

from ..evaluation.statistics import paired_difference
from ..models import MODELS
from .records import bootstrap_of, results_by_cell, seed_predictions


def transfer_columns(records: list[dict]) -> list[tuple[str, str, str]]:
    """(column name, cross-lingual evaluation, in-language evaluation of its test language)."""
    evaluations = {(r["evaluation"], r["setting"], r["train_language"], r["test_language"])
                   for record in records for r in record["results"]}
    names = {e[0] for e in evaluations}
    return sorted((f"transfer {source}>{target}", name, f"in_language:{target}")
                  for name, setting, source, target in evaluations
                  if setting == "cross_lingual" and f"in_language:{target}" in names)


def learns(record: dict) -> bool:
    family = MODELS.get(record["model"])
    return family is None or family.learns


def transfer_cell(record: dict, cross: dict | None, home: dict | None, metric: str) -> str:
    """The difference with its CI; "n/a" for a model that does not learn; § where the in-language
    reference is not story-disjoint, so the difference mixes a change of story with the change of language."""
    if cross is None or home is None or metric not in cross["scores"]:
        return ""
    if not learns(record):
        return "n/a"
    ids = [row["id"] for row in cross["predictions"]]
    position = {row["id"]: i for i, row in enumerate(home["predictions"])}
    if any(i not in position for i in ids):
        return ""
    gold = [row["gold"] for row in cross["predictions"]]
    reference = [[pred[position[i]] for i in ids] for pred in seed_predictions(home)]
    resamples, seed, confidence = bootstrap_of(record)
    difference, low, high = paired_difference(gold, seed_predictions(cross), reference, cross["labels"],
                                              cross.get("f_avg_poles", []), resamples, seed, confidence, metric,
                                              cross.get("seen_classes"))
    mark = " §" if home.get("story_disjoint") is False else ""
    return f"{difference:+.3f} [{low:+.3f}, {high:+.3f}]{mark}"


def transfer_cells(records: list[dict], task: str, metric: str) -> dict[tuple[str, str], str]:
    """(experiment, column) -> cell for every transfer column of one task."""
    cells = results_by_cell(records)
    return {(record["experiment"], column): transfer_cell(record, cells.get((record["experiment"], task, cross)),
                                                          cells.get((record["experiment"], task, home)), metric)
            for record in records for column, cross, home in transfer_columns(records)}

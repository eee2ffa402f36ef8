"""Records: one JSON file per experiment (scores, predictions, provenance), written and read back in table order."""

from __future__ import annotations

import json
from pathlib import Path

from ..evaluation.config import Config
from ..evaluation.settings import SETTINGS
from ..files import BenchError, atomic_write, check_name, dump_json, read_text
from ..models import MODELS, build_model
from ..models.protocol import FoldSpecific

HEADLINE = "multilingual:all"  # the evaluation the results page and the figures single out


def write_record(records_dir: Path, config: Config, results: list[dict], origin: dict,
                 dataset: dict | None = None) -> Path:
    """The experiment's record, written whole or not at all."""
    path = records_dir / f"{check_name(config.name, 'the experiment name')}.json"
    record = {"experiment": config.name, "model": config.model, "learning_curve": bool(config.train_sizes),
              "metric": config.metric, "per_target": config.per_target, "marks": marks(config, origin),
              "description": config.description, "provenance": origin, "results": results}
    if dataset is not None:
        record["dataset"] = dataset
    atomic_write(path, dump_json(record))
    return path


def marks(config: Config, origin: dict) -> list[str]:
    """What a table says beside the experiment's name: that it ran on a GPU, or that its predictions came from a
    file (and whether they are per fold, from a model that trained)."""
    found = ["GPU"] if origin.get("device", {}).get("kind") == "cuda" else []
    model = build_model(config.model, config.params)
    if isinstance(model, FoldSpecific):
        found.append("predictions file, per fold" if model.fold_specific() else "predictions file")
    return found


def row_name(record: dict) -> str:
    return record["experiment"] + (f" [{'; '.join(record['marks'])}]" if record.get("marks") else "")


def load_records(records_dir: Path) -> tuple[list[dict], list[dict]]:
    """The result records and the learning curves, read once; each baselines first, then by model kind and name."""
    records = []
    for path in sorted(records_dir.glob("*.json")):
        try:
            records.append(json.loads(read_text(path)))
        except json.JSONDecodeError as err:
            raise BenchError(f"malformed record: {err.msg}", path, err.lineno) from None
    rank = {name: family.rank for name, family in MODELS.items()}
    records.sort(key=lambda r: (rank.get(r["model"], len(rank)), r["experiment"]))
    return [r for r in records if not r.get("learning_curve")], [r for r in records if r.get("learning_curve")]


def evaluation_order(records: list[dict]) -> list[str]:
    """Columns: settings in their fixed order, then train and test language."""
    seen = {(r["setting"], r["train_language"], r["test_language"], r["evaluation"])
            for record in records for r in record["results"]}
    order = list(SETTINGS)
    ranked = sorted(seen, key=lambda s: (order.index(s[0]) if s[0] in order else len(order), s[0], s[1], s[2]))
    return [s[3] for s in ranked]


def task_order(records: list[dict]) -> list[str]:
    """Tasks in the order the records first name them."""
    tasks: list[str] = []
    for record in records:
        for result in record["results"]:
            if result["task"] not in tasks:
                tasks.append(result["task"])
    return tasks


def results_by_cell(records: list[dict]) -> dict[tuple[str, str, str], dict]:
    """Every result by (experiment, task, evaluation)."""
    return {(record["experiment"], r["task"], r["evaluation"]): r for record in records for r in record["results"]}


def bootstrap_of(record: dict) -> tuple[int, int, float]:
    """The record's configured (resamples, seed, confidence), which its derived statistics honour."""
    config = record.get("provenance", {}).get("config", {})
    return int(config.get("resamples", 1000)), int(config.get("bootstrap_seed", 0)), float(
        config.get("confidence", 0.95))


def seed_predictions(result: dict) -> list[list[str]]:
    """Each seed's predictions for the test paragraphs, in the result's order."""
    rows = result["predictions"]
    return [[row["pred"][i] for row in rows] for i in range(len(rows[0]["pred"]))] if rows else []


def evaluation_facts(records: list[dict]) -> dict[str, dict]:
    """Per evaluation: whether it is story-disjoint (True, False or None), and its test documents."""
    facts: dict[str, dict] = {}
    for record in records:
        for r in record["results"]:
            found = facts.setdefault(r["evaluation"], {"story_disjoint": r.get("story_disjoint"), "test_docs": set()})
            for fold in r["folds"]:
                found["test_docs"].update(fold.get("test_docs", fold["test"] if fold["by"] == "doc" else []))
    return facts


def headline_evaluations(records: list[dict]) -> list[str]:
    """The evaluations of the headline tables: the story-disjoint ones (all, where the data declares no stories)."""
    facts = evaluation_facts(records)
    return [e for e in evaluation_order(records) if facts[e]["story_disjoint"] is not False]


def column_label(evaluation: str, facts: dict[str, dict]) -> str:
    """A column's heading, marked where the same story is on both sides of a split."""
    return evaluation + (" (same story)" if facts[evaluation]["story_disjoint"] is False else "")


def main_metric(records: list[dict]) -> str:
    """The metric the configs name for the headline tables and tests (macro-F1 unless all agree on another)."""
    named = {record.get("metric", "macro_f1") for record in records}
    return named.pop() if len(named) == 1 else "macro_f1"

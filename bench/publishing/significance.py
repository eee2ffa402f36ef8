"""Significance: the best experiment of each table cell and a paired test of every other against it."""

from __future__ import annotations

from ..evaluation.statistics import paired_bootstrap
from .records import evaluation_order, task_order
from .tables import markdown_table, table_rows

ALPHA = 0.05


def seed_predictions(result: dict) -> list[list[str]]:
    """Each seed's predictions for the test paragraphs, in the record's order."""
    rows = result["predictions"]
    return [[row["pred"][i] for row in rows] for i in range(len(rows[0]["pred"]))] if rows else []


def significance(records: list[dict], resamples: int = 1000, seed: int = 0) -> dict[tuple[str, str], dict]:
    """Per task and evaluation: the best experiment by mean macro-F1 and each other's paired-bootstrap p-value."""
    cells: dict[tuple[str, str], dict[str, dict]] = {}
    for record in records:
        for result in record["results"]:
            cells.setdefault((result["task"], result["evaluation"]), {})[record["experiment"]] = result
    tests = {}
    for key, results in cells.items():
        best = max(sorted(results), key=lambda name: results[name]["scores"]["macro_f1"]["mean"])
        reference = results[best]
        gold = [row["gold"] for row in reference["predictions"]]
        order = [row["id"] for row in reference["predictions"]]
        p_values = {}
        for name, result in sorted(results.items()):
            if name == best:
                continue
            position = {row["id"]: i for i, row in enumerate(result["predictions"])}
            aligned = [[preds[position[i]] for i in order] for preds in seed_predictions(result)]
            p_values[name] = paired_bootstrap(gold, seed_predictions(reference), aligned, reference["labels"],
                                              resamples, seed)
        tests[key] = {"best": best, "p": p_values}
    return tests


def marked_tables(records: list[dict], tests: dict) -> str:
    """Macro-F1 per task with the best result in bold and † on results the test cannot tell from it."""
    parts = []
    for task in task_order(records):
        header, rows = table_rows(records, task, "macro_f1")
        evaluations = header[1:1 + len(evaluation_order(records))]
        for row in rows:
            for column, evaluation in enumerate(evaluations, start=1):
                test = tests.get((task, evaluation))
                if not test or not row[column]:
                    continue
                if test["best"] == row[0]:
                    row[column] = f"**{row[column]}**"
                elif test["p"].get(row[0], 0) >= ALPHA:
                    row[column] += " †"
        parts.append(f"### {task}\n\n" + markdown_table(header, rows))
    return "\n".join(parts)

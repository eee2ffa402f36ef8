"""Significance: the best experiment of each table cell and a paired test of every other against it.

The best is chosen on the same test data it is then compared on, so the marks describe this test set, not
a held-out selection. Each column's comparisons are corrected together with Holm's method.
"""

from __future__ import annotations

from ..evaluation.results import Result
from ..evaluation.statistics import holm, paired_permutation_test
from .records import Results
from .tables import markdown_table, table_rows

ALPHA = 0.05


def significance(results: Results) -> dict[tuple[str, str], dict]:
    """Per task and evaluation: the best experiment by the main metric's mean, and each other's one-sided paired
    permutation p-value against it, raw and Holm-adjusted, with the resamples and seed of the best's config."""
    cells: dict[tuple[str, str], dict[str, Result]] = {}
    owners = {record.experiment: record for record in results}
    for record in results:
        for result in record.results:
            cells.setdefault((result.task, result.evaluation), {})[record.experiment] = result
    tests = {}
    for key, found in cells.items():
        metric = results.metric_of(key[0])
        scored = {name: result for name, result in found.items() if metric in result.scores}
        if not scored:
            continue
        best = max(sorted(scored), key=lambda name: scored[name].scores[metric].mean)
        reference = found[best]
        bootstrap = owners[best].bootstrap
        order = [row.id for row in reference.predictions]
        p_values = {}
        for name, result in sorted(scored.items()):
            if name == best:
                continue
            position = {row.id: i for i, row in enumerate(result.predictions)}
            aligned = [[preds[position[i]] for i in order] for preds in result.seed_predictions]
            p_values[name] = paired_permutation_test(reference.gold, reference.seed_predictions, aligned,
                                                     reference.labels, bootstrap, metric=metric,
                                                     poles=reference.f_avg_poles)
        tests[key] = {"best": best, "p": p_values, "p_holm": holm(p_values), "resamples": bootstrap.resamples}
    return tests


def marked_tables(results: Results, tests: dict, evaluations: list[str] | None = None) -> str:
    """The main metric per task, the best result in bold and † on results the corrected test cannot tell from it."""
    parts = []
    chosen = results.evaluations if evaluations is None else evaluations
    for task in results.tasks:
        header, rows = table_rows(results, task, results.metric_of(task), chosen)
        for row in rows:
            for column, evaluation in enumerate(chosen, start=1):
                test = tests.get((task, evaluation))
                if not test or not row[column]:
                    continue
                if test["best"] == row[0]:
                    row[column] = f"**{row[column]}**"
                elif test["p_holm"].get(row[0], 0) >= ALPHA:
                    row[column] += " †"
        assert header[1:1 + len(chosen)] == [results.column_label(e) for e in chosen]
        parts.append(f"### {task}\n\n" + markdown_table(header, rows))
    return "\n".join(parts)

"""Tables derived from the records (Markdown, CSV, LaTeX) and the agreement tables; never edited by hand."""

from __future__ import annotations

import csv
import io
import math

from ..evaluation.results import Score
from .records import Results
from .transfer import transfer_cells, transfer_columns

METRIC_NAMES = {"macro_f1": "macro-F1", "macro_f1_seen": "macro-F1 over the classes seen in training",
                "f_avg": "F_avg", "accuracy": "accuracy"}
METRIC_TITLES = {"macro_f1": "macro-F1 over the classes in the test gold",  # a metric named in full, in titles
                 "macro_f1_seen": "macro-F1 over the classes seen in training",
                 "f_avg": "F_avg over the poles present in the test gold", "accuracy": "accuracy"}
COLUMNS = ("Columns: `in_language:L` leaves one story of language L out at a time (one document, where L tells "
           "a single story); `cross_lingual:A>B` trains on language A and tests on language B, never with a story "
           "on both sides; `cross_lingual_same_story:A>B` trains on all of A and tests on the stories of B that A "
           "also tells; `leave_one_story_out:all` leaves one story out over both languages. \"(same story)\" marks "
           "columns where a story is on both sides of a split. `transfer A>B` is the cross-lingual score minus "
           "the in-language score of B on the same test paragraphs, with a paired bootstrap CI; n/a for models "
           "whose predictions do not depend on the training text; § where the in-language reference is not "
           "story-disjoint, so the difference mixes a change of story with the change of language.")


def cell(score: Score) -> str:
    """A table cell: mean, the spread over seeds where there are several, and the CI."""
    spread = f"±{score.std:.3f}" if score.seeds > 1 else ""
    return f"{score.mean:.3f}{spread} [{score.ci_low:.3f}, {score.ci_high:.3f}]"


def table_rows(results: Results, task: str, metric: str, evaluations: list[str] | None = None,
               transfer: bool = True) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one task's table: experiments by evaluations (all, or those given), then transfer."""
    evaluations = results.evaluations if evaluations is None else evaluations
    columns = transfer_columns(results) if transfer else []
    differences = transfer_cells(results, task, metric) if columns else {}
    header = ["model", *(results.column_label(e) for e in evaluations), *(name for name, _, _ in columns)]
    rows = []
    for record in results:
        found = [results.cell(record.experiment, task, e) for e in evaluations]
        if not any(found):
            continue
        scores = [result.scores.get(metric) if result else None for result in found]
        rows.append([record.row_name, *(cell(score) if score else "" for score in scores),
                     *(differences[(record.experiment, column)] for column, _, _ in columns)])
    return header, rows


def task_metrics(results: Results, task: str) -> list[str]:
    """The metrics the records hold for a task (F_avg only for stance)."""
    return next((list(r.scores) for _, r in results.of_task(task)), [])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def unseen_notes(results: Results, task: str) -> list[str]:
    """Which test folds hold classes their training side lacks, so no model can predict them."""
    notes = set()
    for _, r in results.of_task(task):
        for fold in r.folds:
            if fold.unseen_classes:
                tested = ", ".join(fold.test[:5]) + (" …" if len(fold.test) > 5 else "")
                notes.add(f"{r.evaluation} (test {tested}): {', '.join(fold.unseen_classes)}")
    return sorted(notes)


def main_tables(results: Results) -> str:
    """The main metric per task in the story-disjoint settings, mean±sd over seeds and the CI, with the transfer
    columns (the card's table)."""
    parts = []
    for task in results.tasks:
        metric = results.metric_of(task)
        header, rows = table_rows(results, task, metric, results.headline_evaluations)
        parts.append(f"**{task}** ({METRIC_NAMES.get(metric, metric)}, mean±sd over seeds [bootstrap CI])\n\n"
                     + markdown_table(header, rows))
    return "\n".join(parts)


def every_setting_tables(results: Results) -> str:
    """The main metric per task in every evaluation, same-story ones marked, then the transfer columns; no marks."""
    parts = []
    for task in results.tasks:
        metric = results.metric_of(task)
        header, rows = table_rows(results, task, metric)
        parts.append(f"### {task}: {METRIC_TITLES.get(metric, metric)}\n\n" + markdown_table(header, rows))
    return "\n".join(parts)


def full_markdown(results: Results) -> str:
    """tables/results.md: every metric of every task and evaluation."""
    parts = ["# Results\n\nGenerated by `bench run` from the records in `experiments/results/records/`; "
             "do not edit.\n\nCells: mean±sd over seeds [percentile bootstrap CI over test paragraphs, at each "
             "config's confidence]. " + COLUMNS + "\n"]
    for task in results.tasks:
        parts.append(f"## {task}\n")
        for metric in task_metrics(results, task):
            header, rows = table_rows(results, task, metric)
            parts.append(f"### {METRIC_NAMES.get(metric, metric)}\n\n" + markdown_table(header, rows))
        targets = per_target_table(results, task)
        if targets:
            parts.append("### Per target\n\n" + targets)
        notes = unseen_notes(results, task)
        if notes:
            parts.append("Classes in the test gold without a training example:\n\n" +
                         "".join(f"- {note}\n" for note in notes))
    return "\n".join(parts)


def per_target_rows(results: Results, task: str) -> list[list[str]]:
    """Each target's macro-F1 and F_avg, where a task has several targets."""
    return [[record.experiment, r.evaluation, target,
             *(cell(scores[m]) if m in scores else "" for m in ("macro_f1", "f_avg"))]
            for record, r in results.of_task(task) for target, scores in r.per_target.items()]


def per_target_table(results: Results, task: str) -> str:
    """The per-target table of a task, or "" where it has a single target."""
    rows = per_target_rows(results, task)
    return markdown_table(["model", "evaluation", "target", *(METRIC_NAMES[m] for m in ("macro_f1", "f_avg"))],
                          rows) if rows else ""


def per_target_tables(results: Results) -> str:
    """Every task's per-target table, for data sets with several targets."""
    return "".join(f"\n### {task}: per target\n\n{table}" for task in results.tasks
                   if (table := per_target_table(results, task)))


def csv_table(results: Results) -> str:
    """tables/results.csv: one row per experiment, task, evaluation and metric."""
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["experiment", "model", "task", "evaluation", "setting", "train_language", "test_language",
                     "story_disjoint", "n_test", "n_seeds", "metric", "mean", "std", "ci_low", "ci_high"])
    for record in results:
        for r in record.results:
            disjoint = "unknown" if r.story_disjoint is None else "yes" if r.story_disjoint else "no"
            for metric, s in r.scores.items():
                writer.writerow([record.experiment, record.model, r.task, r.evaluation, r.setting,
                                 r.train_language, r.test_language, disjoint, r.n_test, s.seeds, metric,
                                 *(f"{value:.4f}" for value in (s.mean, s.std, s.ci_low, s.ci_high))])
    return stream.getvalue()


def latex_escape(text: str) -> str:
    """Text made safe for LaTeX."""
    return text.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&").replace(
        "%", r"\%").replace("#", r"\#").replace(">", r"$\rightarrow$").replace("±", r"$\pm$")


def latex_tables(results: Results) -> str:
    """tables/results.tex: the macro-F1 tables in booktabs style."""
    parts = ["% Generated by `bench run`; needs \\usepackage{booktabs}.\n"]
    for task in results.tasks:
        header, rows = table_rows(results, task, results.metric_of(task), results.headline_evaluations, transfer=False)
        parts.append("\\begin{table}[t]\n\\centering\n\\small\n"
                     f"\\begin{{tabular}}{{l{'c' * (len(header) - 1)}}}\n\\toprule\n"
                     + " & ".join(latex_escape(h) for h in header) + " \\\\\n\\midrule\n"
                     + "".join(" & ".join(latex_escape(c) for c in row) + " \\\\\n" for row in rows)
                     + "\\bottomrule\n\\end{tabular}\n"
                     f"\\caption{{{latex_escape(task)}: {METRIC_NAMES.get(results.metric_of(task), 'macro-F1')} in the "
                     "story-disjoint settings, mean$\\pm$sd over seeds, "
                     "bootstrap CI over test paragraphs.}}\n"
                     f"\\label{{tab:{task.replace('_', '-')}}}\n\\end{{table}}\n")
    return "\n".join(parts)


def agreement_table(result: dict) -> str:
    """Raw agreement, Cohen's kappa and Krippendorff's alpha per field and annotator pair."""
    rows = []
    for field, values in result.items():
        alpha = values["krippendorff_alpha"]
        for pair in values["pairs"]:
            rows.append([field, " vs ".join(pair["annotators"]), str(pair["units"]), f"{pair['raw_agreement']:.3f}",
                         _number(pair["cohen_kappa"]), _number(alpha)])
    return markdown_table(["field", "annotators", "paragraphs", "raw agreement", "Cohen's kappa",
                           "Krippendorff's alpha"], rows)


def confusion_tables(result: dict, schema_labels: dict[str, tuple[str, ...]]) -> str:
    """Each pair's confusion table per field: rows are the first annotator's labels, columns the second's."""
    parts = []
    for field, values in result.items():
        labels = list(schema_labels[field])
        for pair in values["pairs"]:
            left, right = pair["annotators"]
            rows = [[label, *map(str, counts)] for label, counts in zip(labels, pair["confusion"])]
            parts.append(f"{field}: {left} (rows) by {right} (columns)\n\n"
                         + markdown_table([f"{left} \\ {right}", *labels], rows))
    return "\n".join(parts)


def _number(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"

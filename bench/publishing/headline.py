"""The headline tables as data: what the README, the results page, the card and the LaTeX all render."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..evaluation.statistics import ALPHA, MIN_DOCUMENTS, POWER
from .records import Results
from .significance import Column, headline_metrics
from .tables import METRIC_TITLES, cell

CORPUS_INFORMED_GROUP = "corpus-informed (given content of the test corpus; not ranked)"
POWER_GROUP = "what this test set can detect"
MDE_ROW = f"detectable difference (α {ALPHA}, power {POWER})"


@dataclass(frozen=True)
class HeadlineTable:
    """One task's headline table in one metric, free of any output format.

    `rows` hold plain cell text (no Markdown or LaTeX markup); `bold` the (row, column) positions to set in bold,
    column 0 being the model's name; `group_starts` maps a row index to the heading of the row group it opens
    (the corpus-informed models, outside the ranking, then the detectable-difference row); `notes` are the
    sentences of the caption.
    """

    task: str
    title: str
    header: list[str]
    rows: list[list[str]]
    bold: frozenset[tuple[int, int]] = frozenset()
    group_starts: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    metric: str = ""


def headline_tables(results: Results, columns: dict[tuple[str, str, str], Column]) -> list[HeadlineTable]:
    """Per task and headline metric, the story-disjoint columns only: ranked rows, then the corpus-informed ones,
    then each column's detectable difference."""
    return [headline_table(results, columns, task, metric)
            for task in results.tasks for metric in headline_metrics(results, task)]


def headline_table(results: Results, columns: dict[tuple[str, str, str], Column], task: str,
                   metric: str) -> HeadlineTable:
    """One headline table: bold and marks only among the ranked rows, from the columns' analyses."""
    evaluations = [e for e in results.headline_evaluations if (task, e, metric) in columns]
    found = [columns[(task, e, metric)] for e in evaluations]
    rows: list[list[str]] = []
    bold: set[tuple[int, int]] = set()
    groups: dict[int, str] = {}
    for group, records in ((None, results.ranked), (CORPUS_INFORMED_GROUP, results.informed)):
        present = [r for r in records if any(results.cell(r.experiment, task, e) for e in evaluations)]
        if group is not None and present:
            groups[len(rows)] = group
        for record in present:
            ranked = group is None
            row = [record.row_name]
            for number, (evaluation, column) in enumerate(zip(evaluations, found), start=1):
                result = results.cell(record.experiment, task, evaluation)
                score = result.scores.get(metric) if result else None
                marks = column.marks(record.experiment) if ranked else ""
                row.append("" if score is None else cell(score) + (f" {marks}" if marks else ""))
                if ranked and record.experiment in column.bold:
                    bold.add((len(rows), number))
            rows.append(row)
    groups[len(rows)] = POWER_GROUP
    rows.append([MDE_ROW, *(mde_text(column) for column in found)])
    header = ["model", *(results.column_label(e) for e in evaluations)]
    return HeadlineTable(task, f"{task}: {METRIC_TITLES.get(metric, metric)}", header, rows, frozenset(bold), groups,
                         notes(metric, found), metric)


def mde_text(column: Column) -> str:
    """A column's detectable difference: over paragraphs, and over documents where it has enough of them."""
    if column.mde is None:
        return "n/a"
    documents = column.document_mde
    return f"{column.mde.median:.3f}" + (f" (documents {documents.median:.3f})" if documents else "")


def notes(metric: str, columns: list[Column]) -> list[str]:
    """The caption's sentences: what the cells, the bold, the marks and the last row say."""
    title = METRIC_TITLES.get(metric, metric)
    found = [f"{title[0].upper()}{title[1:]} in the story-disjoint settings; mean±sd over seeds [percentile "
             "bootstrap CI over test paragraphs and seeds].",
             "Bold: the highest ranked point estimate and every ranked row less than the column's detectable "
             "difference below it; the table cannot order the bold rows."]
    if any(column.tests for column in columns):
        found.append(f"† and ‡: significantly above majority and above uniform (two-sided paired permutation test, "
                     f"Holm-corrected over the column, α = {ALPHA}).")
    found.append(f"Last row: the minimum detectable difference between two ranked rows (α = {ALPHA}, power "
                 f"{POWER}), median over pairs; paragraph level, and document level where a column has "
                 f"{MIN_DOCUMENTS} test documents or more.")
    return found

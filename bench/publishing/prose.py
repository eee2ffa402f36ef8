"""Generated prose, rendered from the Jinja2 templates in templates/: the headline block here (the tables' legend
and the tables in Markdown, for the README and the results page), the results page's prose in `pages`."""

from __future__ import annotations

from pathlib import Path

import jinja2
from scipy import stats

from ..evaluation.statistics import ALPHA, MIN_DOCUMENTS, POWER
from .headline import HeadlineTable, headline_tables
from .records import BASELINE_MARK, Results
from .significance import CHANCE, Column, analyse, headline_metrics
from .tables import METRIC_NAMES, METRIC_TITLES, markdown_table

TEMPLATES = Path(__file__).parent / "templates"
ENVIRONMENT = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                                 keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True, autoescape=False)


def series(items: list[str]) -> str:
    """Names as a sentence lists them: "a, b and c"."""
    return " and ".join([", ".join(items[:-1]), items[-1]]) if len(items) > 1 else "".join(items)


ENVIRONMENT.filters["series"] = series


def render(template: str, **context: object) -> str:
    """A template of templates/ filled in; a name it uses and the context lacks is an error, never blank text."""
    return ENVIRONMENT.get_template(template).render(**context)


def counts(values: set[int]) -> str:
    """A count the columns share, or its range where they differ."""
    low, high = min(values), max(values)
    return f"{low:,}" if low == high else f"{low:,} to {high:,}"


def headline_legend(results: Results, columns: dict[tuple[str, str, str], Column]) -> str:
    """What the headline tables show and how far they can be read, from the records and the columns' analyses."""
    majorities = [record.experiment for record in results.ranked if record.model == "majority"]
    majority_silent = [task for task in results.tasks if results.metric_of(task) == "f_avg" and majorities and all(
        column.scores.get(name) == 0 for (of, _, metric), column in columns.items() if of == task and metric == "f_avg"
        for name in majorities)]
    with_documents = {evaluation for (_, evaluation, _), column in columns.items() if column.document_mde}
    return render(
        "headline_legend.md",
        metrics={task: METRIC_TITLES.get(results.metric_of(task), results.metric_of(task)) for task in results.tasks},
        majority_silent=majority_silent, seen=[task for task in results.tasks if len(headline_metrics(results, task)) > 1],
        chance=[record.experiment for record in results.ranked if record.model in CHANCE],
        informed=bool(results.informed), baselines=any(BASELINE_MARK in record.marks for record in results),
        confidence=" to ".join(sorted({f"{record.bootstrap.confidence:.0%}" for record in results})),
        tested=any(column.tests for column in columns.values()),
        resamples=counts({column.bootstrap.resamples for column in columns.values()}), alpha=ALPHA, power=POWER,
        z=float(stats.norm.ppf(1 - ALPHA / 2) + stats.norm.ppf(POWER)), min_documents=MIN_DOCUMENTS,
        document_columns=[results.column_label(e) for e in results.headline_evaluations if e in with_documents])


def headline_markdown(tables: list[HeadlineTable]) -> str:
    """The headline tables in Markdown: bold cells in **, each row group opened by a row with its heading in italics."""
    parts = []
    for table in tables:
        rows = []
        for i, row in enumerate(table.rows):
            if i in table.group_starts:
                rows.append([f"*{table.group_starts[i]}*", *([""] * (len(row) - 1))])
            rows.append([f"**{text}**" if (i, j) in table.bold else text for j, text in enumerate(row)])
        parts.append(f"### {table.title}\n\n" + markdown_table(table.header, rows))
    return "\n".join(parts)


def headline_block(results: Results, columns: dict[tuple[str, str, str], Column], tables: list[HeadlineTable]) -> str:
    """The legend, then the headline tables: the README's results block and the results page's main table."""
    if not columns:  # records of settings that share stories only (cross_lingual_same_story alone)
        return ("No record holds a story-disjoint evaluation, so there is no headline table; the results page "
                "shows every evaluation.\n")
    return headline_legend(results, columns) + "\n" + headline_markdown(tables)


def headline_summary(results: Results, columns: dict[tuple[str, str, str], Column]) -> str:
    """The headline in words, one line per task: the models the marks put significantly above chance, and how
    large a difference the columns can detect. It claims nothing finer, so it cannot outrun the tables."""
    tasks = []
    for task in results.tasks:
        metric = results.metric_of(task)
        tested = [column for (of, _, shown), column in columns.items() if of == task and shown == metric]
        if not tested:
            continue
        mdes = sorted(column.mde.median for column in tested if column.mde)
        detectable = "n/a" if not mdes else " to ".join(dict.fromkeys(f"{mde:.3f}" for mde in (mdes[0], mdes[-1])))
        chance = {test.chance: test.mark for column in tested for test in column.tests}
        tasks.append((task, METRIC_NAMES.get(metric, metric), detectable, list(chance), "".join(chance.values()),
                      *chance_beaters(results, tested)))
    return render("headline_summary.md", tasks=tasks, alpha=ALPHA,
                  document_tests=any(column.documents_can_reach_alpha for column in columns.values()))


def chance_beaters(results: Results, tested: list[Column]) -> tuple[list[str], list[str]]:
    """The models significantly above every chance row of a column, with those columns, and the models above
    one chance row alone, in table order."""
    above_all, above_one = [], []
    for record in results.ranked:
        found = {results.column_label(column.evaluation): ({t.chance for t in column.tests if t.model == record.experiment
                                                           and t.above}, {t.chance for t in column.tests})
                 for column in tested}
        everywhere = [label for label, (above, rows) in found.items() if above and above == rows]
        if everywhere:
            above_all.append(f"{record.experiment} ({', '.join(everywhere)})")
        elif any(above for above, _ in found.values()):
            above_one.append(record.experiment)
    return above_all, above_one


def headline_of(results: Results) -> str:
    """The headline block of a set of records, for a reader of the records alone (the dataset card)."""
    columns = analyse(results)
    return headline_block(results, columns, headline_tables(results, columns))

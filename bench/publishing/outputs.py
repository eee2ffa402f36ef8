"""The outputs derived from the records, one registry of them all: tables, figures and pages.

Adding an output is one entry in `OUTPUTS`. Every output is rewritten from the records alone (and, for
the benchmark's own results, its corpus, gold and annotation passes), so a rerun writes the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..annotation.agreement import RoundAgreement, covering_passes
from ..data.alignment import Alignment
from ..data.corpus import Corpus
from ..data.labels import GoldChange, LabelRow
from ..data.schema import KIND_FIELD, Schema
from ..files import atomic_write
from . import figures, latex, pages, tables
from .headline import HeadlineTable, headline_tables
from .hub_configs import PARAGRAPHS, config_rows
from .parallel import parallel_story
from .prose import headline_block
from .records import Results
from .significance import Column, analyse


@dataclass(frozen=True)
class Benchmark:
    """The benchmark's own data, which the figures and pages of its results draw on besides the records."""

    corpus: Corpus
    gold: dict[str, LabelRow]
    schema: Schema
    passes: dict[str, dict[str, LabelRow]]
    alignments: dict[str, Alignment] = field(default_factory=dict)
    agreements: dict[str, RoundAgreement] = field(default_factory=dict)  # each round of labels' pass agreement
    changes: tuple[str, list[GoldChange]] = ("", [])  # the previous round, and the gold labels changed since


@dataclass
class Published:
    """What the outputs are derived from; `figures` collects the names drawn, for the page that shows them.

    `columns` holds each headline column's detectable differences and tests against chance, computed once;
    `tables` the headline tables built from them, and `headline` their legend and Markdown, which the results
    page and the README show.
    """

    records: Results
    curves: Results
    columns: dict[tuple[str, str, str], Column]
    benchmark: Benchmark | None = None
    figures: list[str] = field(default_factory=list)
    tables: list[HeadlineTable] = field(default_factory=list)
    headline: str = ""


def _label_distribution(p: Published):
    assert p.benchmark is not None
    schema = p.benchmark.schema
    rows = config_rows(p.benchmark.corpus, p.benchmark.gold, schema)[PARAGRAPHS]
    return figures.label_distribution(rows, {n: f.labels for n, f in schema.fields.items()})


def _confusion(task: str) -> Callable[[Published], object]:
    """The confusion figure of one task; None where no ranked record has it."""
    return lambda p: figures.confusion_figure(p.records, task)


def _results_page(p: Published) -> str:
    assert p.benchmark is not None
    body = {i for i, row in p.benchmark.gold.items() if row.labels[KIND_FIELD] == "body"}
    passes, left_out = covering_passes(p.benchmark.passes, body)  # no trial pass among them, as in the agreement
    human = pages.human_reference(p.records, passes, body, sorted(left_out))
    parallel = parallel_story(p.records, p.benchmark.alignments, p.benchmark.gold, p.benchmark.corpus)
    return pages.results_page(p.records, p.columns, headline=p.headline, full=tables.every_setting_tables(p.records),
                              documents=pages.document_intervals(p.records, p.records.headline_evaluations),
                              labels=pages.label_rounds(p.benchmark.agreements, *p.benchmark.changes),
                              parallel=parallel, human=human, figures=p.figures)


def _error_analysis(p: Published) -> str:
    assert p.benchmark is not None
    return pages.error_analysis(p.records, {x.id: x.text for x in p.benchmark.corpus.paragraphs})


@dataclass(frozen=True)
class Output:
    """One derived output: a text file, or a figure (written as PNG and PDF) when `figure` is set.

    `path` is relative to the results folder (a figure's without extension); outputs with `benchmark`
    set need the benchmark's own data and are not written for an external data set's results.
    """

    path: str
    render: Callable[[Published], object]
    benchmark: bool = False
    figure: bool = False


OUTPUTS: tuple[Output, ...] = (
    Output("tables/results.md", lambda p: tables.full_markdown(p.records)),
    Output("tables/results.csv", lambda p: tables.csv_table(p.records)),
    Output("tables/results.tex", lambda p: latex.latex_tables(p.tables)),
    Output("figures/label_distribution", _label_distribution, benchmark=True, figure=True),
    Output("figures/forest", lambda p: figures.forest_plot(p.records), True, True),
    *(Output(f"figures/confusion_{task}", _confusion(task), True, True) for task in figures.CONFUSION_TASKS),
    Output("figures/transfer_heatmap", lambda p: figures.transfer_heatmap(p.records), True, True),
    Output("figures/training_loss", lambda p: figures.training_loss(p.records), True, True),
    Output("figures/learning_curve", lambda p: figures.learning_curve(p.curves) if p.curves else None, True, True),
    Output("README.md", _results_page, benchmark=True),
    Output("errors.md", _error_analysis, benchmark=True),
)


def destinations(results_dir: Path, benchmark: bool = True) -> list[Path]:
    """Every file a publication may write into the results folder, to check before anything is written."""
    found = []
    for output in OUTPUTS:
        if output.benchmark and not benchmark:
            continue
        target = results_dir / output.path
        found += [target.with_name(f"{target.name}.{e}") for e in figures.FORMATS] if output.figure else [target]
    return found


def text_outputs(benchmark: bool = True) -> list[str]:
    """The text files a publication writes: what the reproducibility gate compares."""
    return [o.path for o in OUTPUTS if not o.figure and (benchmark or not o.benchmark)]


def publish(results_dir: Path, records: Results, curves: Results, benchmark: Benchmark | None = None) -> Published:
    """Write every output that applies into the results folder; return what they were derived from, the headline
    tables with their legend and the columns' analyses among it, for the README's generated blocks."""
    columns = analyse(records)
    found = headline_tables(records, columns)
    published = Published(records, curves, columns, benchmark, tables=found,
                          headline=headline_block(records, columns, found))
    for output in OUTPUTS:
        if output.benchmark and benchmark is None:
            continue
        rendered = output.render(published)
        if rendered is None:
            continue
        if output.figure:
            folder, name = (results_dir / output.path).parent, Path(output.path).name
            figures.save(rendered, folder, name)
            published.figures.append(name)
        else:
            atomic_write(results_dir / output.path, str(rendered))
    return published

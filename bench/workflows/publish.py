"""Publishing after a run: every output from the records, and the README's generated blocks."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ..annotation.agreement import round_agreements
from ..data.alignment import load_alignments
from ..data.labels import changes_from_previous, load_annotations, load_gold
from ..evaluation.results import Record
from ..files import BenchError, check_destinations
from ..progress import report_written
from ..publishing.outputs import Benchmark, destinations, publish
from ..publishing.prose import headline_summary
from ..publishing.readme import block_span, results_block, update_readme
from ..publishing.records import Results, in_table_order, load_records
from ..publishing.tables import per_target_tables, reported_by_tables
from .project import RECORDS, Project


def existing_records(folder: Path) -> tuple[Results, Results]:
    """The result records and learning curves in FOLDER; an error when there is no result record."""
    records, curves = load_records(folder)
    if not records:
        raise BenchError("no result records; run `bench run` first", folder)
    return records, curves


def publication_files(project: Project, out: Path | None = None) -> list[Path]:
    """Every file a publication writes: the benchmark's outputs and its README, or an external run's tables."""
    return destinations(project.results) + [project.readme] if out is None else destinations(out, benchmark=False)


def places_written(project: Project, out: Path | None = None) -> list[Path]:
    """What a publication writes, for a command's closing line: each output's folder (tables/, figures/) or file
    (the results page), and the README where it has a results block."""
    folder = out or project.results
    places = []
    for path in publication_files(project, out):
        if path.is_relative_to(folder):
            places.append(folder / path.relative_to(folder).parts[0])
        elif block_span(path, "results") is not None:
            places.append(path)
    return list(dict.fromkeys(places))


def publish_benchmark(project: Project) -> str:
    """Regenerate every table, page and figure from the records; refresh the README's summary and results blocks."""
    check_destinations(publication_files(project))
    schema, corpus = project.schema(), project.corpus()
    records, curves = existing_records(project.records)
    passes = load_annotations(project.labels, schema, corpus)
    agreements = round_agreements(project.labels, corpus)
    benchmark = Benchmark(corpus, load_gold(project.labels, schema, corpus), schema, passes,
                          load_alignments(project.labels, corpus), agreements,
                          changes_from_previous(project.labels, schema, corpus))
    published = publish(project.results, records, curves, benchmark)
    update_readme(project.readme, "summary", headline_summary(published.records, published.columns))
    update_readme(project.readme, "results", results_block(published.headline, agreements))
    return published.headline


def publish_external(out: Path, baselines: Sequence[Record] = ()) -> str:
    """The tables of the records in OUT/records, with the committed `baselines` beside them (read, never copied),
    written to OUT/tables; the benchmark's pages stay untouched.

    Returns the headline tables, then each target's scores where a data set has several targets, then the
    scores per value of each column a config reports by (`report_by`)."""
    check_destinations(destinations(out, benchmark=False))
    records = Results(in_table_order([*existing_records(out / RECORDS)[0], *baselines]))
    return publish(out, records, Results([])).headline + per_target_tables(records) + reported_by_tables(records)


def report(project: Project) -> int:
    """Regenerate everything derived from the benchmark's records."""
    print(publish_benchmark(project), end="")
    report_written(places_written(project))
    return 0

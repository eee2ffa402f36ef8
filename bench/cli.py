"""The `bench` command: a thin layer over the stages. Heavy libraries are imported only by the command that needs them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .files import BenchError


class Project:
    """Where a checkout keeps each stage's files."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.seeds = self.root / "seeds"
        self.labels = self.root / "labels"
        self.guidelines = self.labels / "GUIDELINES.md"
        self.experiments = self.root / "experiments"
        self.readme = self.root / "README.md"

    def corpus(self):
        from .corpus import load_corpus
        return load_corpus(self.seeds)

    def schema(self):
        from .schema import load_schema
        return load_schema(self.guidelines)


def command_corpus(project: Project, args) -> int:
    corpus = project.corpus()
    print("| doc | file | language | date | story | paragraphs |\n|---|---|---|---|---|---|")
    for d in corpus.documents:
        count = sum(p.doc == d.doc for p in corpus.paragraphs)
        print(f"| {d.doc} | {d.file} | {d.language} | {d.date or 'n/a'} | {d.story} | {count} |")
    print(f"\n{len(corpus.paragraphs)} paragraphs in {len(corpus.documents)} documents")
    report_duplicates(corpus)
    return 0


def report_duplicates(corpus) -> None:
    for group in corpus.duplicates():
        print(f"duplicate: paragraphs {', '.join(group)} have identical text")


def command_validate(project: Project, args) -> int:
    from .labels import validate
    corpus = project.corpus()
    problems = validate(project.labels, project.schema(), corpus)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    report_duplicates(corpus)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"ok: {len(corpus.paragraphs)} paragraphs, gold and annotations valid")
    return 0


def command_agreement(project: Project, args) -> int:
    from .labels import agreement, load_annotations
    from .reports import agreement_table
    schema, corpus = project.schema(), project.corpus()
    passes = load_annotations(project.labels, schema, corpus)
    if len(passes) < 2:
        raise BenchError("agreement needs at least two annotation files", project.labels / "annotations")
    print(agreement_table(agreement(passes, schema)), end="")
    return 0


def command_run(project: Project, args) -> int:
    from . import experiments, reports
    from .labels import agreement, load_annotations, load_gold, validate
    from .tasks import tasks_from_schema

    schema, corpus = project.schema(), project.corpus()
    problems = validate(project.labels, schema, corpus)
    if problems:
        raise problems[0]
    gold = load_gold(project.labels, schema, corpus)
    paths = [Path(p) for p in args.configs] or experiments.config_paths(project.experiments, args.all)
    if not paths:
        raise BenchError("no experiment configs (*.yaml)", project.experiments)
    tasks = tasks_from_schema(schema)
    known = experiments.known_names(tasks, schema.fields["kind"].labels)
    configs = [experiments.load_config(path, known) for path in paths]
    for config in configs:
        print(f"running {config.name} ({config.model}, seeds {list(config.seeds)})", file=sys.stderr)
        origin = experiments.provenance(project.root, corpus, project.labels, config)
        results = experiments.run_experiment(config, tasks, corpus, gold)
        experiments.write_record(project.experiments, config, results, origin)
    records = reports.load_records(project.experiments / experiments.RECORDS)
    reports.write_tables(project.experiments, records)
    passes = load_annotations(project.labels, schema, corpus)
    block = reports.main_tables(records)
    if len(passes) >= 2:
        block += "\n**Annotator agreement** (two blind passes, before adjudication)\n\n" + reports.agreement_table(
            agreement(passes, schema))
    reports.update_readme(project.readme, "results", block)
    print(reports.main_tables(records), end="")
    return 0


def command_perf(project: Project, args) -> int:
    from . import performance, reports
    result = performance.run_benchmarks(project.root, args.repeats, not args.no_fine_tuning)
    performance.write_performance(project.experiments, result)
    table = performance.performance_table(result)
    reports.update_readme(project.readme, "performance", table)
    print(table, end="")
    return 0


def release_inputs(project: Project):
    """What the release is made of: corpus, gold, scheme, the latest records and the agreement figures."""
    from . import experiments, reports
    from .labels import agreement, load_annotations, load_gold, validate
    schema, corpus = project.schema(), project.corpus()
    problems = validate(project.labels, schema, corpus)
    if problems:
        raise problems[0]
    records = reports.load_records(project.experiments / experiments.RECORDS)
    return (corpus, load_gold(project.labels, schema, corpus), schema, records,
            agreement(load_annotations(project.labels, schema, corpus), schema))


def command_export_hf(project: Project, args) -> int:
    from .release import export
    for path in export(Path(args.out), *release_inputs(project)):
        print(path)
    return 0


def command_push_hf(project: Project, args) -> int:
    import tempfile

    from .experiments import git
    from .release import export, push, release_files
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.folder) if args.folder else Path(scratch) / "release"
        if not args.folder:
            export(folder, *release_inputs(project))
        files = release_files(folder)
        if not files:
            raise BenchError("nothing to upload", folder)
        if args.dry_run:
            print(f"would upload to dataset {args.repo_id}{' (private)' if args.private else ''}:")
            for path in files:
                print(f"  {path.relative_to(folder)} ({path.stat().st_size} bytes)")
            return 0
        print(push(folder, args.repo_id, args.private, git(project.root, "rev-parse", "HEAD") or "unknown"))
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="bench", description=(
        "Topic and stance benchmark on Dutch and English news about Russian deserters and defectors."))
    main.add_argument("--root", default=".", help="the benchmark checkout (default: the current folder)")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("corpus", help="list the documents, paragraph counts and duplicate paragraphs")
    commands.add_parser("validate", help="check gold and annotations against the corpus and the label scheme")
    commands.add_parser("agreement", help="inter-annotator agreement per field (Cohen's kappa, Krippendorff's alpha)")
    run = commands.add_parser("run", help="run experiments, write records and tables")
    run.add_argument("configs", nargs="*", metavar="CONFIG", help="experiment configs (default: experiments/*.yaml)")
    run.add_argument("--all", action="store_true", help="also run the fine-tuning experiments in experiments/finetune/")
    export_hf = commands.add_parser("export-hf", help="write the Hugging Face dataset folder (Parquet and card)")
    export_hf.add_argument("out", help="the folder to write; an earlier export there is replaced")
    push_hf = commands.add_parser("push-hf", help="upload the dataset to the Hugging Face Hub in one commit")
    push_hf.add_argument("repo_id", help="the dataset repository, e.g. user/deserter-bench")
    push_hf.add_argument("--private", action="store_true", help="create the repository as private")
    push_hf.add_argument("--dry-run", action="store_true", help="list what would be uploaded; use no network")
    push_hf.add_argument("--folder", help="upload this export instead of a fresh one")
    perf = commands.add_parser("perf", help="measure wall time and peak memory of the commands; update the README")
    perf.add_argument("--repeats", type=int, default=3, help="runs per quick command (default: 3)")
    perf.add_argument("--no-fine-tuning", action="store_true", help="skip timing the slow fine-tuning run")
    return main


COMMANDS = {"corpus": command_corpus, "validate": command_validate, "agreement": command_agreement,
            "run": command_run, "perf": command_perf, "export-hf": command_export_hf,
            "push-hf": command_push_hf}


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](Project(args.root), args)
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

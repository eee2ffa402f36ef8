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

    def annotation_log(self, annotator: str) -> Path:
        """An annotator's append-only label file; the id becomes a file name, so it is kept plain."""
        if not annotator or not annotator.replace("-", "").replace("_", "").isalnum():
            raise BenchError(f"annotator id {annotator!r} must be letters, digits, '-' or '_'")
        return self.labels / "annotations" / f"{annotator}.jsonl"

    def valid_gold(self, schema, corpus):
        """Gold labels, after checking every label file; experiments and releases need complete, clean labels."""
        from .labels import load_gold, validate
        problems = validate(self.labels, schema, corpus)
        if problems:
            raise problems[0]
        return load_gold(self.labels, schema, corpus)

    def corpus(self):
        from .corpus import load_corpus
        return load_corpus(self.seeds)

    def schema(self):
        from .schema import load_schema
        if not self.guidelines.exists():
            raise BenchError(f"not found, so {self.root.resolve()} is not a benchmark checkout; run bench from "
                             "the checkout or pass --root", self.guidelines)
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
    from .labels import agreement, disputes, load_annotations
    from .reports import agreement_table, confusion_tables
    schema, corpus = project.schema(), project.corpus()
    passes = load_annotations(project.labels, schema, corpus)
    if len(passes) < 2:
        raise BenchError("agreement needs at least two annotation files", project.labels / "annotations")
    result = agreement(passes, schema)
    print(agreement_table(result))
    print(confusion_tables(result, {name: f.labels for name, f in schema.fields.items()}))
    found = disputes(passes, schema, corpus)
    print(f"{len(found)} disputed label(s)")
    for item in found:
        print(f"- {item['id']} {item['field']}: " + ", ".join(f"{a}={label}" for a, label in item["labels"].items()))
    return 0


def command_label(project: Project, args) -> int:
    from .labelling import Session, terminal_keys
    from .labels import read_label_file
    from .files import read_text
    schema, corpus = project.schema(), project.corpus()
    path = project.annotation_log(args.annotator)
    done = set()
    if path.exists():
        log = read_label_file(path, schema, corpus, revisions=True)
        done = {row.id for row in log.rows}
    session = Session(corpus, schema, path, read_text(project.guidelines), terminal_keys(),
                      lambda text: (sys.stdout.write(text), sys.stdout.flush()), done)
    saved = session.run(args.doc)
    print(f"{saved} paragraph(s) saved to {path}")
    return 0


def command_labelstudio_export(project: Project, args) -> int:
    from . import experiments
    from .files import atomic_write, dump_json
    from .labels import load_gold
    from .labelstudio import export_tasks, labelling_config
    from .tasks import tasks_from_schema
    schema, corpus = project.schema(), project.corpus()
    gold = load_gold(project.labels, schema, corpus)
    ids = [p.id for p in corpus.paragraphs if args.all or p.id not in gold]
    predictions, version = None, ""
    if args.predict:
        config = experiments.load_config(Path(args.predict))
        predictions = experiments.predict_unlabelled(config, tasks_from_schema(schema), corpus, gold, ids)
        version = f"{config.name} trained on {len(gold)} gold paragraphs"
    out = Path(args.out)
    config_path = Path(args.config) if args.config else out.with_suffix(".xml")
    atomic_write(out, dump_json(export_tasks(corpus, schema, ids, predictions, version)))
    atomic_write(config_path, labelling_config(schema))
    print(f"{len(ids)} task(s) written to {out}; labelling config in {config_path}")
    return 0


def command_labelstudio_import(project: Project, args) -> int:
    from .files import append_jsonl
    from .labelstudio import import_annotations
    schema, corpus = project.schema(), project.corpus()
    path = project.annotation_log(args.annotator)
    rows = import_annotations(Path(args.export), corpus, schema)
    for row in rows:
        append_jsonl(path, row)
    print(f"{len(rows)} annotation(s) from {args.export} appended to {path}")
    return 0


def command_adjudicate(project: Project, args) -> int:
    from .files import append_jsonl
    from .labels import GOLD, adjudicate, load_annotations, load_gold, resolve
    schema, corpus = project.schema(), project.corpus()
    gold_path = project.labels / GOLD
    gold_ids = set(load_gold(project.labels, schema, corpus))
    proposed, conflicts = adjudicate(load_annotations(project.labels, schema, corpus), gold_ids, schema, corpus,
                                     args.min_annotators)
    if args.resolve:
        if args.resolve in gold_ids:
            raise BenchError(f"{args.resolve} already has a gold label; it is never overwritten", gold_path)
        conflict = next((c for c in conflicts if c["id"] == args.resolve), None)
        if conflict is None:
            raise BenchError(f"{args.resolve} is not in dispute (see `bench adjudicate`)")
        malformed = [choice for choice in args.set if "=" not in choice]
        if malformed:
            raise BenchError(f"--set takes FIELD=LABEL, not {malformed[0]!r}")
        choices = dict(choice.split("=", 1) for choice in args.set)
        append_jsonl(gold_path, resolve(conflict, choices, args.reason or "", schema))
        print(f"resolved {args.resolve} into {gold_path}")
        return 0
    for row in proposed:
        append_jsonl(gold_path, row)
    print(f"{len(proposed)} paragraph(s) where the annotators agree added to {gold_path}")
    print(f"{len(conflicts)} paragraph(s) in conflict")
    paragraphs = corpus.by_id()
    for conflict in conflicts:
        print(f"\n{conflict['id']}: {' '.join(paragraphs[conflict['id']].text.split())[:200]}")
        for name, given in conflict["disputed"].items():
            print(f"  {name}: " + ", ".join(f"{a}={label}" for a, label in given.items()))
        print(f"  resolve: bench adjudicate --resolve {conflict['id']} "
              + " ".join(f"--set {name}=LABEL" for name in conflict["disputed"]) + ' --reason "..."')
    return 0


def command_run(project: Project, args) -> int:
    if args.check:
        return check_reproducible(project, args)
    from . import experiments
    paths = [Path(p) for p in args.configs] or experiments.config_paths(project.experiments, args.all)
    out = Path(args.out) if args.out else None
    run_experiments(project, paths, args.jobs, args.backend, out)
    print(publish(project) if out is None else publish_tables(out), end="")
    return 0


def run_experiments(project: Project, paths: list[Path], jobs: int = 1, backend: str = "loky",
                    out: Path | None = None) -> None:
    """Check every config and read all their data first, then run them and write each record as it completes.

    Records go to experiments/results/records/, or to OUT/records/ with --out; experiments on an external
    data set always go to their own folder, so they never mix with the benchmark's tables.
    """
    from . import experiments
    from .files import ensure_writable
    from .tasks import tasks_from_schema

    if not paths:
        raise BenchError("no experiment configs (*.yaml)", project.experiments)
    schema = project.schema()
    tasks = tasks_from_schema(schema)
    known = experiments.known_names(tasks, schema.fields["kind"].labels)
    configs = [experiments.load_config(path, known) for path in paths]
    external = [path for path, config in zip(paths, configs) if config.dataset is not None]
    if external and out is None:
        raise BenchError("an experiment on an external data set needs --out FOLDER, so that its results stay "
                         "apart from the benchmark's", external[0])
    corpus = gold = benchmark_hash = None
    if len(external) < len(configs):
        corpus = project.corpus()
        gold = project.valid_gold(schema, corpus)
        benchmark_hash = experiments.benchmark_sha256(corpus, project.labels)
    plans = []
    for path, config in zip(paths, configs):
        try:
            plans.append(experiments.plan(config, tasks, corpus, gold, benchmark_hash))
        except BenchError as err:
            raise (err if err.path else BenchError(f"{config.name}: {err.message}", path)) from None
        if plans[-1].dataset:
            summary = plans[-1].dataset
            print(f"note: {config.dataset.path}: {summary['rows']} rows, {summary['duplicate_texts']} text(s) "
                  f"occurring more than once, {summary['texts_in_train_and_test']} text(s) in both the given train "
                  f"and test split, {summary['groups_in_several_languages']} group(s) with rows in several languages "
                  "(cross_lingual trains on one language's rows and tests on another's)", file=sys.stderr)

    records_dir = (out or project.experiments / experiments.RESULTS) / "records"
    ensure_writable(records_dir)

    def finished(plan, results):
        origin = experiments.provenance(project.root, plan.data_sha256, plan.config)
        path = experiments.write_record(records_dir, plan.config, results, origin, plan.dataset)
        print(f"finished {plan.config.name} ({plan.config.model}, seeds {list(plan.config.seeds)}): {path}",
              file=sys.stderr)

    experiments.run_plans(plans, jobs, backend, finished)


def publish_tables(out: Path) -> str:
    """The tables of the records in OUT/records, written to OUT/tables; the benchmark's pages stay untouched."""
    from . import reports
    return reports.publish_tables(out / "tables", existing_records(out / "records")[0])[1]


def existing_records(folder: Path) -> tuple[list[dict], list[dict]]:
    """The result records and learning curves in FOLDER; an error when there is no result record."""
    from . import reports
    records, curves = reports.load_records(folder)
    if not records:
        raise BenchError("no result records; run `bench run` first", folder)
    return records, curves


CHECKED = ("README.md", "errors.md", "tables/results.md", "tables/results.csv", "tables/results.tex")


def check_reproducible(project: Project, args) -> int:
    """Rerun the default experiments in a scratch copy beside the committed records; diff the derived text."""
    import difflib
    import shutil
    import tempfile

    from . import experiments
    from .performance import scratch_copy
    with tempfile.TemporaryDirectory() as folder:
        scratch = Project(folder)
        scratch_copy(project.root, scratch.root)
        shutil.copytree(project.experiments / experiments.RECORDS, scratch.experiments / experiments.RECORDS)
        paths = [scratch.experiments / Path(p).relative_to(project.experiments) for p in args.configs] or \
            experiments.config_paths(scratch.experiments)
        run_experiments(scratch, paths, args.jobs, args.backend)
        publish(scratch)
        differences = []
        for name in CHECKED:
            committed, fresh = project.experiments / "results" / name, scratch.experiments / "results" / name
            old = committed.read_text(encoding="utf-8").splitlines(keepends=True) if committed.exists() else []
            new = fresh.read_text(encoding="utf-8").splitlines(keepends=True)
            differences += difflib.unified_diff(old, new, f"committed/{name}", f"rerun/{name}")
    if differences:
        sys.stdout.writelines(differences)
        print(f"\nerror: the rerun differs from the committed results ({len(paths)} experiment(s) rerun)",
              file=sys.stderr)
        return 1
    print(f"ok: {len(paths)} experiment(s) rerun; the committed tables are reproduced exactly")
    return 0


def publish(project: Project) -> str:
    """Regenerate every table, page and figure from the records; refresh the README's results block."""
    from . import experiments, reports
    from .labels import agreement, load_annotations, load_gold
    schema, corpus = project.schema(), project.corpus()
    records, curves = existing_records(project.experiments / experiments.RECORDS)
    passes = load_annotations(project.labels, schema, corpus)
    tables = reports.publish(project.experiments, records, curves, passes, corpus,
                             load_gold(project.labels, schema, corpus), schema)
    block = tables
    if len(passes) >= 2:
        block += "\n**Annotator agreement** (two blind passes, before adjudication)\n\n" + reports.agreement_table(
            agreement(passes, schema))
    reports.update_readme(project.readme, "results", block)
    return tables


def command_report(project: Project, args) -> int:
    print(publish(project), end="")
    return 0


def command_perf(project: Project, args) -> int:
    """Measure the commands, the scale benchmark or both; a part not measured keeps its earlier figures."""
    from . import performance, reports
    result = performance.read_performance(project.experiments)
    if not args.scale_only:
        result.update(performance.run_benchmarks(project.root, args.repeats, not args.no_fine_tuning))
    if not args.no_scale:
        result["scale"] = performance.run_scale(project.root, args.sizes or performance.SCALE_SIZES, args.jobs)
    performance.write_performance(project.experiments, result)
    table = performance.performance_tables(result)
    reports.update_readme(project.readme, "performance", table)
    print(table, end="")
    return 0


def release_inputs(project: Project):
    """What the release is made of: corpus, gold, scheme, the latest records and the agreement figures."""
    from . import experiments, reports
    from .labels import agreement, load_annotations
    schema, corpus = project.schema(), project.corpus()
    records = reports.load_records(project.experiments / experiments.RECORDS)[0]
    return (corpus, project.valid_gold(schema, corpus), schema, records,
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
    label = commands.add_parser("label", help="label paragraphs in the terminal, saving each one at once")
    label.add_argument("--annotator", required=True, help="your annotator id, e.g. a3")
    label.add_argument("--doc", action="append", help="only this document (repeatable)")
    adjudicate = commands.add_parser("adjudicate", help="add agreed labels to gold and list the conflicts")
    adjudicate.add_argument("--min-annotators", type=int, default=2, help="passes needed (default: 2)")
    adjudicate.add_argument("--resolve", metavar="ID", help="resolve one conflict into gold")
    adjudicate.add_argument("--set", action="append", default=[], metavar="FIELD=LABEL",
                            help="with --resolve: the chosen label of a disputed field (repeatable)")
    adjudicate.add_argument("--reason", help="with --resolve: a one-line reason for the decision")
    ls_export = commands.add_parser("labelstudio-export", help="Label Studio tasks (JSON) and labelling config (XML)")
    ls_export.add_argument("out", help="the tasks file to write, e.g. tasks.json")
    ls_export.add_argument("--config", help="the labelling config to write (default: OUT with .xml)")
    ls_export.add_argument("--all", action="store_true", help="every paragraph, not only those without gold")
    ls_export.add_argument("--predict", metavar="CONFIG", help="pre-annotate with this experiment's model")
    ls_import = commands.add_parser("labelstudio-import", help="add a Label Studio JSON export to an annotator's labels")
    ls_import.add_argument("export", help="the JSON file exported from Label Studio")
    ls_import.add_argument("--annotator", required=True, help="whose labels they are, e.g. a3")
    run = commands.add_parser("run", help="run experiments, write records and tables")
    run.add_argument("configs", nargs="*", metavar="CONFIG", help="experiment configs (default: experiments/*.yaml)")
    run.add_argument("--all", action="store_true", help="also run the fine-tuning experiments in experiments/finetune/")
    run.add_argument("--out", metavar="FOLDER",
                     help="write records and tables here instead of experiments/results (needed for external data)")
    run.add_argument("--jobs", type=int, default=1, metavar="N", help="run evaluations in N parallel jobs (default: 1)")
    run.add_argument("--backend", default="loky", metavar="NAME",
                     help="joblib backend: loky (default), threading, or ray or dask on a cluster "
                          "(needs the ray or dask[distributed] package)")
    run.add_argument("--check", action="store_true",
                     help="rerun the (default) experiments in a scratch copy and fail with a diff if the committed "
                          "tables differ; nothing in the checkout changes")
    export_hf = commands.add_parser("export-hf", help="write the Hugging Face dataset folder (Parquet and card)")
    export_hf.add_argument("out", help="the folder to write; an earlier export there is replaced")
    push_hf = commands.add_parser("push-hf", help="upload the dataset to the Hugging Face Hub in one commit")
    push_hf.add_argument("repo_id", help="the dataset repository, e.g. user/deserter-bench")
    push_hf.add_argument("--private", action="store_true", help="create the repository as private")
    push_hf.add_argument("--dry-run", action="store_true", help="list what would be uploaded; use no network")
    push_hf.add_argument("--folder", help="upload this export instead of a fresh one")
    commands.add_parser("report", help="regenerate tables, results page, error analysis and figures from the records")
    perf = commands.add_parser("perf", help="measure wall time and peak memory of the commands; update the README")
    perf.add_argument("--repeats", type=int, default=3, help="runs per quick command (default: 3)")
    perf.add_argument("--no-fine-tuning", action="store_true", help="skip timing the slow fine-tuning run")
    perf.add_argument("--no-scale", action="store_true", help="skip the scale benchmark on synthetic corpora")
    perf.add_argument("--scale-only", action="store_true", help="only the scale benchmark")
    perf.add_argument("--sizes", type=int, nargs="+", metavar="N",
                      help="synthetic corpus sizes in paragraphs (default: 1000 10000 100000)")
    perf.add_argument("--jobs", type=int, default=2, metavar="N", help="jobs for the scale experiment (default: 2)")
    return main


COMMANDS = {"corpus": command_corpus, "validate": command_validate, "agreement": command_agreement,
            "run": command_run, "perf": command_perf, "export-hf": command_export_hf,
            "push-hf": command_push_hf, "label": command_label, "adjudicate": command_adjudicate,
            "labelstudio-export": command_labelstudio_export, "labelstudio-import": command_labelstudio_import,
            "report": command_report}


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

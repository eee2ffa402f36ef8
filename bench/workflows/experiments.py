"""Running experiments: check every config and read its data, run, write each record, then publish."""

from __future__ import annotations

import difflib
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..evaluation.config import known_names, load_config
from ..evaluation.provenance import benchmark_sha256, provenance, stale_records
from ..evaluation.results import Record, Result
from ..evaluation.runner import Plan, check_jobs, fold_count, joblib_backend, plan, run_plans
from ..evaluation.settings import split
from ..evaluation.tasks import tasks_from_schema
from ..files import BenchError, check_destinations
from ..progress import Progress, report_written
from ..publishing.outputs import text_outputs
from ..publishing.records import load_records, write_record
from .baselines import committed_baselines
from .project import RECORDS, Project, scratch_copy
from .publish import places_written, publication_files, publish_benchmark, publish_external


def run(project: Project, configs: Sequence[str] = (), *, include_fine_tuning: bool = False, out: str | None = None,
        jobs: int = 1, backend: str = "loky", check: bool = False, baselines: bool = True) -> int:
    """`bench run`: run the experiments and publish, or, with `check`, rerun them and compare.

    With `out`, the tables there also show the checkout's committed records as baselines, unless `baselines` is
    False (see workflows/baselines.py)."""
    check_jobs(jobs, backend)  # before anything is read or written, a scratch copy for `check` included
    if not baselines and (out is None or check):
        raise BenchError("--no-baselines goes with --out: without it a run writes the benchmark's own records, "
                         "which are the baselines")
    if check:
        return check_reproducible(project, configs, jobs, backend)
    gpu = include_fine_tuning and not configs and gpu_present()
    paths = [Path(p) for p in configs] or project.config_paths(include_fine_tuning, gpu)
    if include_fine_tuning and not configs and not gpu:
        for path in project.gpu_config_paths():
            print(f"note: {path.relative_to(project.root)} needs a GPU and none is present: skipped; its committed "
                  "record, if any, stays in the tables", file=sys.stderr)
    folder = Path(out) if out else None
    compared = run_experiments(project, paths, jobs, backend, folder, baselines=baselines)
    print(publish_benchmark(project) if folder is None else publish_external(folder, compared), end="")
    report_written([(folder or project.results) / RECORDS, *places_written(project, folder)])
    return 0


def gpu_present() -> bool:
    """Whether torch sees a CUDA device (False without torch)."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def plan_experiments(project: Project, paths: list[Path], out: Path | None = None) -> list[Plan]:
    """Every config checked and its data read, before any experiment runs; an error names the file and line."""
    if not paths:
        raise BenchError("no experiment configs (*.yaml)", project.experiments)
    schema = project.schema()
    tasks = tasks_from_schema(schema)
    known = known_names(tasks, schema.fields["kind"].labels)
    configs = [load_config(path, known) for path in paths]
    named: dict[str, Path] = {}
    for path, config in zip(paths, configs):
        if config.name in named:
            raise BenchError(f"experiment name {config.name!r} is also the name of {named[config.name]}; each "
                             "experiment's record is its name, so names must differ", path)
        named[config.name] = path
    external = [path for path, config in zip(paths, configs) if config.dataset is not None]
    if external and out is None:
        raise BenchError("an experiment on an external data set needs --out FOLDER, so that its results stay "
                         "apart from the benchmark's", external[0])
    corpus = gold = benchmark_hash = None
    if len(external) < len(configs):
        corpus = project.corpus()
        gold = project.valid_gold(schema, corpus)
        benchmark_hash = benchmark_sha256(corpus, project.labels)
    plans = []
    for path, config in zip(paths, configs):
        try:
            plans.append(plan(config, tasks, corpus, gold, benchmark_hash))
        except BenchError as err:
            raise (err if err.path else BenchError(f"{config.name}: {err.message}", path)) from None
        if plans[-1].dataset and config.dataset is not None:
            summary = plans[-1].dataset
            print(f"note: {config.dataset.path}: {summary['rows']} rows, {summary['duplicate_texts']} text(s) "
                  f"occurring more than once, {summary['texts_in_train_and_test']} text(s) in both the given train "
                  f"and test split, {summary['groups_in_several_languages']} group(s) with rows in several languages "
                  "(cross_lingual trains on one language's rows and tests on another's)"
                  + (f"; {summary['rows_of_other_languages']} row(s) of other languages left out"
                     if "rows_of_other_languages" in summary else ""), file=sys.stderr)
    return plans


def run_experiments(project: Project, paths: list[Path], jobs: int = 1, backend: str = "loky",
                    out: Path | None = None, *, baselines: bool = False) -> list[Record]:
    """Check every config and read all their data first, then run them and write each record as it completes.

    Records go to experiments/results/records/, or to OUT/records/ with --out; experiments on an external
    data set always go to their own folder, so they never mix with the benchmark's tables. With `out` and
    `baselines`, returns the committed records that OUT's tables compare with, checked comparable before the run.
    """
    plans = plan_experiments(project, paths, out)
    records_dir = (out or project.results) / RECORDS
    compared = committed_baselines(project, plans, out) if out is not None and baselines else []
    check_comparable(plans, paths, records_dir, compared, project.records)
    inside = out or project.root  # no write may leave it through a symbolic link
    check_destinations([*(records_dir / f"{p.config.name}.json" for p in plans), *publication_files(project, out)],
                       inside)
    joblib_backend(backend)  # join a cluster now, so that an unreachable one fails before anything is written

    def finished(done: Plan, results: list[Result]) -> None:
        origin = provenance(project.root, done.data_sha256, done.config)
        write_record(records_dir, done.config, results, origin, done.dataset, inside=inside,
                     current=lambda old: stale_records(project.root, [old]) == [])

    with Progress(len(plans), "folds", unit="fit", total=fold_count(plans), noun="experiments") as progress:
        run_plans(plans, jobs, backend, finished, progress)
    return compared


def check_comparable(plans: list[Plan], paths: list[Path], records_dir: Path, baselines: Sequence[Record] = (),
                     baselines_dir: Path | None = None) -> None:
    """Refuse experiments that would share a table column on different rows, before any is run.

    The tables and the significance tests pair the records' predictions row by row, by id, so every record
    published together (this run's, those already in the records folder that it does not replace, and the
    committed `baselines` from `baselines_dir`) must test the same rows in each evaluation of a task they share,
    and one data set name must name one data set.
    """
    data: dict[str, tuple[str, Path]] = {}
    tested: dict[tuple[str, str], Tested] = {}
    for found, path in zip(plans, paths):
        for task, examples, evaluation, _ in found.units:
            hashed, first = data.setdefault(task.name, (found.data_sha256, path))
            if hashed != found.data_sha256:
                raise BenchError(f"the data set name {task.name!r} also names the data of {first}, which is another "
                                 "data set (its hash differs); give one of them a `dataset.name` of its own", path)
            ids = frozenset(e.id for fold in evaluation.folds for e in split(examples, fold)[1])
            compare_tested(tested, (task.name, evaluation.name), Tested(ids, path, True))
    running = {found.config.name for found in plans}
    kept = [(record, records_dir, False) for part in (load_records(records_dir) if records_dir.is_dir() else ())
            for record in part if record.experiment not in running]  # a record of a name this run has is replaced
    for record, folder, baseline in [*kept, *((record, baselines_dir or records_dir, True) for record in baselines)]:
        for result in record.results:
            compare_tested(tested, (result.task, result.evaluation), Tested(
                frozenset(p.id for p in result.predictions), folder / f"{record.experiment}.json", False, baseline))


@dataclass(frozen=True)
class Tested:
    """The rows one experiment tests in one evaluation, and its config (of this run) or its record."""

    ids: frozenset[str]
    path: Path
    config: bool
    baseline: bool = False  # a committed record that an --out run's tables compare with


def compare_tested(tested: dict[tuple[str, str], Tested], cell: tuple[str, str], new: Tested) -> None:
    """Remember the rows an experiment tests in a (task, evaluation), or refuse other rows than an earlier one's;
    the error names the config of this run where there is one."""
    first = tested.setdefault(cell, new)
    if first.ids != new.ids:
        here, other = (new, first) if new.config or not first.config else (first, new)
        advice = ("leave the committed baselines out with --no-baselines" if here.baseline or other.baseline else
                  "give an external data set its own `dataset.name`, or write to another --out folder")
        raise BenchError(f"{' '.join(cell)} tests {len(here.ids)} rows here and {len(other.ids)} other ones in "
                         f"{other.path}; experiments published together must test the same rows in each evaluation "
                         f"they share ({advice})", here.path)


def check_reproducible(project: Project, configs: Sequence[str] = (), jobs: int = 1, backend: str = "loky") -> int:
    """Check that the committed records are made from the current code and data, then rerun the default
    experiments in a scratch copy beside them and diff the derived text."""
    gpu_only = {path.stem for path in project.gpu_config_paths()}
    slow = {path.stem: path.relative_to(project.root) for path in project.slow_config_paths()}
    records = [r for part in load_records(project.records) for r in part]
    stale = stale_records(project.root, [r for r in records if r.experiment not in project.kept_experiments()])
    for record in records:
        origin = record.provenance
        if record.experiment in gpu_only:
            print(f"note: {record.experiment} ran on a GPU ({origin.get('device', {}).get('name', '?')}) at commit "
                  f"{origin.get('commit', '?')[:12]}; it is not rerun here", file=sys.stderr)
        elif record.experiment in slow:
            print(f"note: {record.experiment} ran once, at commit {origin.get('commit', '?')[:12]} (`bench run "
                  f"{slow[record.experiment]}`); it is not rerun here", file=sys.stderr)
    if stale is None:
        print("note: not a git checkout, so whether the records are current is not checked", file=sys.stderr)
    elif stale:
        for problem in stale:
            print(f"error: {problem}", file=sys.stderr)
        print("error: the committed records are not current; run `make run` and commit the records", file=sys.stderr)
        return 1

    if not project.records.is_dir():
        raise BenchError("no committed records to check; run `make run` first", project.records)
    inside = [checkout_config(project, p) for p in configs]
    remove_abandoned_scratch()
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as folder:
        scratch = scratch_copy(project.root, Path(folder))
        shutil.copytree(project.records, scratch.records)
        paths = [scratch.experiments / p for p in inside] or scratch.config_paths()
        run_experiments(scratch, paths, jobs, backend)
        publish_benchmark(scratch)
        differences: list[str] = []
        for name in text_outputs():
            committed, fresh = project.results / name, scratch.results / name
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


SCRATCH_PREFIX = "bench-check-"  # then the process id, so a later check can tell an abandoned copy


def checkout_config(project: Project, config: str) -> Path:
    """A config's place inside the checkout's experiments folder: only those can be rerun in a scratch copy."""
    try:
        return Path(config).resolve().relative_to(project.experiments.resolve())
    except ValueError:
        raise BenchError("`run --check` reruns the checkout's own configs; this one is outside "
                         f"{project.experiments}", config) from None


def remove_abandoned_scratch() -> None:
    """Delete the scratch copies of checks whose process is gone (killed before it could clean up)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*-*"):
        owner = folder.name.removeprefix(SCRATCH_PREFIX).split("-")[0]
        if owner.isdigit() and not process_alive(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def inner_check(project: Project, config_path: str, setting: str = "leave_one_story_out", seeds: Sequence[int] = (0, 1, 2),
                out: str | None = None) -> int:
    """`bench inner-check`: the config's model against majority on the inner validation folds of one setting, seed
    by seed, never on a test fold; whether a model learns, measured where selection measures it."""
    import numpy as np

    from ..evaluation.runner import config_model, for_fold
    from ..evaluation.selection import select
    from ..evaluation.settings import split
    from ..files import atomic_write, dump_json

    check_inner_check(setting, seeds, out)
    found = plan_experiments(project, [Path(config_path)])[0]
    config = found.config
    if not config.grid:
        raise BenchError("the config has no `grid`, so there is no inner selection to check", config_path)
    units = [(task, examples, evaluation) for task, examples, evaluation, size in found.units
             if evaluation.setting == setting and size is None]
    if not units:
        runs = ", ".join(dict.fromkeys(evaluation.setting for _, _, evaluation, _ in found.units))
        raise BenchError(f"the config does not run the setting {setting!r} (it runs: {runs})", config_path)
    model, grid = config_model(config)
    rows = []
    steps = sum(len(evaluation.folds) for _, _, evaluation in units) * len(seeds)
    with Progress(steps, "selections", unit="selection") as progress:
        for task, examples, evaluation in units:
            for number, fold in enumerate(evaluation.folds):
                train = split(examples, fold)[0]
                for seed in seeds:
                    name = f"{task.name} {evaluation.name} fold {number} seed {seed}"
                    progress.start(name)
                    _, chosen = select(for_fold(model, config, task, evaluation, number, seed), grid, train,
                                       config.folds)
                    outcome = ""  # none where no inner split of the training side could be scored
                    if chosen.get("inner_macro_f1") is not None:
                        rows.append({"task": task.name, "evaluation": evaluation.name, "fold": number, "seed": seed,
                                     "chosen": chosen["chosen"], "inner_macro_f1": chosen["inner_macro_f1"],
                                     "majority_macro_f1": chosen["inner_majority_macro_f1"]})
                        outcome = (f"{chosen['inner_macro_f1']:.3f} (majority {chosen['inner_majority_macro_f1']:.3f}) "
                                   f"with {chosen['chosen']}")
                    progress.finish(name, outcome)
    print(f"| task | folds | seeds | {config.name} | majority | difference |\n|---|---|---|---|---|---|")
    for name in dict.fromkeys(r["task"] for r in rows):
        mine = [r for r in rows if r["task"] == name]
        by_seed = [np.mean([r["inner_macro_f1"] - r["majority_macro_f1"] for r in mine if r["seed"] == s])
                   for s in seeds]
        model_mean = np.mean([r["inner_macro_f1"] for r in mine])
        majority_mean = np.mean([r["majority_macro_f1"] for r in mine])
        print(f"| {name} | {len({r['fold'] for r in mine})} | {len(seeds)} | {model_mean:.3f} | {majority_mean:.3f} | "
              f"{model_mean - majority_mean:+.3f} (per seed {', '.join(f'{d:+.3f}' for d in by_seed)}) |")
    if out:
        atomic_write(Path(out), dump_json({"experiment": config.name, "setting": setting, "seeds": list(seeds),
                                           "rows": rows, "provenance": provenance(project.root, found.data_sha256,
                                                                                  config)}))
        report_written([Path(out)])
    return 0


def check_inner_check(setting: str, seeds: Sequence[int], out: str | None) -> None:
    """The setting, the seeds and the file to write, checked before the data is read and anything computed."""
    from ..evaluation.config import seed_value
    from ..evaluation.settings import SETTINGS
    from ..models.registry import MAX_SEED

    if setting not in SETTINGS:
        raise BenchError(f"unknown setting {setting!r} (known: {', '.join(SETTINGS)})")
    bad = [seed for seed in seeds if not seed_value(seed)]
    if bad:
        raise BenchError(f"--seeds must be integers from 0 to {MAX_SEED}; got {bad[0]}")
    if out:
        check_destinations([Path(out)])

"""Performance: wall time and peak memory of the bench commands, measured in fresh processes on a scratch copy."""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..data.synthetic import MULTITARGET_COLUMNS, PARAGRAPHS_PER_DOCUMENT, multitarget_rows, synthetic_project
from ..evaluation.runner import check_jobs
from ..files import BenchError, check_destinations
from ..progress import Progress, report_written
from ..publishing.performance import (
    ANALYSIS_ONCE,
    CLASSIFIER_FITS,
    PERFORMANCE,
    performance_tables,
    read_performance,
    write_performance,
)
from ..publishing.readme import update_readme
from .project import Project, scratch_copy


def measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """(seconds, peak MiB) of one command, measured by `measure_command` in a process of its own."""
    out = subprocess.run([sys.executable, "-m", f"{__package__}.measure_command", *command], capture_output=True,
                         text=True, env=env, check=False)
    if out.returncode:
        said = out.stderr.strip().splitlines()
        raise BenchError(f"`{' '.join(command)}` failed: {said[-1] if said else f'exit code {out.returncode}'}")
    seconds, kib = out.stdout.split()
    return float(seconds), int(kib) / 1024


def timed(progress: Progress, name: str, command: list[str], env: dict | None = None) -> tuple[float, float]:
    """`measure`, as one step of `progress` that shows what it measured."""
    progress.start(name)
    seconds, mib = measure(command, env)
    progress.finish(name, f"{seconds:.1f} s, {mib:.0f} MiB")
    return seconds, mib


BENCH = [sys.executable, "-m", "bench.cli"]  # the bench command under this interpreter


def run_benchmarks(root: Path, repeats: int = 3, fine_tuning: bool = True) -> dict:
    """Time each command in a scratch copy with an empty model cache: the first default run is cold."""
    rows = {}
    with tempfile.TemporaryDirectory() as scratch:
        scratch_copy(root, Path(scratch))
        env = dict(os.environ, BENCH_CACHE=str(Path(scratch) / "cache"))
        run = [*BENCH, "--root", scratch, "run"]
        commands = [
            ("bench --help", [*BENCH, "--help"], repeats),
            ("bench validate", [*BENCH, "--root", scratch, "validate"], repeats),
            ("bench run, cold cache (builds E5, encodes)", run, 1),
            ("bench run, warm cache", run, repeats),
            ("bench run --jobs 2, warm cache", [*run, "--jobs", "2"], repeats),
        ]
        if fine_tuning:
            commands.append(("bench run --all, warm cache (with fine-tuning)", [*run, "--all"], 1))
        with Progress(sum(times for _, _, times in commands), "commands", unit="run") as progress:
            for name, command, times in commands:
                runs = [timed(progress, name, command, env) for _ in range(times)]
                seconds = sorted(s for s, _ in runs)
                rows[name] = {"seconds_best": seconds[0], "seconds_median": seconds[len(seconds) // 2],
                              "peak_mib": max(m for _, m in runs), "repeats": times}
    return {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
            "commands": rows, "commands_memory": "pss"}


SCALE_SIZES = (1_000, 10_000, 100_000)
# Two synthetic documents, each its own story: the least from which leave_one_story_out makes folds whose training
# sides hold a whole document (ten paragraphs); with fewer, a training side may have a single class.
MIN_SCALE_SIZE = 2 * PARAGRAPHS_PER_DOCUMENT
SCALE_CONFIG = Path("experiments", "tfidf.yaml")
PER_TARGET_CONFIG = Path("experiments", "examples", "multitarget_svm_per_target.yaml")
SCALE_EXPERIMENT = {"settings": ["leave_one_story_out"], "folds": 5}
# The same experiment as the per-fold scikit-learn Pipeline: TfidfVectorizer analysing the texts at every fit.
NAIVE_PARAMS = {"features__word__shared_analysis": False, "features__char__shared_analysis": False}
PROFILE_SIZE = 10_000


def scale_config(root: Path, naive: bool = False) -> str:
    """The benchmark's TF-IDF experiment over all three tasks with its fixed parameters, in the leave_one_story_out
    setting with five grouped folds; `naive`: as the per-fold Pipeline that analyses the texts at every fit."""
    import yaml
    config = yaml.safe_load((root / SCALE_CONFIG).read_text(encoding="utf-8"))
    config["model"].pop("grid", None)
    config.update(SCALE_EXPERIMENT, description="The TF-IDF experiment on a synthetic corpus, for measuring scale.")
    if naive:
        config["model"]["params"] = {**config["model"].get("params", {}), **NAIVE_PARAMS}
    return yaml.safe_dump(config, sort_keys=True)


def same_predictions(one: Path, other: Path) -> bool:
    """Whether two records of the same experiment hold the same predictions."""
    import json
    return ([r["predictions"] for r in json.loads(one.read_text(encoding="utf-8"))["results"]]
            == [r["predictions"] for r in json.loads(other.read_text(encoding="utf-8"))["results"]])


# Where a run's time goes: (share's name, module path suffix, function names) summed by cumulative time.
PROFILE_PARTS = (
    (CLASSIFIER_FITS, "sklearn/linear_model/_logistic.py", ("fit",)),
    (ANALYSIS_ONCE, "bench/models/ngrams.py", ("analyse",)),
    ("TF-IDF of each fold from the shared counts", "bench/models/ngrams.py", ("fit_transform", "transform")),
    ("predicting the test folds", "sklearn/linear_model/_base.py", ("predict",)),
    ("bootstrap intervals and scores", "bench/evaluation/statistics.py", ("summarize",)),
)


def profile_run(command: list[str], output: Path) -> dict:
    """Seconds per part of one `bench` command run under cProfile in one process (`--jobs 1`)."""
    import pstats
    subprocess.run([sys.executable, "-m", "cProfile", "-o", str(output), *command[1:]], check=True,
                   capture_output=True)
    profile = pstats.Stats(str(output))  # read once: its entries and its total
    parts = {name: sum(entry[3] for (file, _, function), entry in profile.stats.items()  # type: ignore[attr-defined]
                       if file.replace("\\", "/").endswith(suffix) and function in functions)
             for name, suffix, functions in PROFILE_PARTS}
    return {"total_seconds": profile.total_tt, "parts": parts}  # type: ignore[attr-defined]


def word_types(project: Path) -> tuple[int, int]:
    """Tokens and distinct words (split on white space) of a project's seed texts."""
    tokens, types = 0, set()
    for path in (project / "seeds").glob("*.txt"):
        words = path.read_text(encoding="utf-8").split()
        tokens += len(words)
        types.update(words)
    return tokens, len(types)


def run_scale(root: Path, sizes=SCALE_SIZES, jobs: int = 2) -> dict:
    """Wall time and peak memory of `bench validate`, of the TF-IDF experiment and of the same experiment as the
    naive per-fold Pipeline, on synthetic corpora of each size; and a profile of the experiment at one size."""
    rows, profile = [], None
    with Progress(3 * len(sizes) + (PROFILE_SIZE in sizes), "scale", unit="run") as progress:
        for size in sizes:
            row, measured_profile = scale_row(root, size, jobs, progress)
            rows.append(row)
            profile = measured_profile or profile
    return {"jobs": jobs, "experiment": SCALE_EXPERIMENT, "sizes": rows, "profile": profile}


def scale_row(root: Path, size: int, jobs: int, progress: Progress) -> tuple[dict, dict | None]:
    """One size of the scale benchmark: its row, and the profile where it is PROFILE_SIZE."""
    profile = None
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch) / "project"
        synthetic_project(root, project, size)
        tokens, types = word_types(project)
        runs = {}
        for name, as_naive in (("experiment", False), ("naive", True)):
            config = project / f"tfidf_scale{'_naive' * as_naive}.yaml"
            config.write_text(scale_config(root, as_naive), encoding="utf-8")
            runs[name] = [*BENCH, "--root", str(project), "run", str(config), "--out", str(Path(scratch) / "out")]
        validate = timed(progress, f"{size:,} paragraphs: validate", [*BENCH, "--root", str(project), "validate"])
        experiment = timed(progress, f"{size:,} paragraphs: experiment", [*runs["experiment"], "--jobs", str(jobs)])
        naive = timed(progress, f"{size:,} paragraphs: naive Pipeline", [*runs["naive"], "--jobs", str(jobs)])
        records = Path(scratch) / "out" / "records"
        same = same_predictions(records / "tfidf_scale.json", records / "tfidf_scale_naive.json")
        if size == PROFILE_SIZE:
            with progress.step(f"{size:,} paragraphs: profile"):
                profile = {"paragraphs": size, **profile_run([*runs["experiment"], "--jobs", "1"],
                                                             Path(scratch) / "profile")}
    return {"paragraphs": size, "tokens": tokens, "word_types": types,
            "validate_seconds": validate[0], "validate_peak_mib": validate[1],
            "experiment_seconds": experiment[0], "experiment_peak_mib": experiment[1],
            "naive_seconds": naive[0], "naive_peak_mib": naive[1], "same_predictions": same}, profile


PER_TARGET_POSTS = 1000  # three rows each: a data set of a few thousand rows, as the per-target goal states


def run_per_target(root: Path, posts: int = PER_TARGET_POSTS, repeats: int = 3) -> dict:
    """`bench run` of the per-target SVM (fixed parameters, given split) against the plain scikit-learn script."""
    import csv

    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "multitarget.csv"
        with open(data, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, fieldnames=MULTITARGET_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(multitarget_rows(posts))
        config = Path(scratch) / "per_target.yaml"
        shutil.copy(root / PER_TARGET_CONFIG, config)
        bench = [*BENCH, "--root", str(root), "run", str(config), "--out", str(Path(scratch) / "out")]
        plain = [sys.executable, "-m", f"{__package__}.plain_per_target", str(data)]
        with Progress(2 * repeats, "per-target", unit="run") as progress:
            timings = {name: sorted(timed(progress, f"{name} per-target SVM", command)[0] for _ in range(repeats))
                       for name, command in (("bench", bench), ("plain", plain))}
    return {"rows": 3 * posts, "repeats": repeats,
            **{f"{name}_seconds_median": values[len(values) // 2] for name, values in timings.items()}}


LANGUAGE_MODEL_PARAGRAPHS = 20
LANGUAGE_MODEL_SHOTS = (0, 5)


def run_language_model(project: Project, paragraphs: int = LANGUAGE_MODEL_PARAGRAPHS) -> dict:
    """Seconds per paragraph and tokens per second of the prompted language model on the topic task, with a
    randomly initialised model of a small real one's architecture (no checkpoint can be downloaded)."""
    from ..data.schema import KIND_FIELD
    from ..publishing.language_model_cost import SMOLLM2_135M, measure_throughput

    schema, corpus = project.schema(), project.corpus()
    gold = project.valid_gold(schema, corpus)
    body = [(p.text, gold[p.id].labels["topic"]) for p in corpus.paragraphs
            if p.id in gold and gold[p.id].labels[KIND_FIELD] == "body"][:paragraphs]
    training_text = [p.text for p in corpus.paragraphs] + [project.guidelines.read_text(encoding="utf-8")]
    runs = []
    with Progress(len(LANGUAGE_MODEL_SHOTS), "language model", unit="run") as progress:
        for shots in LANGUAGE_MODEL_SHOTS:
            with progress.step(f"{shots} shots"):
                runs.append(measure_throughput([text for text, _ in body], schema.fields["topic"].definitions,
                                               training_text=training_text, labels=[label for _, label in body],
                                               shots=shots))
    return {"architecture": "SmolLM2-135M (random weights)", "layers": SMOLLM2_135M["num_hidden_layers"], "runs": runs}


PARTS = ("commands", "per_target", "scale", "language_model")
PART_CONFIGS = {"per_target": PER_TARGET_CONFIG, "scale": SCALE_CONFIG}  # the checkout's configs a part runs
PART_EXTRAS = {"language_model": ("models", ("torch", "transformers", "tokenizers"))}  # optional packages a part needs


def check_perf(project: Project, parts: Sequence[str], repeats: int, sizes: Sequence[int], jobs: int) -> None:
    """Every argument, input and destination checked before the first measurement, so that a refused `bench perf`
    stops at once rather than minutes into its work."""
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise BenchError(f"unknown part(s) {', '.join(unknown)} (known: {', '.join(PARTS)})")
    if importlib.util.find_spec("psutil") is None:  # measure_command reads the process tree's memory through it
        raise BenchError("bench perf needs the optional `perf` dependencies: pip install -e '.[perf]'")
    for part, (extra, modules) in PART_EXTRAS.items():
        if part in parts and any(importlib.util.find_spec(module) is None for module in modules):
            raise BenchError(f"the {part} part needs the optional `{extra}` dependencies: pip install -e '.[{extra}]'")
    if repeats < 1:
        raise BenchError(f"--repeats must be at least 1; got {repeats}")
    project.valid_gold(project.schema(), project.corpus())  # a folder that is no checkout fails here
    for part, config in PART_CONFIGS.items():
        if part in parts and not (project.root / config).is_file():
            raise BenchError(f"not found, and the {part} part runs it", project.root / config)
    if "scale" in parts:
        check_jobs(jobs)
        if any(size < MIN_SCALE_SIZE for size in sizes):
            raise BenchError(f"--sizes must each be at least {MIN_SCALE_SIZE} paragraphs (two synthetic documents, "
                             f"so that leave_one_story_out has folds); got {min(sizes)}")
    check_destinations([project.results / PERFORMANCE, project.performance_page])


def perf(project: Project, only: list[str] | None = None, repeats: int = 3, no_fine_tuning: bool = False,
         sizes: list[int] | None = None, jobs: int = 2) -> int:
    """Measure the commands, the per-target run, the scale benchmark and the language model's cost, or only
    the parts named; a part not measured keeps its earlier figures.

    The figures are saved before docs/performance.md is updated: should that write fail, the measurements are kept."""
    parts = only or PARTS
    sizes = sizes or list(SCALE_SIZES)
    check_perf(project, parts, repeats, sizes, jobs)
    result = read_performance(project.results)
    if "commands" in parts:
        result.update(run_benchmarks(project.root, repeats, not no_fine_tuning))
    if "per_target" in parts:
        result["per_target"] = run_per_target(project.root, repeats=repeats)
    if "scale" in parts:
        result["scale"] = run_scale(project.root, sizes, jobs)
    if "language_model" in parts:
        result["language_model"] = run_language_model(project)
    table = performance_tables(result)
    write_performance(project.results, result)
    page = [project.performance_page] if update_readme(project.performance_page, "performance", table) else []
    print(table, end="")
    report_written([project.results / PERFORMANCE, *page])
    return 0

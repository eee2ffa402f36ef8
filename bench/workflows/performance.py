"""Performance: wall time and peak memory of the bench commands, measured in fresh processes on a scratch copy."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from ..data.synthetic import MULTITARGET_COLUMNS, multitarget_rows, synthetic_project
from ..files import BenchError
from ..publishing.performance import performance_tables, read_performance, write_performance
from ..publishing.readme import update_readme
from .project import Project, scratch_copy

# Runs one command as a child and prints its wall time and peak resident memory: the larger of the biggest
# single process and the sum over the command's process tree (parallel jobs), sampled every 0.1 s from /proc.
MEASURE = """
import os, resource, subprocess, sys, tempfile, time

def tree_rss(root):
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    children.setdefault(int(stat.read().rsplit(")", 1)[1].split()[1]), []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm") as statm:
                total += int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total

start = time.perf_counter()
errors = tempfile.TemporaryFile("w+")  # a file, not a pipe: a chatty child never blocks on a full pipe
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=errors, text=True)
peak = 0
while child.poll() is None:
    if os.path.isdir("/proc"):
        peak = max(peak, tree_rss(child.pid))
    time.sleep(0.1)
elapsed = time.perf_counter() - start
if child.returncode:
    errors.seek(0)
    sys.exit(errors.read())
print(elapsed, max(peak // 1024, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
"""


def measure(command: list[str], env: dict | None = None) -> tuple[float, float]:
    """(seconds, peak MiB) of one command."""
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, env=env,
                         check=False)
    if out.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {out.stderr.strip()}")
    seconds, kib = out.stdout.split()
    return float(seconds), int(kib) / 1024


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
        for name, command, times in commands:
            runs = [measure(command, env) for _ in range(times)]
            seconds = sorted(s for s, _ in runs)
            rows[name] = {"seconds_best": seconds[0], "seconds_median": seconds[len(seconds) // 2],
                          "peak_mib": max(m for _, m in runs), "repeats": times}
    return {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
            "commands": rows}


SCALE_SIZES = (1_000, 10_000, 100_000)
SCALE_EXPERIMENT = {"name": "tfidf_scale", "settings": ["multilingual"], "folds": 5}


def scale_config(root: Path) -> str:
    """The benchmark's TF-IDF experiment over all three tasks, in the multilingual setting with five grouped folds."""
    import yaml
    config = yaml.safe_load((root / "experiments" / "tfidf.yaml").read_text(encoding="utf-8"))
    config.update(SCALE_EXPERIMENT, description="The TF-IDF experiment on a synthetic corpus, for measuring scale.")
    return yaml.safe_dump(config, sort_keys=True)


def run_scale(root: Path, sizes=SCALE_SIZES, jobs: int = 2) -> dict:
    """Wall time and peak memory of `bench validate` and the TF-IDF experiment on synthetic corpora of each size."""
    rows = []
    for size in sizes:
        with tempfile.TemporaryDirectory() as scratch:
            project = Path(scratch) / "project"
            synthetic_project(root, project, size)
            config = project / "tfidf_scale.yaml"
            config.write_text(scale_config(root), encoding="utf-8")
            validate = measure([*BENCH, "--root", str(project), "validate"])
            run = measure([*BENCH, "--root", str(project), "run", str(config), "--out", str(Path(scratch) / "out"),
                           "--jobs", str(jobs)])
        rows.append({"paragraphs": size, "validate_seconds": validate[0], "validate_peak_mib": validate[1],
                     "experiment_seconds": run[0], "experiment_peak_mib": run[1]})
    return {"jobs": jobs, "experiment": SCALE_EXPERIMENT, "sizes": rows}


# The plain alternative to `bench run` of the per-target SVM with fixed parameters: the same Pipeline fitted
# per target on the given split, predictions pooled, F_avg from scikit-learn. Argument: the CSV file.
PLAIN_PER_TARGET = """
import sys
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

data = pd.read_csv(sys.argv[1])
train, test = data[data["split"] == "train"], data[data["split"] == "test"]
predicted = pd.Series(index=test.index, dtype=object)
for target in train["target"].unique():
    model = Pipeline([
        ("features", ColumnTransformer([
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True), "text"),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True), "text")])),
        ("classifier", LinearSVC(C=1.0, class_weight="balanced", max_iter=10000))])
    rows = train["target"] == target
    model.fit(train[rows][["text", "target"]], train[rows]["stance"])
    scored = test["target"] == target
    predicted[scored] = model.predict(test[scored][["text", "target"]])
print(f1_score(test["stance"], predicted, labels=["FAVOR", "AGAINST"], average=None).mean())
"""
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
        shutil.copy(root / "experiments" / "examples" / "multitarget_svm_per_target.yaml", config)
        bench = [*BENCH, "--root", str(root), "run", str(config), "--out", str(Path(scratch) / "out")]
        plain = [sys.executable, "-c", PLAIN_PER_TARGET, str(data)]
        timings = {name: sorted(measure(command)[0] for _ in range(repeats))
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
    runs = [measure_throughput([text for text, _ in body], schema.fields["topic"].definitions,
                               training_text=training_text, labels=[label for _, label in body], shots=shots)
            for shots in LANGUAGE_MODEL_SHOTS]
    return {"architecture": "SmolLM2-135M (random weights)", "layers": SMOLLM2_135M["num_hidden_layers"], "runs": runs}


PARTS = ("commands", "per_target", "scale", "language_model")


def perf(project: Project, only: list[str] | None = None, repeats: int = 3, no_fine_tuning: bool = False,
         sizes: list[int] | None = None, jobs: int = 2) -> int:
    """Measure the commands, the per-target run, the scale benchmark and the language model's cost, or only
    the parts named; a part not measured keeps its earlier figures."""
    parts = only or PARTS
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        raise BenchError(f"unknown part(s) {', '.join(unknown)} (known: {', '.join(PARTS)})")
    result = read_performance(project.results)
    if "commands" in parts:
        result.update(run_benchmarks(project.root, repeats, not no_fine_tuning))
    if "per_target" in parts:
        result["per_target"] = run_per_target(project.root, repeats=repeats)
    if "scale" in parts:
        result["scale"] = run_scale(project.root, sizes or SCALE_SIZES, jobs)
    if "language_model" in parts:
        result["language_model"] = run_language_model(project)
    write_performance(project.results, result)
    table = performance_tables(result)
    update_readme(project.readme, "performance", table)
    print(table, end="")
    return 0

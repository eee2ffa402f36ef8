"""Performance: wall time and peak memory of the bench commands, measured in fresh processes on a scratch copy."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .files import atomic_write, dump_json, dump_jsonl, read_text, sha256_text
from .reports import markdown_table

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


def scratch_copy(root: Path, target: Path) -> None:
    """The data and configs, without results, so measuring never touches the checkout."""
    for folder in ("seeds", "labels"):
        shutil.copytree(root / folder, target / folder)
    shutil.copytree(root / "experiments", target / "experiments", ignore=shutil.ignore_patterns("results"))


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


def performance_table(result: dict) -> str:
    machine = result["machine"]
    rows = [[name, str(r["repeats"]), f"{r['seconds_median']:.2f}", f"{r['seconds_best']:.2f}", f"{r['peak_mib']:.0f}"]
            for name, r in result["commands"].items()]
    return (f"{machine['cpus']} CPUs, Python {machine['python']}, {machine['system']}; each command in a fresh "
            "process; peak MiB is the largest resident memory of the command with its child processes.\n\n"
            + markdown_table(["command", "runs", "median s", "best s", "peak MiB"], rows))


def performance_tables(result: dict) -> str:
    parts = [performance_table(result)] if "commands" in result else []
    if "scale" in result:
        parts.append(scale_table(result["scale"]))
    return "\n".join(parts)


PERFORMANCE = Path("results") / "performance.json"


def read_performance(experiments_dir: Path) -> dict:
    import json
    path = experiments_dir / PERFORMANCE
    return json.loads(read_text(path)) if path.exists() else {}


def write_performance(experiments_dir: Path, result: dict) -> Path:
    path = experiments_dir / PERFORMANCE
    atomic_write(path, dump_json(result))
    return path


SCALE_SIZES = (1_000, 10_000, 100_000)
PARAGRAPHS_PER_DOCUMENT = 10


def synthetic_project(root: Path, target: Path, paragraphs: int, seed: int = 0) -> None:
    """A project of `paragraphs` labelled body paragraphs built from the seed corpus, for measuring scale.

    Each synthetic paragraph takes the labels of a random gold body paragraph of its language and a shuffled
    resample of that paragraph's words, so texts have realistic lengths, vocabularies and label signal.
    Documents hold ten paragraphs each; languages alternate as in the seeds (three Dutch to two English).
    """
    import numpy as np

    from .corpus import MANIFEST, MANIFEST_COLUMNS, load_corpus
    from .labels import GOLD, load_gold
    from .schema import load_schema

    rng = np.random.default_rng(seed)
    guidelines = root / "labels" / "GUIDELINES.md"
    schema, corpus = load_schema(guidelines), load_corpus(root / "seeds")
    gold = load_gold(root / "labels", schema, corpus)
    sources: dict[str, list] = {}
    for p in corpus.paragraphs:
        if p.id in gold and gold[p.id].labels["kind"] == "body":
            sources.setdefault(p.language, []).append((p.text.split(), gold[p.id].labels))
    seeds, labels = target / "seeds", target / "labels"
    seeds.mkdir(parents=True)
    (labels / "annotations").mkdir(parents=True)
    shutil.copy(guidelines, labels / "GUIDELINES.md")
    manifest = [",".join(MANIFEST_COLUMNS)]
    gold_rows = []
    documents = -(-paragraphs // PARAGRAPHS_PER_DOCUMENT)
    for d in range(documents):
        language = ("nl", "en", "nl", "en", "nl")[d % 5]
        doc = f"s{d:06d}"
        count = min(PARAGRAPHS_PER_DOCUMENT, paragraphs - d * PARAGRAPHS_PER_DOCUMENT)
        texts = []
        for position in range(1, count + 1):
            words, label = sources[language][rng.integers(len(sources[language]))]
            text = " ".join(words[i] for i in rng.integers(0, len(words), len(words)))
            texts.append(text)
            gold_rows.append({"id": f"{doc}-{position:02d}", "sha256": sha256_text(text), **label})
        (seeds / f"{doc}.txt").write_text("\n\n".join(texts) + "\n", encoding="utf-8")
        manifest.append(f"{doc},{doc}.txt,{language},,synthetic-{d},synthetic")
    (seeds / MANIFEST).write_text("\n".join(manifest) + "\n", encoding="utf-8")
    (labels / GOLD).write_text(dump_jsonl(gold_rows), encoding="utf-8")


SCALE_EXPERIMENT = {"name": "tfidf_scale", "settings": ["multilingual"], "folds": 5}
SCALE_GOAL = {"paragraphs": 100_000, "seconds": 60, "peak_mib": 4096}


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


def total_seconds(size: dict) -> float:
    """Validation plus the experiment: what the scale goal counts."""
    return size["validate_seconds"] + size["experiment_seconds"]


def scale_table(result: dict) -> str:
    """One row per corpus size; the growth exponent is log(time ratio) / log(size ratio) to the previous size."""
    import math
    rows, previous = [], None
    for r in result["sizes"]:
        total = total_seconds(r)
        growth = "" if previous is None else f"{math.log(total / previous[1]) / math.log(r['paragraphs'] / previous[0]):.2f}"
        rows.append([f"{r['paragraphs']:,}", f"{r['validate_seconds']:.2f}", f"{r['validate_peak_mib']:.0f}",
                     f"{r['experiment_seconds']:.1f}", f"{r['experiment_peak_mib']:.0f}", f"{total:.1f}",
                     f"{1000 * total / r['paragraphs']:.2f}", growth])
        previous = (r["paragraphs"], total)
    return (f"Synthetic corpora (`bench perf --scale-only`): each paragraph takes the labels of a random gold body "
            f"paragraph and a shuffled resample of its words; ten paragraphs per document. The experiment is the "
            f"TF-IDF model of `experiments/tfidf.yaml` on all three tasks, in the multilingual setting with "
            f"{result['experiment']['folds']} grouped folds, run with `--jobs {result['jobs']}`; peak MiB sums the "
            "processes. Growth 1.00 is linear.\n\n"
            + markdown_table(["paragraphs", "validate s", "validate MiB", "TF-IDF experiment s", "its peak MiB",
                              "total s", "s per 1k paragraphs", "growth"], rows) + goal_line(result))


def goal_line(result: dict) -> str:
    """Whether the measured corpus of the goal's size meets the time and memory goals."""
    measured = [r for r in result["sizes"] if r["paragraphs"] == SCALE_GOAL["paragraphs"]]
    if not measured:
        return ""
    r = measured[0]
    seconds = total_seconds(r)
    peak = max(r["validate_peak_mib"], r["experiment_peak_mib"])
    verdict = {True: "met", False: "not met"}
    return (f"\nAt {SCALE_GOAL['paragraphs']:,} paragraphs: {seconds:.0f} s against the goal of "
            f"{SCALE_GOAL['seconds']} s (time goal {verdict[seconds <= SCALE_GOAL['seconds']]}), peak {peak:,.0f} MiB "
            f"against {SCALE_GOAL['peak_mib']:,} MiB (memory goal {verdict[peak <= SCALE_GOAL['peak_mib']]}).\n")

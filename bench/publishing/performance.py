"""The measured performance: the JSON file of figures and the README's tables derived from it."""

from __future__ import annotations

import json
import math
from pathlib import Path

from ..files import atomic_write, dump_json, read_text
from .tables import markdown_table

SCALE_GOAL = {"paragraphs": 100_000, "seconds": 60, "peak_mib": 4096}


def performance_table(result: dict) -> str:
    """Wall time and peak memory of each command, with the machine they were measured on."""
    machine = result["machine"]
    rows = [[name, str(r["repeats"]), f"{r['seconds_median']:.2f}", f"{r['seconds_best']:.2f}", f"{r['peak_mib']:.0f}"]
            for name, r in result["commands"].items()]
    return (f"{machine['cpus']} CPUs, Python {machine['python']}, {machine['system']}; each command in a fresh "
            "process; peak MiB is the largest resident memory of the command with its child processes.\n\n"
            + markdown_table(["command", "runs", "median s", "best s", "peak MiB"], rows))


def performance_tables(result: dict) -> str:
    """The README's performance block: the commands' table, then the scale table."""
    parts = [performance_table(result)] if "commands" in result else []
    if "per_target" in result:
        parts.append(per_target_line(result["per_target"]))
    if "scale" in result:
        parts.append(scale_table(result["scale"]))
    if "language_model" in result:
        parts.append(language_model_line(result["language_model"]))
    return "\n".join(parts)


def language_model_line(result: dict) -> str:
    """What the prompted language model costs per paragraph here, for each number of shots."""
    runs = "; ".join(f"{r['shots']} shots: {r['seconds_per_paragraph']:.2f} s per paragraph, {r['tokens_per_second']:.0f} "
                     f"tokens per second through the model, prompts of {r['prompt_tokens_mean']:.0f} tokens "
                     f"({r['characters_per_token']:.1f} characters per token)" for r in result["runs"])
    first = result["runs"][0]
    return (f"Prompted language model (`prompted_lm`, topic, {first['paragraphs']} paragraphs, one `predict` after a "
            f"warm-up) with {result['architecture']}, {first['parameters'] / 1e6:.0f}M parameters on "
            f"{first['torch_threads']} torch threads ({first['device']}): {runs}. The weights are random, so only the "
            "cost means something; the tokenizer is trained on the corpus, so a real model's tokenizer gives other "
            "token counts.\n")


PERFORMANCE = "performance.json"  # inside the results folder


def read_performance(results_dir: Path) -> dict:
    """The measured figures so far; a part that is not measured again keeps them."""
    path = results_dir / PERFORMANCE
    return json.loads(read_text(path)) if path.exists() else {}


def write_performance(results_dir: Path, result: dict) -> Path:
    """Save the measured figures, from which the README's tables are derived."""
    path = results_dir / PERFORMANCE
    atomic_write(path, dump_json(result))
    return path


PER_TARGET_GOAL = 1.5  # `bench run` of a per-target model against the hand-written scikit-learn script


def per_target_line(result: dict) -> str:
    """The per-target run beside the plain scikit-learn script that does the same, and the ratio."""
    ratio = result["bench_seconds_median"] / result["plain_seconds_median"]
    verdict = "met" if ratio <= PER_TARGET_GOAL else "not met"
    return (f"Per-target n-gram SVM with fixed parameters on a synthetic multi-target data set of {result['rows']:,} "
            f"rows (given split, median of {result['repeats']} runs, each in a fresh process): `bench run` "
            f"{result['bench_seconds_median']:.2f} s, the same model as a plain scikit-learn script "
            f"{result['plain_seconds_median']:.2f} s, ratio {ratio:.2f} against the goal of {PER_TARGET_GOAL} "
            f"({verdict}).\n")


def total_seconds(size: dict) -> float:
    """Validation plus the experiment: what the scale goal counts."""
    return size["validate_seconds"] + size["experiment_seconds"]


def scale_table(result: dict) -> str:
    """One row per corpus size; the growth exponent is log(time ratio) / log(size ratio) to the previous size."""
    rows, previous = [], None
    for r in result["sizes"]:
        total = total_seconds(r)
        growth = "" if previous is None else f"{math.log(total / previous[1]) / math.log(r['paragraphs'] / previous[0]):.2f}"
        rows.append([f"{r['paragraphs']:,}", f"{r['validate_seconds']:.2f}", f"{r['validate_peak_mib']:.0f}",
                     f"{r['experiment_seconds']:.1f}", f"{r['experiment_peak_mib']:.0f}", f"{total:.1f}",
                     f"{1000 * total / r['paragraphs']:.2f}", growth])
        previous = (r["paragraphs"], total)
    return (f"Synthetic corpora (`bench perf --only scale`): each paragraph takes the labels of a random gold body "
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

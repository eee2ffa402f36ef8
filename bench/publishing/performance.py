"""The measured performance: the JSON file of figures and the tables of docs/performance.md derived from it."""

from __future__ import annotations

import math
from pathlib import Path

from ..files import BenchError, atomic_write, dump_json, read_json_object
from .tables import markdown_table

# How a figure's peak memory was measured; figures measured before `bench perf` summed PSS carry no name.
MEMORY_MEASURES = {
    "rss": "the largest resident memory of the command with its child processes",
    "pss": "the proportional set size summed over the command's processes, so pages they share count once, or the "
           "largest process's peak resident size where that is more",
}


def performance_table(result: dict) -> str:
    """Wall time and peak memory of each command, fastest first, with the machine they were measured on."""
    machine = result["machine"]
    rows = [[name, str(r["repeats"]), f"{r['seconds_median']:.2f}", f"{r['seconds_best']:.2f}", f"{r['peak_mib']:.0f}"]
            for name, r in sorted(result["commands"].items(), key=lambda item: item[1]["seconds_median"])]
    return (f"{machine['cpus']} CPUs, Python {machine['python']}, {machine['system']}; each command in a fresh "
            f"process; peak MiB is {MEMORY_MEASURES[result.get('commands_memory', 'rss')]}.\n\n"
            + markdown_table(["command", "runs", "median s", "best s", "peak MiB"], rows))


def performance_tables(result: dict) -> str:
    """The performance block of docs/performance.md: the commands' table, then the scale table."""
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
    """The measured figures so far; a part that is not measured again keeps them. They are read, and their tables
    made, before anything is measured, so that a malformed or hand-edited file fails at once, not after the work."""
    path = results_dir / PERFORMANCE
    if not path.exists():
        return {}
    found = read_json_object(path, "the measured figures, as `bench perf` writes them")
    try:
        performance_tables(found)
    except KeyError as err:
        raise BenchError(f"missing key {err.args[0]!r}", path) from None
    except (LookupError, TypeError, ValueError, ArithmeticError, AttributeError) as err:  # a value of the wrong kind
        raise BenchError(f"not the figures `bench perf` writes: {err}", path) from None
    return found


def write_performance(results_dir: Path, result: dict) -> Path:
    """Save the measured figures, from which the tables of docs/performance.md are derived."""
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


def growth(sizes: list[dict], key: str) -> list[str]:
    """Per row, log(time ratio) / log(size ratio) to the previous size: 1.00 is linear growth."""
    shown = [""]
    for previous, row in zip(sizes, sizes[1:]):
        shown.append(f"{math.log(row[key] / previous[key]) / math.log(row['paragraphs'] / previous['paragraphs']):.2f}")
    return shown


def scale_table(result: dict) -> str:
    """One row per corpus size: validation, the TF-IDF experiment and the same experiment as the naive per-fold
    Pipeline, with the ratio of the two; then the goals and the profile."""
    sizes = result["sizes"]
    rows = [[f"{r['paragraphs']:,}", f"{r['word_types']:,}", f"{r['validate_seconds']:.2f}",
             f"{r['validate_peak_mib']:.0f}", f"{r['experiment_seconds']:.1f}", f"{r['experiment_peak_mib']:.0f}",
             f"{r['naive_seconds']:.1f}", f"{r['naive_peak_mib']:.0f}",
             f"{r['experiment_seconds'] / r['naive_seconds']:.2f}", step, "yes" if r["same_predictions"] else "NO"]
            for r, step in zip(sizes, growth(sizes, "experiment_seconds"))]
    return (f"Synthetic corpora (`bench perf --only scale`, or `--scale-only`; see the methodology for what they model). "
            f"The experiment is `experiments/tfidf.yaml` with its fixed parameters (C = 1, both n-gram blocks) on all "
            f"three tasks, in the leave_one_story_out setting with {result['experiment']['folds']} grouped folds, run with "
            f"`--jobs {result['jobs']}`. The naive run is the same experiment as the per-fold scikit-learn Pipeline, "
            "whose TfidfVectorizer analyses the texts at every fit (`shared_analysis: false`), measured in the same "
            "run. Peak MiB is the proportional set size summed over the processes, or the largest process's peak resident "
            "size where that is more (a command too short for the 0.1 s samples). Growth is the experiment's; 1.00 "
            "is linear.\n\n"
            + markdown_table(["paragraphs", "word types", "validate s", "validate MiB", "TF-IDF experiment s",
                              "its peak MiB", "naive per-fold Pipeline s", "its peak MiB", "ratio", "growth",
                              "same predictions"], rows)
            + goal_line(result) + profile_line(result.get("profile"), sizes))


SCALE_GOAL: dict[str, float] = {"paragraphs": 100_000, "ratio": 0.5, "peak_mib": 4096}


def goal_line(result: dict) -> str:
    """Whether the corpus of the goal's size meets the time (against the naive run) and memory goals."""
    measured = [r for r in result["sizes"] if r["paragraphs"] == SCALE_GOAL["paragraphs"]]
    if not measured:
        return ""
    r = measured[0]
    ratio = r["experiment_seconds"] / r["naive_seconds"]
    peak = max(r["validate_peak_mib"], r["experiment_peak_mib"])
    verdict = {True: "met", False: "not met"}
    return (f"\nAt {SCALE_GOAL['paragraphs']:,} paragraphs: the experiment takes {ratio:.2f} × the naive run's time "
            f"against the goal of {SCALE_GOAL['ratio']} (time goal {verdict[ratio <= SCALE_GOAL['ratio']]}), peak "
            f"{peak:,.0f} MiB against {SCALE_GOAL['peak_mib']:,} MiB (memory goal "
            f"{verdict[peak <= SCALE_GOAL['peak_mib']]}).\n")


# The parts of the profile that any run of the experiment must do: fit every classifier, analyse the texts once.
CLASSIFIER_FITS = "classifier fits (LogisticRegression.fit)"
ANALYSIS_ONCE = "text analysis, once per corpus"
FLOOR = (CLASSIFIER_FITS, ANALYSIS_ONCE)


def profile_line(profile: dict | None, sizes: list[dict]) -> str:
    """Where the experiment's time goes, from cProfile, and the ratio to the naive run that the parts every
    run must do (FLOOR) would give alone, their share scaled to the measured wall time at that size."""
    if not profile:
        return ""
    total = profile["total_seconds"]
    parts = "; ".join(f"{name} {seconds:.1f} s ({100 * seconds / total:.0f}%)"
                      for name, seconds in profile["parts"].items())
    rest = total - sum(profile["parts"].values())
    line = (f"\nWhere the time goes, from cProfile of the experiment at {profile['paragraphs']:,} paragraphs in one "
            f"process (`--jobs 1`, {total:.1f} s under the profiler): {parts}; everything else (reading, planning, "
            f"writing) {rest:.1f} s ({100 * rest / total:.0f}%).")
    measured = [r for r in sizes if r["paragraphs"] == profile["paragraphs"]]
    if measured and all(name in profile["parts"] for name in FLOOR):
        share = sum(profile["parts"][name] for name in FLOOR) / total
        r = measured[0]
        line += (f" The classifier fits and the one analysis, which any run must do, are {100 * share:.0f}% of it: "
                 f"alone they would take {share * r['experiment_seconds'] / r['naive_seconds']:.2f} × the naive "
                 f"run's time at this size, against the {r['experiment_seconds'] / r['naive_seconds']:.2f} measured.")
    return line + "\n"

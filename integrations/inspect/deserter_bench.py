"""deserter-bench for inspect-ai: one task of the benchmark (topic, stance_war, stance_defector) on one language's
body paragraphs, read from a `bench export-hf` folder, scored as the harness scores it (bench/evaluation/scores.py):
macro-F1 over the classes in the test gold and, for stance, F_avg, the mean F1 of the poles (favor, against)
present in the test gold.

    inspect eval integrations/inspect/deserter_bench.py -T data=EXPORT -T task=stance_war -T language=en --model ...

The model answers in free text; its answer is the first label it names (an answer naming none counts as wrong for
every class).
"""

import os
import re
from pathlib import Path

import datasets
import numpy as np
from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import GenerateConfig
from inspect_ai.scorer import CORRECT, INCORRECT, Score, Target, accuracy, metric, scorer
from inspect_ai.solver import TaskState, generate
from sklearn.metrics import f1_score

POLES = ("favor", "against")
TASKS = ("topic", "stance_war", "stance_defector")
QUESTIONS = {
    "topic": "Which topic does the paragraph mainly discuss: motivation, losses, escape, asylum_policy or other?",
    "stance": "Is the paragraph in favor of the target, against it, or neither (none)?",
}


def samples(folder: str, benchmark_task: str, language: str) -> list[Sample]:
    """One sample per body paragraph (and target, for stance) of the language, its gold label the target."""
    config, _, target = benchmark_task.partition("_")
    rows = datasets.Dataset.from_parquet(str(Path(folder, config, f"{language}-00000-of-00001.parquet")))
    names = rows.features["label"].names
    found = []
    for row in rows:
        if target and row["target"] != target:
            continue
        lines = [f"Paragraph: {row['text']}", *([f"Target: {row['target_description']}"] if target else []),
                 QUESTIONS[config], f"Answer with one of: {', '.join(names)}."]
        found.append(Sample(input="\n".join(lines), target=names[row["label"]], id=row["id"],
                            metadata={"task": benchmark_task, "language": language, "labels": names}))
    return found


def first_label(completion: str, labels: list[str]) -> str:
    """The label the answer names first (an underscore may be a space); "" where it names none."""
    found = []
    for label in labels:
        match = re.search(r"\b" + re.escape(label).replace("_", "[_ ]") + r"\b", completion, re.IGNORECASE)
        if match:
            found.append((match.start(), label))
    return min(found)[1] if found else ""


def pairs(scores: list) -> tuple[list[str], list[str]]:
    return [s.score.metadata["gold"] for s in scores], [s.score.answer or "" for s in scores]


@metric
def macro_f1():
    """Macro-F1 over the classes that occur in the test gold."""
    def compute(scores: list) -> float:
        if not scores:  # inspect also reports on the samples done so far, at first none
            return float("nan")
        gold, pred = pairs(scores)
        return float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0))
    return compute


@metric
def f_avg():
    """Mean F1 of the poles present in the test gold; NaN where neither is."""
    def compute(scores: list) -> float:
        gold, pred = pairs(scores) if scores else ([], [])
        poles = [pole for pole in POLES if pole in gold]
        if not poles:
            return float("nan")
        return float(np.mean(f1_score(gold, pred, labels=poles, average=None, zero_division=0)))
    return compute


def label_scorer(metrics: list):
    @scorer(metrics=metrics)
    def label():
        async def score(state: TaskState, target: Target) -> Score:
            answer = first_label(state.output.completion, state.metadata["labels"])
            return Score(value=CORRECT if answer == target.text else INCORRECT, answer=answer,
                         metadata={"gold": target.text})
        return score
    return label()


@task
def deserter_bench(data: str | None = None, task: str = "topic", language: str = "en",
                   max_tokens: int = 8) -> Task:
    """DATA: the export folder (else $DESERTER_BENCH_DATA); TASK: topic, stance_war or stance_defector;
    LANGUAGE: en or nl."""
    folder = data or os.environ.get("DESERTER_BENCH_DATA")
    if not folder:
        raise ValueError("deserter-bench: give the export folder (bench export-hf FOLDER) with -T data=FOLDER or "
                         "DESERTER_BENCH_DATA=FOLDER")
    if task not in TASKS or language not in ("en", "nl"):
        raise ValueError(f"deserter-bench: task must be one of {', '.join(TASKS)} and language en or nl")
    metrics = [accuracy(), macro_f1(), *([f_avg()] if task.startswith("stance") else [])]
    return Task(dataset=MemoryDataset(samples(folder, task, language), name=f"deserter_{task}_{language}"),
                solver=generate(), scorer=label_scorer(metrics), config=GenerateConfig(max_tokens=max_tokens))

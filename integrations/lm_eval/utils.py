"""deserter-bench for lm-evaluation-harness: the data read from a `bench export-hf` folder, and the benchmark's
scores (bench/evaluation/scores.py): macro-F1 over the classes in the test gold, and for stance F_avg, the mean F1
of the poles (favor, against) present in the test gold."""

import os
from pathlib import Path

import datasets
import numpy as np
from sklearn.metrics import f1_score

POLES = ("favor", "against")
LANGUAGES = ("en", "nl")


def load(config: str, data: str | None = None, target: str | None = None, **_) -> datasets.DatasetDict:
    """The `en` and `nl` splits of one config of the export (FOLDER from `--metadata '{"data": "FOLDER"}'` or
    $DESERTER_BENCH_DATA), for stance only the rows of `target`; each row gets its benchmark task, its choices
    (the label names) and the index of its gold label."""
    folder = data or os.environ.get("DESERTER_BENCH_DATA")
    if not folder:
        raise ValueError("deserter-bench: give the export folder (bench export-hf FOLDER) with "
                         "--metadata '{\"data\": \"FOLDER\"}' or DESERTER_BENCH_DATA=FOLDER")
    splits = {}
    for language in LANGUAGES:
        path = Path(folder, config, f"{language}-00000-of-00001.parquet")
        if not path.exists():
            raise FileNotFoundError(f"{path}: not found; is {folder} a folder written by `bench export-hf`?")
        rows = datasets.Dataset.from_parquet(str(path))
        if target is not None:
            rows = rows.filter(lambda row: row["target"] == target)
        splits[language] = rows.map(add_choices, fn_kwargs={
            "task": config if target is None else f"{config}_{target}", "names": rows.features["label"].names})
    return datasets.DatasetDict(splits)


def add_choices(row: dict, task: str, names: list) -> dict:
    return {"task": task, "choices": names, "gold": row["label"]}


def predicted(doc: dict, results: list) -> tuple[str, str]:
    """(gold, predicted) label: the prediction is the choice of highest log-likelihood, the first of equals."""
    likelihoods = [result[0] for result in results]
    return doc["choices"][doc["gold"]], doc["choices"][int(np.argmax(likelihoods))]


def process_topic(doc: dict, results: list) -> dict:
    pair = predicted(doc, results)
    return {"acc": float(pair[0] == pair[1]), "macro_f1": pair}


def process_stance(doc: dict, results: list) -> dict:
    pair = predicted(doc, results)
    return {"acc": float(pair[0] == pair[1]), "macro_f1": pair, "f_avg": pair}


def macro_f1(pairs: list) -> float:
    """Macro-F1 over the classes that occur in the test gold."""
    gold, pred = zip(*pairs)
    return float(f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0))


def f_avg(pairs: list) -> float:
    """Mean F1 of the poles present in the test gold; NaN where neither is."""
    gold, pred = zip(*pairs)
    poles = [pole for pole in POLES if pole in gold]
    if not poles:
        return float("nan")
    return float(np.mean(f1_score(gold, pred, labels=poles, average=None, zero_division=0)))

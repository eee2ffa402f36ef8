"""Running experiments: each config's evaluation units, fitted and scored fold by fold, in parallel jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..data.corpus import Corpus
from ..data.labels import LabelRow
from ..files import BenchError
from ..models import build_model, configured
from . import external
from .config import Config
from .scores import per_class
from .settings import SETTINGS, Evaluation, evaluations, split
from .statistics import summarize
from .tasks import Example, Task, build_examples


def frame(rows: Sequence[Example]):
    """What a model sees: the paragraph texts and the stance target's description."""
    import pandas as pd
    return pd.DataFrame({"text": [e.text for e in rows], "target": [e.target for e in rows]})


def subsample(train: list[Example], size: int | None, seed: int) -> list[Example]:
    """`size` training paragraphs drawn with the seed, redrawn until two classes are in; all if size is None."""
    if size is None or size >= len(train):
        return train
    rng = np.random.default_rng(seed)
    for _ in range(100):
        chosen = [train[i] for i in sorted(rng.choice(len(train), size, replace=False))]
        if len({e.label for e in chosen}) > 1:
            return chosen
    return chosen


def run_evaluation(config: Config, task: Task, examples: list[Example], evaluation: Evaluation,
                   train_size: int | None = None) -> dict:
    """Fit and predict every fold for every seed, pool the test predictions and score them."""
    model = build_model(config.model, config.params)
    folds = []
    test_rows: list[Example] = []
    predictions: list[list[str]] = [[] for _ in config.seeds]
    for fold in evaluation.folds:
        train, test = split(examples, fold)
        if not train or not test:
            continue
        train_labels = {e.label for e in train}
        if len(train_labels) < 2:
            raise BenchError(f"{config.name}: {task.name} {evaluation.name}: the training rows of the fold testing "
                             f"{', '.join(fold.test[:5])}{' …' if len(fold.test) > 5 else ''} have a single class")
        folds.append({"by": fold.by, "train": list(fold.train), "test": list(fold.test),
                      "n_train": min(train_size or len(train), len(train)), "n_test": len(test),
                      "unseen_classes": sorted({e.label for e in test} - train_labels, key=task.labels.index)})
        test_frame = frame(test)
        for i, seed in enumerate(config.seeds):
            drawn = subsample(train, train_size, seed)
            fitted = configured(model, seed, task.definitions).fit(frame(drawn), [e.label for e in drawn])
            predictions[i].extend(str(label) for label in fitted.predict(test_frame))
        test_rows.extend(test)
    gold = [e.label for e in test_rows]
    return {
        "task": task.name,
        "train_size": train_size,
        "setting": evaluation.setting,
        "train_language": evaluation.train_language,
        "test_language": evaluation.test_language,
        "evaluation": evaluation.name,
        "folds": folds,
        "n_test": len(gold),
        "labels": list(task.labels),
        "scores": summarize(gold, predictions, task.labels, task.poles, config.resamples,
                            config.bootstrap_seed, config.confidence),
        "per_class": per_class(gold, predictions[0], task.labels) if len(config.seeds) == 1 else {
            str(seed): per_class(gold, pred, task.labels) for seed, pred in zip(config.seeds, predictions)},
        "predictions": [{"id": e.id, "gold": e.label, "pred": [pred[i] for pred in predictions]}
                        for i, e in enumerate(test_rows)],
    }


@dataclass
class Plan:
    """One experiment ready to run: its config, the data's hash and summary, and its evaluation units."""

    config: Config
    data_sha256: str
    dataset: dict | None
    units: list[tuple[Task, list[Example], Evaluation, int | None]]


def plan(config: Config, tasks: dict[str, Task], corpus: Corpus | None, gold: dict[str, LabelRow] | None,
         benchmark_hash: str | None) -> Plan:
    """Read the experiment's data and list every (task, evaluation, train size) it runs, before running any.

    The benchmark's corpus, gold and hash may be None when the config names an external data set.
    """
    if config.dataset is not None:
        task, examples, summary = external.load(config.dataset)
        data, data_hash = [(task, examples)], summary["sha256"]
    else:
        assert corpus is not None and gold is not None and benchmark_hash is not None
        data, data_hash, summary = [(tasks[n], build_examples(tasks[n], corpus, gold, config.kinds))
                                    for n in config.tasks], benchmark_hash, None
    units = [(task, examples, evaluation, size)
             for task, examples in data for evaluation in chosen_evaluations(config, examples)
             for size in config.train_sizes or (None,)]
    return Plan(config, data_hash, summary, units)


def chosen_evaluations(config: Config, examples: list[Example]) -> list[Evaluation]:
    """The config's settings; an external data set without `settings` gets every setting its data supports."""
    if config.settings:
        return [e for setting in config.settings for e in evaluations(setting, examples, config.folds)]
    found = []
    for setting in SETTINGS:
        try:
            found += evaluations(setting, examples, config.folds)
        except BenchError:
            continue  # a setting this data cannot support is left out only when none was asked for
    if not found:
        raise BenchError("the data supports no setting: it needs two groups, two languages or a train/test split")
    return found


def run_plans(plans: list[Plan], jobs: int = 1, backend: str = "loky",
              done: Callable[[Plan, list[dict]], None] | None = None) -> list[list[dict]]:
    """Run each plan's units through joblib and call `done(plan, results)` as soon as a plan is complete.

    Each unit seeds its own models, so the results are the same for any number of jobs and any backend.
    """
    from joblib import Parallel, delayed, parallel_config
    if jobs == 0:
        raise BenchError("--jobs must be a positive number of jobs, or -1 for one per core")
    results = []
    with parallel_config(backend=joblib_backend(backend), n_jobs=jobs):
        for p in plans:
            results.append(Parallel()(delayed(run_evaluation)(p.config, *unit) for unit in p.units))
            if done is not None:
                done(p, results[-1])
    return results


BACKENDS = {"loky": None, "threading": None, "multiprocessing": None, "ray": "ray", "dask": "dask[distributed]"}


def joblib_backend(name: str) -> str:
    """joblib's own backends by name; Ray and Dask register theirs on import (each needs its package installed)."""
    if name not in BACKENDS:
        raise BenchError(f"unknown joblib backend {name!r} (known: {', '.join(BACKENDS)})")
    try:
        if name == "ray":
            from ray.util.joblib import register_ray
            register_ray()  # joins the cluster in RAY_ADDRESS, else starts a local one
        elif name == "dask":
            from dask.distributed import Client  # joblib's dask backend runs on the current client
            Client()  # the scheduler in DASK_SCHEDULER_ADDRESS, or a local cluster
    except ImportError:
        raise BenchError(f"the {name} backend needs its package: pip install '{BACKENDS[name]}'") from None
    return name

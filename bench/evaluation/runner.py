"""Running experiments: each config's evaluation units, fitted and scored fold by fold, in parallel jobs."""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from ..data.corpus import Corpus
from ..data.labels import LabelRow
from ..files import BenchError
from ..models import build_model, configured, fold_name, ngrams
from ..models.protocol import ChecksData, ReportsLoss
from ..models.targets import PerTarget
from ..progress import Progress
from . import external
from .config import Config
from .results import Bootstrap, Fold, Prediction, Result, Subset
from .scores import per_class
from .selection import select
from .settings import SETTINGS, Evaluation, Languages, evaluations, split, unique
from .statistics import summarize
from .tasks import Example, Task, build_examples, frame


def subsample(train: list[Example], size: float | None, seed: int) -> list[Example]:
    """Training paragraphs drawn with the seed, redrawn until two classes are in; all if size is None.

    A fraction is a share of this fold's training paragraphs, so a learning curve adapts to each setting.
    """
    if size is None:
        return train
    count = max(2, round(size * len(train))) if isinstance(size, float) else int(size)
    if count >= len(train):
        return train
    rng = np.random.default_rng(seed)
    for _ in range(100):
        chosen = [train[i] for i in sorted(rng.choice(len(train), count, replace=False))]
        if len({e.label for e in chosen}) > 1:
            return chosen
    return chosen


# Settings share training sides (cross_lingual:nl>en trains on what one in_language:nl fold trains on), and
# every model here is deterministic given its class, parameters, seed and rows: the same selection or fit is
# reused. The lock keeps the memo whole under the threading backend; a computation runs outside it.
_REMEMBERED: OrderedDict[str, object] = OrderedDict()
_REMEMBERED_LIMIT = 8
_REMEMBERED_LOCK = threading.Lock()


def fingerprint(part) -> object:
    """What a computation's result depends on in one argument: an estimator's class and parameters (nested
    estimators likewise), every field of each example (its text and groups, not only its id and label), and
    plain values as they are."""
    if isinstance(part, BaseEstimator):
        return (type(part).__module__, type(part).__qualname__,
                sorted((k, fingerprint(v)) for k, v in part.get_params(deep=False).items()))
    if isinstance(part, Example):
        return hashlib.sha256(repr(part).encode()).hexdigest()  # the dataclass's repr names every field
    if isinstance(part, (list, tuple)):
        return [fingerprint(p) for p in part]
    if isinstance(part, dict):
        return sorted((k, fingerprint(v)) for k, v in part.items())
    return part


def remembered(compute: Callable, *args):
    """compute(*args), or its result from an earlier call with the same fingerprint of its arguments."""
    digest = hashlib.sha256(repr([compute.__name__] + [fingerprint(a) for a in args]).encode()).hexdigest()
    with _REMEMBERED_LOCK:
        if digest in _REMEMBERED:
            _REMEMBERED.move_to_end(digest)
            return _REMEMBERED[digest]
    result = compute(*args)
    with _REMEMBERED_LOCK:
        _REMEMBERED[digest] = result
        while len(_REMEMBERED) > _REMEMBERED_LIMIT:
            _REMEMBERED.popitem(last=False)
    return result


def fit(model: BaseEstimator, rows: list[Example]) -> BaseEstimator:
    return model.fit(frame(rows), [e.label for e in rows])


def config_model(config: Config) -> tuple[BaseEstimator, tuple[dict, ...]]:
    """The config's model and selection grid; one copy of the model per stance target where the config asks."""
    model = build_model(config.model, config.params)
    if not config.per_target:
        return model, config.grid
    return (PerTarget(model, fallback=config.per_target == "fallback"),
            tuple({f"estimator__{key}": values for key, values in candidates.items()} for candidates in config.grid))


def for_fold(model: BaseEstimator, config: Config, task: Task, evaluation: Evaluation, number: int,
             seed: int) -> BaseEstimator:
    """The model as one fold of one evaluation runs it: seeded, with the task's definitions and the fold's name."""
    definitions = config.definitions[task.name] if config.definitions else task.definitions
    return configured(model, seed, definitions, task.name, fold_name(evaluation.name, number))


def seen_classes(folds: list[Fold], labels: Sequence[str]) -> list[str]:
    """Classes of the pooled test gold that the training side had in every fold that tests them."""
    tested: dict[str, bool] = {}
    for fold in folds:
        for label in fold.test_classes:
            tested[label] = tested.get(label, True) and label not in fold.unseen_classes
    return [label for label in labels if tested.get(label)]


@dataclass(frozen=True)
class FoldRun:
    """One fold as run: its record, its test rows, and each seed's predictions for them."""

    fold: Fold
    test: list[Example]
    predictions: list[list[str]]


def run_fold(config: Config, task: Task, examples: list[Example], evaluation: Evaluation, number: int, *,
             train_size: float | None = None, shared: str | None = None) -> FoldRun | None:
    """Choose hyperparameters inside one fold's training side, fit and predict its test side for every seed.

    None where the fold has no training or no test rows. `shared` is the folder of the n-gram analyses the
    run made before its workers started (see `ngrams.prepare`).
    """
    ngrams.attach(shared)
    train, test = split(examples, evaluation.folds[number])
    if not train or not test:
        return None
    fold = evaluation.folds[number]
    train_labels = {e.label for e in train}
    fold_model, record = trained_side_model(config, task, train, evaluation, number)  # record: `selection`, `loss`
    test_frame = frame(test)
    predictions = []
    for seed in config.seeds:
        fitted = remembered(fit, configured(fold_model, seed), subsample(train, train_size, seed))
        if isinstance(fitted, ReportsLoss):  # a model trained by gradient descent: its training loss per epoch
            record.setdefault("loss", {})[str(seed)] = list(fitted.loss_history_)
        predictions.append([str(label) for label in fitted.predict(test_frame)])
    sides = Fold(fold.by, list(fold.train), list(fold.test), len(subsample(train, train_size, config.seeds[0])),
                 len(test), sorted({e.label for e in test}, key=task.labels.index),
                 sorted({e.label for e in test} - train_labels, key=task.labels.index),
                 train_docs=unique(e.doc for e in train), test_docs=unique(e.doc for e in test), **record)
    return FoldRun(sides, test, predictions)


def score_evaluation(config: Config, task: Task, evaluation: Evaluation, train_size: float | None,
                     fold_runs: list[FoldRun | None]) -> Result:
    """Pool the folds' test predictions and score them."""
    done = [r for r in fold_runs if r is not None]
    folds = [r.fold for r in done]
    test_rows: list[Example] = [e for r in done for e in r.test]
    predictions = [[label for r in done for label in r.predictions[i]] for i in range(len(config.seeds))]
    gold = [e.label for e in test_rows]
    poles = [p for p in task.poles if p in gold] if task.poles_present_only else list(task.poles)
    seen = seen_classes(folds, task.labels)
    bootstrap = Bootstrap.of(config)
    targets = [e.target for e in test_rows]
    by_target = {}
    if len(set(targets)) > 1:  # a data set with several targets: each one's scores beside the pooled ones
        by_target = {target: subset.scores for target, subset in
                     subsets(targets, gold, predictions, task.labels, bootstrap, poles).items()}
    reported_by = {column: subsets([dict(e.facets)[column] for e in test_rows], gold, predictions, task.labels,
                                   bootstrap, poles)
                   for column in (dict(test_rows[0].facets) if test_rows else {})}
    return Result(
        task.name, evaluation.name, evaluation.setting, evaluation.train_language, evaluation.test_language,
        list(task.labels), summarize(gold, predictions, task.labels, bootstrap, poles=poles, seen=seen),
        [Prediction(e.id, e.label, [pred[i] for pred in predictions], doc=e.doc) for i, e in enumerate(test_rows)],
        folds, train_size=train_size, story_disjoint=evaluation.story_disjoint, n_test=len(gold), f_avg_poles=poles,
        seen_classes=seen,
        per_class=per_class(gold, predictions[0], task.labels) if len(config.seeds) == 1 else {
            str(seed): per_class(gold, pred, task.labels) for seed, pred in zip(config.seeds, predictions)},
        per_target=by_target, reported_by=reported_by)


def subsets(values: list[str], gold: list[str], predictions: list[list[str]], labels: Sequence[str],
            bootstrap: Bootstrap, poles: list[str]) -> dict[str, Subset]:
    """The scores of the test rows of each value (a target, a language, a test set), in order of appearance, with
    the pooled evaluation's poles."""
    found = {}
    for value in dict.fromkeys(values):
        rows = [i for i, v in enumerate(values) if v == value]
        found[value] = Subset(len(rows), summarize([gold[i] for i in rows], [[pred[i] for i in rows]
                                                                             for pred in predictions],
                                                   labels, bootstrap, poles=poles))
    return found


@dataclass
class Plan:
    """One experiment ready to run: its config, the data's hash and summary, and its evaluation units."""

    config: Config
    data_sha256: str
    dataset: dict | None
    units: list[tuple[Task, list[Example], Evaluation, float | None]]


def plan(config: Config, tasks: dict[str, Task], corpus: Corpus | None, gold: dict[str, LabelRow] | None,
         benchmark_hash: str | None) -> Plan:
    """Read the experiment's data and list every (task, evaluation, train size) it runs, before running any.

    The benchmark's corpus, gold and hash may be None when the config names an external data set.
    """
    if config.dataset is not None:
        task, examples, summary = external.load(config.dataset)
        data, data_hash = [(task, examples)], summary["sha256"]
        if config.definitions:
            raise BenchError("an external data set takes its definitions in its `dataset:` block")
    else:
        assert corpus is not None and gold is not None and benchmark_hash is not None
        data, data_hash, summary = [(tasks[n], build_examples(tasks[n], corpus, gold, config.kinds))
                                    for n in config.tasks], benchmark_hash, None
    for task, _ in data:
        if config.definitions and task.name not in config.definitions:
            raise BenchError(f"the definitions ({config.definitions_source}) define no labels of {task.name}; a "
                             "definitions file defines every task the config runs, so no task falls back to the "
                             "codebook unannounced")
        given = config.definitions[task.name] if config.definitions else task.definitions
        if set(given) != set(task.labels):
            raise BenchError(f"the definitions ({config.definitions_source}) of {task.name} must define exactly its "
                             f"labels: {', '.join(task.labels)}")
    if config.per_target and config.per_target != "fallback":
        for task, examples in data:
            for evaluation in chosen_evaluations(config, examples):
                for fold in evaluation.folds:
                    train, test = split(examples, fold)
                    unseen = sorted({e.target for e in test} - {e.target for e in train})
                    if unseen and train:
                        raise BenchError(f"{task.name} {evaluation.name}: target(s) {', '.join(map(repr, unseen))} "
                                         "have no training rows; per-target models cannot predict them "
                                         "(`per_target: fallback` predicts them with a target-blind model)")
    checked = build_model(config.model, config.params)
    if isinstance(checked, ChecksData):  # a model that reads its predictions from a file: every id, label and fold is there
        known_tasks = list(tasks) if config.dataset is None else [task.name for task, _ in data]
        problems = []
        for task, examples in data:
            folds = {fold_name(evaluation.name, number): [e.id for e in split(examples, fold)[1]]
                     for evaluation in chosen_evaluations(config, examples)
                     for number, fold in enumerate(evaluation.folds)}
            try:
                checked.check(task.name, task.labels, [e.id for e in examples], folds, known_tasks)
            except BenchError as err:
                problems.append(err)  # every task's problems in one error
        if problems:
            raise BenchError.several(problems)
    units = [(task, examples, evaluation, size)
             for task, examples in data for evaluation in chosen_evaluations(config, examples)
             for size in config.train_sizes or (None,)]
    for task, examples, evaluation, size in units:
        check_training_sides(config, task, examples, evaluation, size)
    return Plan(config, data_hash, summary, units)


def check_training_sides(config: Config, task: Task, examples: list[Example], evaluation: Evaluation,
                         size: float | None) -> None:
    """Every fold's training side, and each seed's draw of it at a training size, holds two classes: a fold that
    cannot be fitted is found while planning, before the run writes any record, not when that fold runs."""
    for fold in evaluation.folds:
        train, test = split(examples, fold)
        if not train or not test:
            continue
        tested = f"{', '.join(fold.test[:5])}{' …' if len(fold.test) > 5 else ''}"
        classes = {e.label for e in train}
        if len(classes) < 2:
            raise BenchError(f"{task.name} {evaluation.name}: the training rows of the fold testing {tested} are all "
                             f"{next(iter(classes))!r}; a classifier needs two classes (check `kinds`, `settings` "
                             "and the data's languages and groups)")
        for seed in config.seeds if size is not None else ():
            if len({e.label for e in subsample(train, size, seed)}) < 2:
                raise BenchError(f"{task.name} {evaluation.name}: training size {size} draws a single class for "
                                 f"seed {seed} in the fold testing {tested}; a larger size gives two")


def chosen_evaluations(config: Config, examples: list[Example]) -> list[Evaluation]:
    """The config's settings; an external data set without `settings` gets every setting its data supports."""
    if config.settings:
        languages = Languages(config.dataset.train_languages, config.dataset.test_languages) if config.dataset else None
        return [e for setting in config.settings for e in evaluations(setting, examples, config.folds, languages)]
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
              done: Callable[[Plan, list[Result]], None] | None = None,
              progress: Progress | None = None) -> list[list[Result]]:
    """Run the folds of each plan's units through joblib and call `done(plan, results)` as soon as a plan is
    complete; `progress` counts each experiment and each fold as it completes (see `fold_count`).

    The n-gram models' texts are analysed once per plan before the folds start, spread over the jobs, and
    the workers memory-map that analysis. Each fold seeds its own models, so the results are the same for
    any number of jobs and any backend.
    """
    from joblib import delayed, parallel_config
    check_jobs(jobs, backend)
    results = []
    with parallel_config(backend=joblib_backend(backend), n_jobs=jobs):
        for p in plans:
            if progress is not None:
                progress.start(p.config.name)
            texts = list(dict.fromkeys(e.text for _, examples, _, _ in p.units for e in examples))
            shared = ngrams.prepare(config_model(p.config)[0], texts, jobs, save=jobs != 1)
            work = [(u, number) for u, (_, _, evaluation, _) in enumerate(p.units)
                    for number in range(len(evaluation.folds))]
            outputs: list[FoldRun | None] = [None] * len(work)
            try:
                for index, output in as_completed(delayed(run_fold)(p.config, *p.units[u][:3], number,
                                                                    train_size=p.units[u][3], shared=shared)
                                                  for u, number in work):
                    outputs[index] = output
                    if progress is not None:
                        progress.advance()
            finally:
                if shared is not None:
                    shutil.rmtree(shared, ignore_errors=True)
            by_unit: list[list[FoldRun | None]] = [[] for _ in p.units]
            for (u, _), output in zip(work, outputs):
                by_unit[u].append(output)
            results.append([score_evaluation(p.config, task, evaluation, size, by_unit[u])
                            for u, (task, _, evaluation, size) in enumerate(p.units)])
            if done is not None:
                done(p, results[-1])
            if progress is not None:
                progress.finish(p.config.name)
    return results


def fold_count(plans: list[Plan]) -> int:
    """The folds `run_plans` fits, over every plan: what its progress counts."""
    return sum(len(evaluation.folds) for p in plans for _, _, evaluation, _ in p.units)


def as_completed(calls: Iterable[tuple[Callable, tuple, dict]]) -> Iterator[tuple[int, Any]]:
    """(index, result) of each `delayed` call on joblib's current backend, in the order they finish, so that the
    parent counts them as they come (loky, threading, Dask); a backend that cannot return them one by one
    (multiprocessing, Ray) gives them all at the end."""
    from joblib import Parallel, delayed
    try:
        parallel = Parallel(return_as="generator_unordered")
    except ValueError:
        parallel = Parallel()
    return iter(parallel(delayed(_numbered)(index, function, args, kwargs)
                         for index, (function, args, kwargs) in enumerate(calls)))


def _numbered(index: int, function: Callable, args: tuple, kwargs: dict) -> tuple[int, Any]:
    return index, function(*args, **kwargs)


def usable_cores() -> int:
    """The cores this process may run on (its affinity where the system reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_jobs(jobs: int, backend: str = "loky", flag: str = "--jobs") -> int:
    """A number of parallel jobs, or -1 for one per core. On this machine (loky, threading, multiprocessing) at most
    its usable cores: each worker costs memory, and more workers than cores only slow a run down. A Ray or Dask
    cluster's size is its own."""
    local = BACKENDS.get(backend) is None
    cores = usable_cores()
    if jobs == -1 or (jobs >= 1 and (not local or jobs <= cores)):
        return jobs
    bound = f"from 1 to {cores} (this machine's usable cores)" if local else "a positive number of jobs"
    raise BenchError(f"{flag} must be {bound}, or -1 for one per core; got {jobs}")


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
            from dask.distributed import Client, get_client  # joblib's dask backend runs on the current client
            try:
                get_client()
            except ValueError:  # none yet: join the scheduler in DASK_SCHEDULER_ADDRESS, or start a local cluster
                Client()
    except ImportError:
        raise BenchError(f"the {name} backend needs its package: pip install '{BACKENDS[name]}'") from None
    except OSError as err:  # an unreachable scheduler or cluster: dask raises OSError, Ray ConnectionError
        raise BenchError(f"the {name} backend could not connect: {err}") from None
    return name


def trained_side_model(config: Config, task: Task, train: list[Example], evaluation: Evaluation,
                       number: int) -> tuple[BaseEstimator, dict[str, Any]]:
    """The model one fold fits on its training side, unfitted, and what its record says of the selection.

    The config's model (one copy per target where it asks), seeded with its first seed, given its definitions,
    the task's and the fold's name, with the grid's hyperparameters chosen by inner cross-validation on `train`.
    """
    model, grid = config_model(config)
    fold_model = for_fold(model, config, task, evaluation, number, config.seeds[0])
    if not grid:
        return fold_model, {}
    chosen, selection = remembered(select, fold_model, grid, train, config.folds)
    return fold_model.set_params(**chosen), {"selection": selection}

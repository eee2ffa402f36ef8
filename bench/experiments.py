"""Experiments: YAML configs in, one JSON record per experiment out (scores, predictions, provenance)."""

from __future__ import annotations

import importlib.metadata
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np
import yaml

from . import external
from .corpus import Corpus
from .external import DatasetSpec
from .files import BenchError, atomic_write, dump_json, read_text, sha256_files
from .labels import GOLD, LabelRow
from .models import build_model, configured
from .scores import per_class, summarize
from .tasks import DEFAULT_FOLDS, SETTINGS, Evaluation, Example, Task, build_examples, evaluations, split

CONFIG_KEYS = ("name", "description", "model", "tasks", "settings", "kinds", "seeds", "bootstrap", "train_sizes",
               "folds", "dataset")
MODEL_KEYS = ("name", "params")
BOOTSTRAP_KEYS = ("resamples", "seed", "confidence")
DATASET_KEYS = ("path", "format", "encoding", "columns", "name", "labels", "poles", "language", "definitions")
RESULTS = Path("results")
RECORDS = RESULTS / "records"
PACKAGES = ("numpy", "scikit-learn", "pandas", "scipy", "krippendorff", "pyyaml")


@dataclass(frozen=True)
class Config:
    name: str
    model: str
    params: dict = field(default_factory=dict)
    tasks: tuple[str, ...] = ("topic", "stance_war", "stance_defector")
    settings: tuple[str, ...] = ("in_language", "cross_lingual", "multilingual")
    kinds: tuple[str, ...] = ("body",)
    seeds: tuple[int, ...] = (0,)
    resamples: int = 1000
    bootstrap_seed: int = 0
    confidence: float = 0.95
    description: str = ""
    train_sizes: tuple[int, ...] = ()  # a learning curve: train on this many paragraphs of each fold
    folds: int = DEFAULT_FOLDS  # grouped cross-validation: leave one group out up to this many groups, else k-fold
    dataset: DatasetSpec | None = None  # an external data set instead of the benchmark's corpus


def _check_keys(node: yaml.MappingNode, allowed: Sequence[str], path: Path, where: str) -> dict[str, int]:
    """The mapping's keys and their line numbers, each checked against the allowed ones; a typo is an error there."""
    lines = {}
    for key, _ in node.value:
        if key.value not in allowed:
            raise BenchError(f"unknown key {key.value!r} in {where} (allowed: {', '.join(allowed)})",
                             path, key.start_mark.line + 1)
        lines[key.value] = key.start_mark.line + 1
    return lines


def _mapping(node: yaml.Node | None) -> yaml.MappingNode | None:
    return node if isinstance(node, yaml.MappingNode) else None


def load_config(path: Path, known: dict[str, Sequence[str]] | None = None) -> Config:
    """Parse and check a config; `known` lists the allowed names for `tasks`, `settings` and `kinds`."""
    path = Path(path)
    text = read_text(path)
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise BenchError(f"invalid YAML: {getattr(err, 'problem', err)}", path,
                         mark.line + 1 if mark else None) from None
    if _mapping(root) is None:
        raise BenchError("an experiment config must be a mapping", path, 1)
    lines = _check_keys(root, CONFIG_KEYS, path, "the config")
    nodes = {key.value: value for key, value in root.value}
    model_node = _mapping(nodes.get("model"))
    if model_node is None or "name" not in data["model"]:
        raise BenchError("'model' must be a mapping with a 'name'", path, lines.get("model", 1))
    model_lines = _check_keys(model_node, MODEL_KEYS, path, "model")
    bootstrap = data.get("bootstrap") or {}
    if bootstrap_node := _mapping(nodes.get("bootstrap")):
        _check_keys(bootstrap_node, BOOTSTRAP_KEYS, path, "bootstrap")

    def string_list(key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = data.get(key, list(default))
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise BenchError(f"{key!r} must be a non-empty list of names", path, lines.get(key))
        allowed = (known or {}).get(key)
        unknown = [v for v in value if allowed is not None and v not in allowed]
        if unknown:
            raise BenchError(f"unknown {key} {', '.join(map(repr, unknown))} (known: {', '.join(allowed)})",
                             path, lines.get(key))
        return tuple(value)

    seeds = data.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds or not all(isinstance(s, int) for s in seeds):
        raise BenchError("'seeds' must be a non-empty list of integers", path, lines.get("seeds"))
    params = data["model"].get("params") or {}
    if not isinstance(params, dict):
        raise BenchError("'model.params' must be a mapping", path, model_lines.get("params"))
    resamples = bootstrap.get("resamples", 1000)
    if not isinstance(resamples, int) or resamples < 1:
        raise BenchError("'bootstrap.resamples' must be a positive integer", path, lines.get("bootstrap"))
    sizes = data.get("train_sizes", [])
    if not isinstance(sizes, list) or not all(isinstance(n, int) and n >= 2 for n in sizes):
        raise BenchError("'train_sizes' must be a list of integers of at least 2", path, lines.get("train_sizes"))
    folds = data.get("folds", DEFAULT_FOLDS)
    if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
        raise BenchError("'folds' must be an integer of at least 2", path, lines.get("folds"))
    dataset = None
    if "dataset" in data:
        dataset = dataset_spec(path, nodes["dataset"], data["dataset"], lines)
        local = [key for key in ("tasks", "kinds") if key in data]
        if local:
            raise BenchError(f"{local[0]!r} applies to the benchmark's corpus, not to an external data set",
                             path, lines[local[0]])
    defaults = Config("", "")
    config = Config(
        name=str(data.get("name", path.stem)), model=str(data["model"]["name"]), params=params,
        tasks=(dataset.task_name,) if dataset else string_list("tasks", defaults.tasks),
        settings=() if dataset and "settings" not in data else string_list("settings", defaults.settings),
        kinds=() if dataset else string_list("kinds", defaults.kinds), seeds=tuple(seeds), resamples=resamples,
        bootstrap_seed=int(bootstrap.get("seed", 0)), confidence=float(bootstrap.get("confidence", 0.95)),
        description=str(data.get("description", "")), train_sizes=tuple(sizes), folds=folds, dataset=dataset,
    )
    try:
        build_model(config.model, config.params)
    except BenchError as err:
        raise BenchError(err.message, path, model_lines.get("params" if params else "name")) from None
    return config


def dataset_spec(path: Path, node: yaml.Node, data, lines: dict[str, int]) -> DatasetSpec:
    """The `dataset:` block, with its file resolved against the config's folder."""
    mapping = _mapping(node)
    if mapping is None or not isinstance(data.get("path"), str) or not isinstance(data.get("columns"), dict):
        raise BenchError("'dataset' must be a mapping with a 'path' and a 'columns' mapping", path, lines["dataset"])
    keys = _check_keys(mapping, DATASET_KEYS, path, "dataset")
    for key in ("labels", "poles"):
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
            raise BenchError(f"'dataset.{key}' must be a list of labels", path, keys[key])
    if not all(isinstance(k, str) and isinstance(v, (str, int)) for k, v in data["columns"].items()):
        raise BenchError("'dataset.columns' maps roles to column names", path, keys["columns"])
    definitions = data.get("definitions") or {}
    if not isinstance(definitions, dict):
        raise BenchError("'dataset.definitions' maps labels to descriptions", path, keys["definitions"])
    spec = DatasetSpec(
        path=str((path.parent / data["path"]).resolve()),
        columns={role: str(column) for role, column in data["columns"].items()},
        format=str(data.get("format", "")), encoding=str(data.get("encoding", "utf-8")),
        name=str(data.get("name", "")), labels=tuple(map(str, data.get("labels", []))),
        poles=tuple(map(str, data.get("poles", []))), language=str(data.get("language", "und")),
        definitions={str(k): str(v) for k, v in definitions.items()},
    )
    problem = external.check_spec(spec)
    if problem:
        raise BenchError(problem, path, lines["dataset"])
    return spec


def known_names(tasks: dict[str, Task], kinds: Sequence[str]) -> dict[str, Sequence[str]]:
    return {"tasks": list(tasks), "settings": list(SETTINGS), "kinds": list(kinds)}


def git(root: Path, *args: str) -> str:
    """A git command's output in the checkout, or "" where there is no git or no repository."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def provenance(root: Path, data_sha256: str, config: Config) -> dict:
    """Where a record came from: the code's commit, the library versions, the data's hash, config and seeds."""
    versions = {"python": platform.python_version()}
    for package in ("deserter-bench", *PACKAGES):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return {
        "commit": git(root, "rev-parse", "HEAD") or "unknown",
        "dirty": bool(git(root, "status", "--porcelain", "--", "bench", "seeds", "labels", "experiments/*.yaml")),
        "versions": versions,
        "data_sha256": data_sha256,
        "config": asdict(config),
        "seeds": list(config.seeds),
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv)),
    }


def benchmark_sha256(corpus: Corpus, labels_dir: Path) -> str:
    """One hash over the seed files, the manifest and the gold labels."""
    return sha256_files([*corpus.root.glob("*"), labels_dir / GOLD])


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


def plan(config: Config, tasks: dict[str, Task], corpus: Corpus, gold: dict[str, LabelRow],
         benchmark_hash: str) -> Plan:
    """Read the experiment's data and list every (task, evaluation, train size) it runs, before running any."""
    if config.dataset is not None:
        task, examples, summary = external.load(config.dataset)
        data, data_hash = [(task, examples)], summary["sha256"]
    else:
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


def run_plans(plans: list[Plan], jobs: int = 1, backend: str = "loky", done=None) -> list[list[dict]]:
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


def predict_unlabelled(config: Config, tasks: dict[str, Task], corpus: Corpus, gold: dict[str, LabelRow],
                       ids: Sequence[str]) -> dict[str, dict[str, str]]:
    """Labels for the given paragraphs from the config's model trained on all gold paragraphs of its kinds."""
    paragraphs = corpus.by_id()
    predictions: dict[str, dict[str, str]] = {i: {} for i in ids}
    for name in config.tasks:
        task = tasks[name]
        train = build_examples(task, corpus, gold, config.kinds)
        todo = [Example(i, paragraphs[i].doc, paragraphs[i].language, paragraphs[i].story, "", task.target or "",
                        paragraphs[i].text, "") for i in ids]
        model = configured(build_model(config.model, config.params), config.seeds[0], task.definitions)
        for i, label in zip(ids, model.fit(frame(train), [e.label for e in train]).predict(frame(todo))):
            predictions[i][name] = str(label)
    return predictions


def write_record(records_dir: Path, config: Config, results: list[dict], origin: dict,
                 dataset: dict | None = None) -> Path:
    path = records_dir / f"{config.name}.json"
    record = {"experiment": config.name, "model": config.model, "learning_curve": bool(config.train_sizes),
              "description": config.description, "provenance": origin, "results": results}
    if dataset is not None:
        record["dataset"] = dataset
    atomic_write(path, dump_json(record))
    return path


FINE_TUNING = "finetune"


def config_paths(experiments_dir: Path, include_fine_tuning: bool = False) -> list[Path]:
    """The default experiments; the slow fine-tuning ones in experiments/finetune/ only when asked."""
    paths = sorted(experiments_dir.glob("*.yaml"))
    return paths + sorted((experiments_dir / FINE_TUNING).glob("*.yaml")) if include_fine_tuning else paths

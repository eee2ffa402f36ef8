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

from .corpus import Corpus
from .files import BenchError, atomic_write, dump_json, read_text, sha256_files
from .labels import GOLD, LabelRow
from .models import build_model, configured
from .scores import per_class, summarize
from .tasks import SETTINGS, Evaluation, Example, Task, build_examples, evaluations, split

CONFIG_KEYS = ("name", "description", "model", "tasks", "settings", "kinds", "seeds", "bootstrap", "train_sizes")
MODEL_KEYS = ("name", "params")
BOOTSTRAP_KEYS = ("resamples", "seed", "confidence")
RECORDS = Path("results") / "records"
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
    defaults = Config("", "")
    config = Config(
        name=str(data.get("name", path.stem)), model=str(data["model"]["name"]), params=params,
        tasks=string_list("tasks", defaults.tasks), settings=string_list("settings", defaults.settings),
        kinds=string_list("kinds", defaults.kinds), seeds=tuple(seeds), resamples=resamples,
        bootstrap_seed=int(bootstrap.get("seed", 0)), confidence=float(bootstrap.get("confidence", 0.95)),
        description=str(data.get("description", "")), train_sizes=tuple(sizes),
    )
    try:
        build_model(config.model, config.params)
    except BenchError as err:
        raise BenchError(err.message, path, model_lines.get("params" if params else "name")) from None
    return config


def known_names(tasks: dict[str, Task], kinds: Sequence[str]) -> dict[str, Sequence[str]]:
    return {"tasks": list(tasks), "settings": list(SETTINGS), "kinds": list(kinds)}


def git(root: Path, *args: str) -> str:
    """A git command's output in the checkout, or "" where there is no git or no repository."""
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30,
                              check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def provenance(root: Path, corpus: Corpus, labels_dir: Path, config: Config) -> dict:
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
        "data_sha256": sha256_files([*corpus.root.glob("*"), labels_dir / GOLD]),
        "config": asdict(config),
        "seeds": list(config.seeds),
        "command": " ".join(Path(a).name if i == 0 else a for i, a in enumerate(sys.argv)),
    }


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
            raise BenchError(f"{config.name}: {task.name} {evaluation.name}: training documents "
                             f"{', '.join(fold.train_docs)} have a single class")
        folds.append({"train_docs": list(fold.train_docs), "test_docs": list(fold.test_docs),
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
        "scores": summarize(gold, predictions, task.labels, task.is_stance, config.resamples,
                            config.bootstrap_seed, config.confidence),
        "per_class": per_class(gold, predictions[0], task.labels) if len(config.seeds) == 1 else {
            str(seed): per_class(gold, pred, task.labels) for seed, pred in zip(config.seeds, predictions)},
        "predictions": [{"id": e.id, "gold": e.label, "pred": [pred[i] for pred in predictions]}
                        for i, e in enumerate(test_rows)],
    }


def run_experiment(config: Config, tasks: dict[str, Task], corpus: Corpus, gold: dict[str, LabelRow]) -> list[dict]:
    results = []
    for task_name in config.tasks:
        task = tasks[task_name]
        examples = build_examples(task, corpus, gold, config.kinds)
        for setting in config.settings:
            for evaluation in evaluations(setting, examples):
                for size in config.train_sizes or (None,):
                    results.append(run_evaluation(config, task, examples, evaluation, size))
    return results


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


def write_record(experiments_dir: Path, config: Config, results: list[dict], origin: dict) -> Path:
    path = experiments_dir / RECORDS / f"{config.name}.json"
    atomic_write(path, dump_json({"experiment": config.name, "model": config.model,
                                  "learning_curve": bool(config.train_sizes),
                                  "description": config.description, "provenance": origin,
                                  "results": results}))
    return path


FINE_TUNING = "finetune"


def config_paths(experiments_dir: Path, include_fine_tuning: bool = False) -> list[Path]:
    """The default experiments; the slow fine-tuning ones in experiments/finetune/ only when asked."""
    paths = sorted(experiments_dir.glob("*.yaml"))
    return paths + sorted((experiments_dir / FINE_TUNING).glob("*.yaml")) if include_fine_tuning else paths

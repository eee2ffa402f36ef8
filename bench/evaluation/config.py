"""Experiment configs: YAML files read into a checked `Config`, every problem an error naming the file and line."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from sklearn.base import clone

from ..files import BenchError, check_name, read_yaml
from ..models import build_model, rehearse
from ..models.registry import MAX_SEED, MODELS, as_parameters, checked
from . import external
from .external import DatasetSpec
from .settings import DEFAULT_FOLDS, SETTINGS
from .tasks import Task

CONFIG_KEYS = ("name", "description", "model", "tasks", "settings", "kinds", "seeds", "bootstrap", "train_sizes",
               "folds", "dataset", "definitions", "per_target", "metric", "corpus_informed")
METRICS = ("by_task", "macro_f1", "f_avg")  # by_task: F_avg for stance tasks, macro-F1 otherwise
PER_TARGET = (False, True, "fallback")
MAX_RESAMPLES = 1_000_000
MODEL_KEYS = ("name", "params", "grid")
BOOTSTRAP_KEYS = ("resamples", "seed", "confidence")
DATASET_KEYS = ("path", "format", "encoding", "columns", "name", "labels", "poles", "language", "definitions",
                "languages", "train_languages", "test_languages", "report_by")
NAME_LISTS = ("languages", "train_languages", "test_languages", "report_by")  # dataset keys that list names


@dataclass(frozen=True)
class Config:
    """A checked experiment config: the model, its data, settings, seeds and bootstrap."""
    name: str
    model: str
    params: dict = field(default_factory=dict)
    tasks: tuple[str, ...] = ("topic", "stance_war", "stance_defector")
    settings: tuple[str, ...] = ("in_language", "cross_lingual", "cross_lingual_same_story", "leave_one_story_out")
    kinds: tuple[str, ...] = ("body",)
    seeds: tuple[int, ...] = (0,)
    resamples: int = 1000
    bootstrap_seed: int = 0
    confidence: float = 0.95
    description: str = ""
    # A learning curve: train on this share of each fold's training paragraphs (a fraction), or this many.
    train_sizes: tuple[float, ...] = ()
    folds: int = DEFAULT_FOLDS  # grouped cross-validation: leave one group out up to this many groups, else k-fold
    dataset: DatasetSpec | None = None  # an external data set instead of the benchmark's corpus
    # Hyperparameters chosen by inner grouped cross-validation on each outer fold's training side: a
    # scikit-learn param_grid (a mapping of parameter to candidate values, or a list of such mappings).
    grid: tuple[dict, ...] = ()
    # Label definitions per task for models that read them (zero-shot); None: the codebook's (GUIDELINES.md).
    definitions: dict[str, dict[str, str]] | None = None
    definitions_source: str = "codebook"
    # One copy of the model per stance target; "fallback": a target-blind copy predicts unseen targets.
    per_target: bool | str = False
    metric: str = "by_task"  # the main metric of the tables: by_task (F_avg for stance, macro-F1 otherwise), or one
    # The model was given content of the test corpus (definitions that name it): its rows sit outside the ranking.
    corpus_informed: bool = False


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


@dataclass(frozen=True)
class _Document:
    """A config file read as YAML: its data, and each top-level key's node and line for errors that name it."""
    path: Path
    data: dict
    nodes: dict[str, yaml.Node]
    lines: dict[str, int]


def _parse(path: Path) -> _Document:
    """The YAML document, a mapping with no key given twice and only known top-level keys."""
    root, data = read_yaml(path)
    mapping = _mapping(root)
    if mapping is None or not isinstance(data, dict):
        raise BenchError("an experiment config must be a mapping", path, 1)
    lines = _check_keys(mapping, CONFIG_KEYS, path, "the config")
    return _Document(path, data, {key.value: value for key, value in mapping.value}, lines)


def _model_lines(doc: _Document) -> dict[str, int]:
    """The `model` block's keys and lines: a mapping with a `name`."""
    model_node = _mapping(doc.nodes.get("model"))
    if model_node is None or "name" not in doc.data["model"]:
        raise BenchError("'model' must be a mapping with a 'name'", doc.path, doc.lines.get("model", 1))
    return _check_keys(model_node, MODEL_KEYS, doc.path, "model")


def _bootstrap_lines(doc: _Document) -> dict[str, int]:
    """The `bootstrap` block's keys and lines, where it is a mapping (its values are checked by check_bootstrap)."""
    if bootstrap_node := _mapping(doc.nodes.get("bootstrap")):
        return _check_keys(bootstrap_node, BOOTSTRAP_KEYS, doc.path, "bootstrap")
    return {}


def _seeds(doc: _Document) -> tuple[int, ...]:
    seeds = doc.data.get("seeds", [0])
    if not isinstance(seeds, list) or not seeds or not all(seed_value(s) for s in seeds):
        raise BenchError(f"'seeds' must be a non-empty list of integers from 0 to {MAX_SEED}", doc.path,
                         doc.lines.get("seeds"))
    return tuple(seeds)


def _params(doc: _Document, model_lines: dict[str, int]) -> dict:
    params = doc.data["model"].get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(key, str) for key in params):
        raise BenchError("'model.params' must be a mapping of parameter names to values", doc.path,
                         model_lines.get("params"))
    family = MODELS.get(str(doc.data["model"]["name"]))
    files = getattr(family.build, "path_parameters", ()) if family else ()  # such as predictions_file's `path`
    return {key: str((doc.path.parent / value).resolve()) if key in files and isinstance(value, str) and value else value
            for key, value in params.items()}  # read relative to the config, as `dataset.path` and `definitions` are


def _train_sizes_and_folds(doc: _Document) -> tuple[tuple[float, ...], int]:
    """The learning curve's training sizes and the number of grouped folds."""
    sizes = doc.data.get("train_sizes", [])
    if not isinstance(sizes, list) or not all(
            (integer(n) and n >= 2) or (isinstance(n, float) and 0 < n <= 1) for n in sizes):
        raise BenchError("'train_sizes' must be a list of fractions in (0, 1] or of integers of at least 2", doc.path,
                         doc.lines.get("train_sizes"))
    folds = doc.data.get("folds", DEFAULT_FOLDS)
    if not isinstance(folds, int) or isinstance(folds, bool) or folds < 2:
        raise BenchError("'folds' must be an integer of at least 2", doc.path, doc.lines.get("folds"))
    return tuple(sizes), folds


def _dataset(doc: _Document) -> DatasetSpec | None:
    """The external data set, if the config names one; the corpus's own keys do not apply to it."""
    if "dataset" not in doc.data:
        return None
    dataset = dataset_spec(doc.path, doc.nodes["dataset"], doc.data["dataset"], doc.lines)
    local = [key for key in ("tasks", "kinds") if key in doc.data]
    if local:
        raise BenchError(f"{local[0]!r} applies to the benchmark's corpus, not to an external data set",
                         doc.path, doc.lines[local[0]])
    return dataset


def _settings(doc: _Document, dataset: DatasetSpec | None, default: tuple[str, ...],
              known: dict[str, Sequence[str]] | None) -> tuple[str, ...]:
    """The settings to run; on an external data set without `settings`, every one its data supports (), or the
    given split alone where the block chooses its training or test languages, which no other setting takes."""
    chooses = dataset is not None and bool(dataset.train_languages or dataset.test_languages)
    if dataset is not None and "settings" not in doc.data:
        return ("given_split",) if chooses else ()
    settings = _names(doc, "settings", default, known)
    others = [s for s in settings if chooses and not (s in SETTINGS and SETTINGS[s].takes_languages)]
    if others:
        raise BenchError(f"setting(s) {', '.join(map(repr, others))} choose their own languages; "
                         "'dataset.train_languages' and 'test_languages' apply to given_split only (run the others "
                         "from a config without them)", doc.path, doc.lines.get("settings"))
    return settings


def _names(doc: _Document, key: str, default: tuple[str, ...], known: dict[str, Sequence[str]] | None) -> tuple[str, ...]:
    """A non-empty list of names under `key`, each one of the `known` names where they are given."""
    value = doc.data.get(key, list(default))
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise BenchError(f"{key!r} must be a non-empty list of names", doc.path, doc.lines.get(key))
    allowed = (known or {}).get(key)
    unknown = [v for v in value if v not in allowed] if allowed is not None else []
    if allowed is not None and unknown:
        raise BenchError(f"unknown {key} {', '.join(map(repr, unknown))} (known: {', '.join(allowed)})",
                         doc.path, doc.lines.get(key))
    return tuple(value)


def _rehearse(config: Config, path: Path, model_lines: dict[str, int]) -> None:
    """Build the model with its parameters and with every grid value, so a bad one fails before any run."""
    try:
        model = build_model(config.model, config.params)
        rehearse(config.model, model)
    except BenchError as err:
        if err.path is not None:  # a file the model reads, such as predictions_file's: the error names its line
            raise
        raise BenchError(err.message, path, model_lines.get("params" if config.params else "name")) from None
    for candidates in config.grid:
        for parameter, values in candidates.items():
            for value in values:
                try:
                    rehearse(config.model, checked(clone(model).set_params(**as_parameters({parameter: value}))))
                except (BenchError, ValueError, TypeError) as err:
                    raise BenchError(f"model.grid: {getattr(err, 'message', err)}", path, model_lines.get("grid")) from None


def load_config(path: Path, known: dict[str, Sequence[str]] | None = None) -> Config:
    """Parse and check a config; `known` lists the allowed names for `tasks`, `settings` and `kinds`.

    The sections are checked in a fixed order, so a config with several problems always reports the same one.
    """
    doc = _parse(Path(path))
    path, data, lines = doc.path, doc.data, doc.lines
    model_lines = _model_lines(doc)
    bootstrap_lines = _bootstrap_lines(doc)
    seeds = _seeds(doc)
    params = _params(doc, model_lines)
    name = check_name(str(data.get("name", path.stem)), "the experiment's name", path, lines.get("name", 1))
    resamples, bootstrap_seed, confidence = check_bootstrap(data.get("bootstrap") or {}, path, lines.get("bootstrap"),
                                                            bootstrap_lines)
    train_sizes, folds = _train_sizes_and_folds(doc)
    dataset = _dataset(doc)
    defaults = Config("", "")
    config = Config(
        name=name, model=str(data["model"]["name"]), params=params,
        tasks=(dataset.task_name,) if dataset else _names(doc, "tasks", defaults.tasks, known),
        settings=_settings(doc, dataset, defaults.settings, known),
        kinds=() if dataset else _names(doc, "kinds", defaults.kinds, known), seeds=seeds, resamples=resamples,
        bootstrap_seed=bootstrap_seed, confidence=confidence, description=str(data.get("description", "")),
        train_sizes=train_sizes, folds=folds, dataset=dataset,
        grid=check_grid(data["model"].get("grid"), path, model_lines.get("grid")),
        per_target=check_choice(data, "per_target", PER_TARGET, path, lines), metric=check_choice(
            data, "metric", METRICS, path, lines),
        corpus_informed=check_choice(data, "corpus_informed", (False, True), path, lines),
        **definitions_file(path, data.get("definitions"), lines.get("definitions")),
    )
    _rehearse(config, path, model_lines)
    return config


def check_choice(data: dict, key: str, allowed: Sequence, path: Path, lines: dict[str, int]):
    """A key whose value must be one of a few, defaulting to the first."""
    value = data.get(key, allowed[0])
    if not any(value is choice or (isinstance(choice, str) and value == choice) for choice in allowed):
        raise BenchError(f"{key!r} must be one of {', '.join(map(str, allowed))}, not {value!r}", path, lines.get(key))
    return value


def integer(value) -> bool:
    """An int that is not a bool (YAML reads `true` as a bool, which Python counts as an int)."""
    return isinstance(value, int) and not isinstance(value, bool)


def seed_value(value) -> bool:
    """A seed numpy, scikit-learn and torch all accept."""
    return integer(value) and 0 <= value <= MAX_SEED


def check_bootstrap(block, path: Path, line: int | None, lines: dict[str, int] | None = None) -> tuple[int, int, float]:
    """(resamples, seed, confidence) of the `bootstrap` block, each checked before any experiment runs; `lines`
    gives each key's line where the block is a YAML mapping."""
    if not isinstance(block, dict):
        raise BenchError("'bootstrap' must be a mapping of resamples, seed and confidence", path, line)
    at = {key: (lines or {}).get(key, line) for key in BOOTSTRAP_KEYS}
    resamples, seed, confidence = block.get("resamples", 1000), block.get("seed", 0), block.get("confidence", 0.95)
    if not integer(resamples) or not 1 <= resamples <= MAX_RESAMPLES:
        raise BenchError(f"'bootstrap.resamples' must be a positive integer of at most {MAX_RESAMPLES}", path,
                         at["resamples"])
    if not seed_value(seed):
        raise BenchError(f"'bootstrap.seed' must be an integer from 0 to {MAX_SEED}", path, at["seed"])
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise BenchError("'bootstrap.confidence' must be a number between 0 and 1, such as 0.95", path,
                         at["confidence"])
    return resamples, seed, float(confidence)


def check_grid(grid, path: Path, line: int | None) -> tuple[dict, ...]:
    """The grid as a tuple of mappings from parameter to a non-empty list of candidate values."""
    if grid is None:
        return ()
    candidates = grid if isinstance(grid, list) else [grid]
    if not candidates or not all(isinstance(c, dict) and c and all(
            isinstance(k, str) and isinstance(v, list) and v for k, v in c.items()) for c in candidates):
        raise BenchError("'model.grid' maps parameters to non-empty lists of values (or is a list of such mappings)",
                         path, line)
    return tuple(candidates)


def definitions_file(config_path: Path, value, line: int | None) -> dict:
    """The `definitions:` file (YAML, task -> label -> definition), read relative to the config."""
    if value is None:
        return {}
    if not isinstance(value, str):
        raise BenchError("'definitions' must be the path of a YAML file", config_path, line)
    path = (config_path.parent / value).resolve()
    root, data = read_yaml(path)
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise BenchError("a definitions file maps each task to a mapping of labels to definitions", path, 1)
    for (task, node), labels in zip(root.value, data.values()):
        if not isinstance(labels, dict) or not all(isinstance(k, str) and isinstance(v, str) and v.strip()
                                                   for k, v in labels.items()):
            raise BenchError(f"task {task.value!r} must map each label to its definition (a non-empty text)", path,
                             node.start_mark.line + 1)
    return {"definitions": {str(task): dict(labels) for task, labels in data.items()},
            "definitions_source": value}


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
    names = {key: _name_list(data, key, path, keys) for key in NAME_LISTS}
    spec = DatasetSpec(
        path=str((path.parent / data["path"]).resolve()),
        columns={role: str(column) for role, column in data["columns"].items()},
        format=str(data.get("format", "")), encoding=str(data.get("encoding", "utf-8")),
        name=str(data.get("name", "")), labels=tuple(map(str, data.get("labels", []))),
        poles=tuple(map(str, data.get("poles", []))), language=str(data.get("language", "und")),
        definitions={str(k): str(v) for k, v in definitions.items()}, **names,
    )
    problem = external.check_spec(spec)
    if problem:
        raise BenchError(problem, path, lines["dataset"])
    if wrong := external.check_languages(spec):
        raise BenchError(wrong[1], path, keys[wrong[0]])
    return spec


def _name_list(data: dict, key: str, path: Path, keys: dict[str, int]) -> tuple[str, ...]:
    """A `dataset:` list of names (languages, columns): non-empty where given, each name once."""
    value = data.get(key, [])
    if key in data and (not isinstance(value, list) or not value or not all(
            isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip() for v in value)):
        raise BenchError(f"'dataset.{key}' must be a non-empty list of names", path, keys[key])
    names = [str(v).strip() for v in value]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise BenchError(f"'dataset.{key}' names {', '.join(map(repr, twice))} twice", path, keys[key])
    return tuple(names)


def known_names(tasks: dict[str, Task], kinds: Sequence[str]) -> dict[str, Sequence[str]]:
    """The names a config may give under `tasks`, `settings` and `kinds`."""
    return {"tasks": list(tasks), "settings": list(SETTINGS), "kinds": list(kinds)}

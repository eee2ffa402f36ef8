import re

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bench.evaluation.config import known_names, load_config
from bench.files import BenchError


def write(tmp_path, text):
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


KNOWN = {"tasks": ["topic", "stance_war", "stance_defector"],
         "settings": ["in_language", "cross_lingual", "cross_lingual_same_story", "leave_one_story_out"],
         "kinds": ["body", "heading"]}


def test_the_shipped_configs_load(repo):
    from bench.evaluation.tasks import tasks_from_schema
    known = known_names(tasks_from_schema(repo.schema()), repo.schema().fields["kind"].labels)
    configs = {p.stem: load_config(p, known) for p in sorted(repo.experiments.glob("*.yaml"))}
    assert {"majority", "stratified", "tfidf"} <= set(configs)
    assert len(configs["stratified"].seeds) >= 3
    assert all(c.resamples >= 1000 for c in configs.values())


def test_defaults_and_name(tmp_path):
    config = load_config(write(tmp_path, "model:\n  name: majority\n"))
    assert config.name == "exp" and config.kinds == ("body",) and config.seeds == (0,)
    assert config.settings == ("in_language", "cross_lingual", "cross_lingual_same_story", "leave_one_story_out")


@pytest.mark.parametrize("text, message", [
    ("model:\n  name: tfidf\nseed: [1]\n", r"exp.yaml:3: unknown key 'seed' in the config"),
    ("model:\n  name: tfidf\n  parms: {}\n", r"exp.yaml:3: unknown key 'parms' in model"),
    ("model:\n  name: tfidf\nbootstrap:\n  resample: 10\n", r"exp.yaml:4: unknown key 'resample' in bootstrap"),
    ("model:\n  name: tfidf\n  params: {classifier__D: 1}\n", r"exp.yaml:3: model 'tfidf': Invalid parameter 'D'"),
    ("model:\n  name: bert\n", r"exp.yaml:2: unknown model 'bert'"),
    ("model:\n  name: tfidf\nseeds: zero\n", r"exp.yaml:3: 'seeds' must be a non-empty list of integers"),
    ("model: [\n", r"exp.yaml:2: invalid YAML"),
    ("tasks: [topic]\n", r"exp.yaml:1: 'model' must be a mapping"),
    ("model:\n  name: tfidf\ntasks: [topic, stance]\n", r"exp.yaml:3: unknown tasks 'stance' \(known: topic, stance_war, stance_defector\)"),
    ("model:\n  name: tfidf\nsettings: [crosslingual]\n", r"exp.yaml:3: unknown settings 'crosslingual'"),
    ("model:\n  name: tfidf\n\nkinds: [body, title]\n", r"exp.yaml:4: unknown kinds 'title'"),
    ("name: ../performance\nmodel: {name: majority}\n", r"exp.yaml:1: the experiment's name '../performance' must be letters"),
    ("model: {name: majority}\nseeds: [0]\nseeds: [1]\n", r"exp.yaml:3: key 'seeds' given twice \(first on line 2\)"),
    ("model:\n  name: tfidf\n  params: {classifier__C: 1}\n  params: {classifier__C: 2}\n", r"exp.yaml:4: key 'params' given twice"),
    ("model: {name: tfidf, grid: {classifier__C: [1], classifier__C: [2]}}\n", r"exp.yaml:1: key 'classifier__C' given twice"),
    ("model: {name: majority}\nseeds: [true, false]\n", r"exp.yaml:2: 'seeds' must be a non-empty list of integers"),
    ("model: {name: majority}\nbootstrap: {resamples: 10000000000}\n", r"'bootstrap.resamples' must be a positive integer of at most"),
])
def test_config_errors_name_the_file_and_line(tmp_path, text, message):
    with pytest.raises(BenchError, match=message):
        load_config(write(tmp_path, text), KNOWN)


YAML_PIECES = st.sampled_from(["model:", "\n", "  name: tfidf", "  name: bert", "  params: {C: 1}", "seeds: [0]",
                               "seeds: x", "tasks: [topic]", "settings: []", "folds: 1", "folds: 5", "dataset:",
                               "  path: x.csv", "  columns: {text: t}", "bootstrap: {resamples: 0}", ":", "- a",
                               "[", "{", "  ", "kinds: [body]", "train_sizes: [1]"])


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(YAML_PIECES, max_size=12))
def test_any_config_text_loads_or_names_the_line(tmp_path_factory, pieces):
    path = tmp_path_factory.mktemp("config") / "exp.yaml"
    text = "".join(pieces)
    path.write_text(text)
    try:
        load_config(path, KNOWN)
    except BenchError as error:
        assert error.path == str(path)
        assert error.line is None or 1 <= error.line <= text.count("\n") + 2


@pytest.mark.parametrize("jobs, backend, message", [
    (2, "spark", "unknown joblib backend 'spark'"),
    (0, "loky", "--jobs must be from 1 to"),
])
def test_bad_parallel_options_are_clear_errors(jobs, backend, message):
    from bench.evaluation.runner import run_plans
    with pytest.raises(BenchError, match=message):
        run_plans([], jobs, backend)



def test_a_name_from_the_file_name_must_be_plain_too(tmp_path):
    path = tmp_path / "my config.yaml"
    path.write_text("model: {name: majority}\n")
    with pytest.raises(BenchError, match=r"my config.yaml:1: the experiment's name 'my config' must be letters"):
        load_config(path, KNOWN)


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
                    st.sampled_from(["../x", ".", "majority", "tfidf", "balanced", "1e-3", "~", "0x1f"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.one_of(st.text(max_size=8), st.integers()),
                                                                       inner, max_size=3)), max_leaves=8)


def parameter_names():
    """Every parameter name of every registered model, so the fuzzer reaches the estimators' own checks."""
    from bench.models import MODELS, build_model
    return sorted({name for family in MODELS for name in build_model(family).get_params(deep=True)})


def usually(good):
    """A valid value four times in five, anything at all otherwise: so the fuzzer gets past the first check."""
    return st.integers(0, 4).flatmap(lambda draw: VALUES if draw == 0 else good)


MODEL_NAMES = ["majority", "stratified", "tfidf", "svm", "tfidf_target", "fine_tuned", "encoder_logreg", "zero_shot",
               "setfit", "prompted_lm", "predictions_file"]
CONFIGS = st.fixed_dictionaries({
    "model": usually(st.fixed_dictionaries({"name": usually(st.sampled_from(MODEL_NAMES))}, optional={
        "params": usually(st.dictionaries(st.sampled_from(parameter_names()), VALUES, max_size=3)),
        "grid": usually(st.dictionaries(st.sampled_from(parameter_names()), st.lists(VALUES, min_size=1, max_size=3),
                                        max_size=2))})),
}, optional={
    "name": usually(st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}", fullmatch=True)),
    "description": VALUES,
    "tasks": usually(st.lists(st.sampled_from(KNOWN["tasks"]), min_size=1, max_size=3)),
    "settings": usually(st.lists(st.sampled_from(KNOWN["settings"]), min_size=1, max_size=3)),
    "kinds": usually(st.just(["body"])),
    "seeds": usually(st.lists(st.integers(0, 2**32), min_size=1, max_size=3)),
    "bootstrap": usually(st.fixed_dictionaries({}, optional={
        "resamples": usually(st.integers(1, 5000)), "seed": usually(st.integers(0, 9)),
        "confidence": usually(st.floats(0.5, 0.99))})),
    "train_sizes": usually(st.lists(st.one_of(st.floats(0.1, 1), st.integers(2, 50)), max_size=3)),
    "folds": usually(st.integers(2, 10)),
    "per_target": usually(st.sampled_from([False, True, "fallback"])),
    "metric": usually(st.sampled_from(["macro_f1", "f_avg"])),
    "definitions": VALUES,
    "dataset": VALUES,
})


@settings(max_examples=300, deadline=None)
@given(document=usually(CONFIGS))
def test_any_yaml_document_loads_or_is_refused_with_its_place_and_writes_nothing(tmp_path_factory, document):
    """Arbitrary YAML documents and values under every key: a checked config or a BenchError, never a traceback."""
    import yaml
    folder = tmp_path_factory.mktemp("config")
    path = folder / "exp.yaml"
    text = yaml.safe_dump(document, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    try:
        config = load_config(path, KNOWN)
    except BenchError as error:
        event(f"refused: {error.message[:30]}")
        assert error.path is not None
        assert error.line is None or 1 <= error.line <= text.count("\n") + 2
    else:
        event("accepted")
        assert config.seeds and config.name
    assert [p.name for p in folder.iterdir()] == ["exp.yaml"], "loading a config writes nothing"


@pytest.mark.parametrize("text, message", [
    ("model: {name: majority}\nbootstrap: {confidence: 95}", "exp.yaml:2: 'bootstrap.confidence' must be a number between 0 and 1"),
    ("model: {name: majority}\nbootstrap:\n  seed: abc", "exp.yaml:3: 'bootstrap.seed' must be an integer from 0 to 4294967295"),
    ("model: {name: majority}\nbootstrap:\n  resamples: 10\n  confidence: high", "exp.yaml:4: 'bootstrap.confidence' must be a number"),
    ("model: {name: majority}\nbootstrap: {resamples: 0}", "exp.yaml:2: 'bootstrap.resamples' must be a positive integer"),
    ("model: {name: majority}\nbootstrap: 5", "exp.yaml:2: 'bootstrap' must be a mapping"),
    ("model: {name: majority}\nseeds: [true, false]", "exp.yaml:2: 'seeds' must be a non-empty list of integers"),
    ("model: {name: majority}\nseeds: [4294967296]", "exp.yaml:2: 'seeds' must be a non-empty list of integers from 0 to 4294967295"),
    ("model: {name: majority}\nmodel:\n  name: tfidf", "exp.yaml:2: key 'model' given twice (first on line 1)"),
    ("model: {name: tfidf, params: {classifier__C: -1}}", "exp.yaml:1: model 'tfidf': The 'C' parameter of LogisticRegression must be a float in the range (0.0, inf]. Got -1 instead."),
    ("model: {name: tfidf, params: {features__word__ngram_range: [2, 1]}}", "model 'tfidf': Invalid value for ngram_range=(2, 1)"),
    ("model: {name: tfidf, params: {classifier__penalty: l1}}", "Solver lbfgs supports only 'l2' or None penalties"),
    ("model: {name: svm, grid: {classifier__C: [1, -1]}}", "exp.yaml:1: model.grid: The 'C' parameter of LinearSVC"),
    ("model: {name: fine_tuned, params: {epochs: 0}}", "The 'epochs' parameter of FineTunedClassifier must be an int in the range [1, inf)"),
    ("model: {name: encoder_logreg, params: {C: high}}", "The 'C' parameter of EncoderClassifier must be a float"),
    ("model: {name: prompted_lm, params: {dtype: float16}}", "The 'dtype' parameter of PromptedLanguageModel must be a str among"),
    ("model: {name: tfidf, params: {1: 2}}", "exp.yaml:1: 'model.params' must be a mapping of parameter names to values"),
    ("model: {name: fine_tuned, params: {checkpoint: no-such-model}}", "exp.yaml:1: model 'fine_tuned': checkpoint 'no-such-model' is not one of"),
    ("model: {name: encoder_logreg, params: {encoder: e5-smal}}", "model 'encoder_logreg': checkpoint 'e5-smal' is not one of"),
    ("model: {name: prompted_lm}", "exp.yaml:1: model 'prompted_lm': a checkpoint is needed"),
])
def test_every_value_and_model_parameter_is_checked_naming_the_line(tmp_path, text, message):
    """Types, ranges and model parameters, by the estimators' own constraints (`bench run` checks every config
    this way before the first experiment; tests/test_cli.py runs one such case end to end)."""
    with pytest.raises(BenchError) as refused:
        load_config(write(tmp_path, text + "\n"), KNOWN)
    assert message in str(refused.value)


# Bad input, round three.

ALIAS_BOMB = "model: {name: majority}\nbootstrap: {}\ntypo:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi"))


def test_a_config_of_nested_aliases_is_refused_at_once_writing_nothing(project, refused):
    """Nine levels of nine aliases would stand for 387 million strings: refused at the first alias, before the
    unknown key is even looked at, and before a record could be written."""
    path = project.experiments / "bomb.yaml"
    path.write_text(ALIAS_BOMB)
    refused(project, ["run", str(path)], f"error: {path}:5: YAML aliases (*a) are not allowed; write the value out")


@pytest.mark.parametrize("text, message", [
    ("model: {name: majority}\ndescription: " + "[" * 5000 + "]" * 5000 + "\n", "exp.yaml:2: nested more than 50 levels deep"),
    ("model: {name: majority}\nseeds: &seeds [0]\nbootstrap: {seed: *seeds}\n", "exp.yaml:3: YAML aliases (*seeds) are not allowed"),
    ("model: {name: majority}\ndescription: 2024-02-30\n", "exp.yaml:2: invalid YAML value: day is out of range for month"),
])
def test_yaml_that_expands_recurses_or_cannot_be_constructed_names_the_line(tmp_path, text, message):
    with pytest.raises(BenchError, match=re.escape(message)):
        load_config(write(tmp_path, text), KNOWN)


def definitions_config(tmp_path, definitions: str):
    (tmp_path / "definitions.yaml").write_text(definitions)
    return write(tmp_path, "model: {name: majority}\ndefinitions: definitions.yaml\n")


@pytest.mark.parametrize("definitions, message, line", [
    ("topic:\n  loss: Losses.\n  loss: Casualties.\n", "key 'loss' given twice (first on line 2)", 3),
    ("topic:\n  loss: Losses.\ntopic:\n  escape: Flight.\n", "key 'topic' given twice (first on line 1)", 3),
    ("topic:\n  loss: Losses.\nstance_war: [favor, against]\n", "task 'stance_war' must map each label to its definition", 3),
    ("topic:\n  loss: ''\n", "task 'topic' must map each label to its definition (a non-empty text)", 2),
    ("- topic\n", "a definitions file maps each task to a mapping of labels to definitions", 1),
    ("topic: &t {loss: Losses.}\nstance_war: *t\n", "YAML aliases (*t) are not allowed", 2),
    ("topic:\n  loss: [\n", "invalid YAML", 3),
])
def test_a_definitions_file_is_read_as_a_config_is_naming_its_own_line(tmp_path, definitions, message, line):
    """The same reader as the config's: keys given twice are refused, and every error names the line."""
    with pytest.raises(BenchError) as refused:
        load_config(definitions_config(tmp_path, definitions), KNOWN)
    assert message in refused.value.message
    assert (refused.value.path, refused.value.line) == (str(tmp_path / "definitions.yaml"), line)


def test_the_shipped_definitions_load(repo):
    config = load_config(repo.experiments / "e5_generic_zero_shot.yaml")
    assert set(config.definitions) == {"topic", "stance_war", "stance_defector"}


def test_a_bad_predictions_file_met_while_rehearsing_names_its_own_line(tmp_path):
    """The config is checked by fitting its model once; predictions_file reads its file then, and its errors
    point at that file's line, not at the config's `params` line. (Its rows are judged when the run is planned,
    every problem at once: tests/models/test_predictions_file.py.)"""
    predictions = tmp_path / "predictions.csv"
    predictions.write_text("id,task,label\n000-01,topic,loss\n000-01,topic,escape,other\n")
    config = write(tmp_path, f"model:\n  name: predictions_file\n  params:\n    path: {predictions}\n")
    with pytest.raises(BenchError) as refused:
        load_config(config, KNOWN)
    assert refused.value.message == "wrong number of columns"
    assert (refused.value.path, refused.value.line) == (str(predictions), 3)

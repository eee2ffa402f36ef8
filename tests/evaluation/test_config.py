import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.evaluation.config import known_names, load_config
from bench.files import BenchError


def write(tmp_path, text):
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


KNOWN = {"tasks": ["topic", "stance_war", "stance_defector"],
         "settings": ["in_language", "cross_lingual", "cross_lingual_same_story", "multilingual"],
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
    assert config.settings == ("in_language", "cross_lingual", "cross_lingual_same_story", "multilingual")


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
    (0, "loky", "--jobs must be a positive number"),
])
def test_bad_parallel_options_are_clear_errors(jobs, backend, message):
    from bench.evaluation.runner import run_plans
    with pytest.raises(BenchError, match=message):
        run_plans([], jobs, backend)

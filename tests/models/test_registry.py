import pandas as pd
import pytest

from bench.files import BenchError
from bench.models import build_model, configured

TEXTS = ["he refused to fight in a criminal war", "six helicopters were shot down", "he crossed the border on foot",
         "the asylum request was rejected", "he refused to kill Ukrainians", "losses of pilots were high"] * 2
LABELS = ["motivation", "losses", "escape", "asylum_policy", "motivation", "losses"] * 2


def frame(texts):
    return pd.DataFrame({"text": texts, "target": [""] * len(texts)})


@pytest.mark.parametrize("name", ["majority", "stratified", "tfidf"])
def test_every_baseline_fits_and_predicts_known_labels(name):
    model = configured(build_model(name), 0).fit(frame(TEXTS), LABELS)
    predictions = model.predict(frame(["he refused to fight", "a new text"]))
    assert len(predictions) == 2 and set(predictions) <= set(LABELS)


def test_tfidf_learns_the_training_set():
    model = build_model("tfidf").fit(frame(TEXTS), LABELS)
    assert list(model.predict(frame(TEXTS))) == LABELS


def test_majority_predicts_the_most_frequent_class():
    model = build_model("majority").fit(frame(TEXTS[:3]), ["escape", "escape", "losses"])
    assert list(model.predict(frame(["x", "y"]))) == ["escape", "escape"]


def test_seed_reaches_every_random_state():
    model = configured(build_model("stratified"), 42)
    assert model.get_params()["random_state"] == 42
    first = model.fit(frame(TEXTS), LABELS).predict(frame(TEXTS))
    again = configured(build_model("stratified"), 42).fit(frame(TEXTS), LABELS).predict(frame(TEXTS))
    assert list(first) == list(again)


def test_unknown_model_and_parameter():
    with pytest.raises(BenchError, match="unknown model 'bert'"):
        build_model("bert")
    with pytest.raises(BenchError, match="model 'tfidf': Invalid parameter 'clasifier'"):
        build_model("tfidf", {"clasifier__C": 1})
    with pytest.raises(BenchError, match="model 'tfidf': .*keywords must be strings"):
        build_model("tfidf", {1: 2})


def test_a_parameter_inside_a_step_replaced_by_a_plain_value():
    params = {"features__char": "drop", "features__char__min_df": 2}
    with pytest.raises(BenchError, match="model 'tfidf': a parameter names a step inside a step the params replace"):
        build_model("tfidf", params)


def test_transformer_models_without_their_dependencies(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(BenchError, match=r"model 'zero_shot' needs the optional `models` dependencies: .*'\.\[models\]'"):
        build_model("zero_shot")
    assert build_model("tfidf") is not None


def test_setfit_without_the_gpu_extra_names_that_extra(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "setfit" else real(name, *a))
    with pytest.raises(BenchError, match=r"model 'setfit' needs the optional `gpu` dependencies: .*'\.\[gpu\]'"):
        build_model("setfit")
    assert build_model("encoder_logreg") is not None, "the models extra alone serves every other transformer model"

"""Models for several stance targets, on a synthetic data set in which the label depends on the target:
the same text is favor toward one target, against another and neutral toward the third."""

import random

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.dummy import DummyClassifier

from bench.evaluation.config import load_config
from bench.evaluation.scores import point_scores
from bench.models import MODELS, build_model
from bench.models.targets import PerTarget, TargetConditioned
from bench.models.tfidf import ngram_features

TARGETS = ["solar", "tides", "peat"]
LABELS = ["FAVOR", "AGAINST", "NONE"]


def frame(seed: int, posts: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = random.Random(seed)
    texts, targets, labels = [], [], []
    for _ in range(posts):
        a, b = rng.sample(TARGETS, 2)
        c = next(t for t in TARGETS if t not in (a, b))
        text = f"more {a} please, no {b} ever, {rng.choice(['ok', 'fine', 'sure', 'well'])}"
        for target, label in ((a, "FAVOR"), (b, "AGAINST"), (c, "NONE")):
            texts.append(text)
            targets.append(target)
            labels.append(label)
    return pd.DataFrame({"text": texts, "target": targets}), np.array(labels)


def f_avg(model, seed: int = 0) -> float:
    X, y = frame(seed, 120)
    X_test, y_test = frame(seed + 1, 60)
    predicted = clone(model).fit(X, y).predict(X_test)
    return point_scores(list(y_test), [str(p) for p in predicted], LABELS, ("FAVOR", "AGAINST"))["f_avg"]


@pytest.mark.parametrize("name, params", [("majority", {}), ("stratified", {}), ("tfidf", {}), ("svm", {}),
                                          ("encoder_logreg", {"encoder": "all-MiniLM-L6-v2"})])
def test_target_blind_models_stay_at_chance(name, params):
    # Every text occurs with each of the three labels, so a model that ignores the target can do no better
    # than chance: F_avg of at most about one half.
    if MODELS[name].needs_torch:
        pytest.importorskip("torch")
    assert f_avg(build_model(name, params)) < 0.5


@pytest.mark.parametrize("name, params, per_target", [
    ("tfidf", {}, True), ("svm", {}, True), ("tfidf_target", {}, False),
    ("encoder_logreg", {"encoder": "all-MiniLM-L6-v2"}, True),
    ("encoder_logreg", {"encoder": "all-MiniLM-L6-v2", "target_features": True, "C": 10.0}, False),
], ids=["per-target tfidf", "per-target svm", "target-aware tfidf", "per-target encoder",
        "target-aware encoder"])
def test_per_target_and_target_aware_models_score_well_above_chance(name, params, per_target):
    if MODELS[name].needs_torch:
        pytest.importorskip("torch")
    model = build_model(name, params)
    assert f_avg(PerTarget(model) if per_target else model) > 0.9


def test_zero_shot_describes_the_labels_toward_each_rows_target(monkeypatch):
    import bench.models.zero_shot as zero_shot

    def fake_embed(encoder, texts):
        # A text's vector counts "more <target>" and "no <target>" for each target: enough to see whether the
        # definitions were filled with the row's own target.
        return np.array([[text.count(f"more {t}") for t in TARGETS] + [text.count(f"no {t}") for t in TARGETS]
                         + [1.0 if text == "none" else 0.5] for text in texts], dtype=float)

    monkeypatch.setattr(zero_shot, "embed", fake_embed)
    model = zero_shot.ZeroShotClassifier(label_definitions={"FAVOR": "more {target}", "AGAINST": "no {target}",
                                                            "NONE": "none"})
    assert f_avg(model) > 0.9


def test_per_target_majority_predicts_each_targets_own_majority():
    X = pd.DataFrame({"text": ["x"] * 7, "target": ["a", "a", "a", "b", "b", "b", "b"]})
    y = ["FAVOR", "FAVOR", "NONE", "AGAINST", "AGAINST", "AGAINST", "FAVOR"]
    model = PerTarget(build_model("majority")).fit(X, y)
    test = pd.DataFrame({"text": ["y", "y"], "target": ["a", "b"]})
    assert list(model.predict(test)) == ["FAVOR", "AGAINST"]
    # Hand-computed F_avg on these seven rows: FAVOR P=2/3 R=2/3 F=2/3; AGAINST P=3/4 R=1 F=6/7.
    predicted = model.predict(X)
    assert point_scores(y, list(predicted), LABELS, ("FAVOR", "AGAINST"))["f_avg"] == pytest.approx((2 / 3 + 6 / 7) / 2)


def test_pooled_f_avg_across_targets_matches_a_hand_computed_case():
    # Two targets pooled (SemEval-2016's official F_avg pools all targets before scoring):
    # FAVOR: tp 2, fp 1, fn 1 -> F 2/3; AGAINST: tp 1, fp 0, fn 1 -> F 2/3; F_avg 2/3.
    gold = ["FAVOR", "FAVOR", "AGAINST", "NONE", "FAVOR", "AGAINST"]
    pred = ["FAVOR", "NONE", "AGAINST", "FAVOR", "FAVOR", "NONE"]
    assert point_scores(gold, pred, LABELS, ("FAVOR", "AGAINST"))["f_avg"] == pytest.approx(2 / 3)


def test_an_unseen_target_is_an_error_or_the_blind_fallback():
    X = pd.DataFrame({"text": ["a", "b", "c", "d"], "target": ["t1", "t1", "t2", "t2"]})
    y = ["FAVOR", "AGAINST", "FAVOR", "FAVOR"]
    unseen = pd.DataFrame({"text": ["e"], "target": ["t3"]})
    with pytest.raises(ValueError, match="target\\(s\\) absent from the training data: 't3'"):
        PerTarget(DummyClassifier()).fit(X, y).predict(unseen)
    assert list(PerTarget(DummyClassifier(), fallback=True).fit(X, y).predict(unseen)) == ["FAVOR"]


@pytest.mark.parametrize("estimator", [DummyClassifier(strategy="most_frequent"), build_model("stratified"),
                                       build_model("tfidf")])
def test_the_wrapper_is_a_scikit_learn_estimator_for_any_model(estimator):
    wrapped = PerTarget(estimator)
    assert repr(clone(wrapped).get_params()["estimator"]) == repr(estimator)
    wrapped.set_params(fallback=True)
    X, y = frame(3, 10)
    assert len(wrapped.fit(X, y).predict(X)) == len(X)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_registered_model_accepts_per_target_in_its_config(tmp_path, repo, name):
    path = tmp_path / "c.yaml"
    needed = {"predictions_file": f", params: {{path: '{repo.experiments / 'examples' / 'zero_shot_predictions.csv'}'}}",
              "prompted_lm": f", params: {{checkpoint: '{tmp_path}'}}"}  # a folder: its contents are read at fit
    path.write_text(f"model: {{name: {name}{needed.get(name, '')}}}\nper_target: fallback\nmetric: f_avg\n")
    config = load_config(path)
    assert config.per_target == "fallback" and config.metric == "f_avg"
    assert PerTarget(build_model(name)).get_params(deep=True)


def test_target_conditioned_features_are_crossed_with_each_target():
    X = pd.DataFrame({"text": ["good day", "bad day"], "target": ["a", "b"]})
    features = TargetConditioned(ngram_features()).fit(X)
    matrix = features.transform(X).toarray()
    width = features.features_.transform(X).shape[1]
    a, b = (len(columns) for columns in features.columns_)
    assert matrix.shape[1] == width + a + b, "shared block, then one block per target of the columns it uses"
    assert np.all(matrix[0, width + a:] == 0) and np.all(matrix[1, width:width + a] == 0)
    assert np.allclose(matrix[0, :width][matrix[0, :width] > 0], matrix[0, width:width + a])


def many_targets(seed: int, rows: int, targets: int = 30) -> tuple[pd.DataFrame, np.ndarray]:
    """Short posts toward one of many targets, the label in the wording."""
    rng = random.Random(seed)
    found = [(rng.choice(LABELS), f"target {rng.randrange(targets)}") for _ in range(rows)]
    texts = [f"{label.lower()} {target} " + " ".join(rng.choice("abcde") for _ in range(4)) for label, target in found]
    return pd.DataFrame({"text": texts, "target": [t for _, t in found]}), np.array([label for label, _ in found])


def test_crossing_keeps_only_the_columns_training_uses_and_predicts_as_the_full_crossing():
    """10,000 rows on 200 targets crossed in full need the shared columns times 201 coefficients per class (a
    MemoryError); the kept columns are bounded by the training matrix's non-zeros, with the same predictions."""
    from sklearn.linear_model import LogisticRegression
    X, y = many_targets(0, 300)
    X_test, _ = many_targets(1, 100)
    features = TargetConditioned(ngram_features())
    train, test = features.fit_transform(X, y), features.transform(X_test)
    shared = features.features_.transform(X)
    assert train.shape[1] <= shared.shape[1] + shared.nnz
    assert train.shape[1] < shared.shape[1] * (1 + len(features.targets_)) / 2

    def full(frame):
        rows = sp.csr_matrix(features.features_.transform(frame))
        return sp.hstack([rows] + [sp.diags((frame["target"] == t).to_numpy(float)) @ rows for t in features.targets_])
    pruned = LogisticRegression(max_iter=2000).fit(train, y)
    crossed = LogisticRegression(max_iter=2000).fit(full(X), y)
    assert np.array_equal(pruned.predict(test), crossed.predict(full(X_test)))
    assert np.allclose(pruned.predict_proba(test), crossed.predict_proba(full(X_test)), atol=1e-8)


def test_a_target_with_a_single_training_class_predicts_it():
    X = pd.DataFrame({"text": ["good", "bad", "good", "bad"], "target": ["a", "a", "b", "b"]})
    model = PerTarget(build_model("tfidf")).fit(X, ["FAVOR", "AGAINST", "NONE", "NONE"])
    assert list(model.predict(X)) == ["FAVOR", "AGAINST", "NONE", "NONE"]

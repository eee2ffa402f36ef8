import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score

from bench.evaluation.scores import point_scores, transfer_ratio
from bench.evaluation.statistics import resampled_scores, summarize

LABELS = ("favor", "against", "none")
POLES = ("favor", "against")


def test_point_scores_against_hand_computed_values():
    gold = ["favor", "favor", "against", "none", "none", "none"]
    pred = ["favor", "none", "against", "none", "favor", "none"]
    # favor: tp 1, fp 1, fn 1 -> F1 1/2; against: tp 1 -> F1 1; none: tp 2, fp 1, fn 1 -> F1 2/3
    scores = point_scores(gold, pred, LABELS, POLES)
    assert scores["macro_f1"] == (0.5 + 1 + 2 / 3) / 3
    assert scores["accuracy"] == 4 / 6
    assert scores["f_avg"] == (0.5 + 1) / 2


def test_macro_f1_averages_only_classes_present_in_the_test_gold():
    gold = ["none", "none", "against"]
    pred = ["none", "favor", "against"]
    # favor is absent from the gold, so it is not averaged: none F1 = 2/3, against F1 = 1
    assert point_scores(gold, pred, LABELS)["macro_f1"] == (2 / 3 + 1) / 2
    # F_avg still averages favor (F1 0: one false positive) and against (F1 1)
    assert point_scores(gold, pred, LABELS, POLES)["f_avg"] == 0.5


labels = st.sampled_from(LABELS)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=40))
def test_vectorised_scores_equal_scikit_learn(pairs):
    gold, pred = zip(*pairs)
    index = {label: i for i, label in enumerate(LABELS)}
    present = sorted({index[g] for g in gold})
    vectorised = resampled_scores(np.array([[index[g] for g in gold]]), np.array([[index[p] for p in pred]]),
                                  np.array(present), np.array([0, 1]), len(LABELS))
    expected = point_scores(list(gold), list(pred), LABELS, POLES)
    for name, value in expected.items():
        assert abs(vectorised[name][0] - value) < 1e-12
    assert abs(expected["accuracy"] - accuracy_score(gold, pred)) < 1e-12
    assert abs(expected["macro_f1"] - f1_score(gold, pred, labels=[LABELS[i] for i in present], average="macro",
                                               zero_division=0)) < 1e-12


def test_summary_is_seeded_and_brackets_the_mean():
    rng = np.random.default_rng(1)
    gold = list(rng.choice(LABELS, 80))
    preds = [[g if rng.random() < 0.7 else rng.choice(LABELS) for g in gold] for _ in range(3)]
    first = summarize(gold, preds, LABELS, POLES, resamples=1000, seed=7)
    assert first == summarize(gold, preds, LABELS, POLES, resamples=1000, seed=7)
    for score in first.values():
        assert len(score["per_seed"]) == 3
        assert score["ci_low"] <= score["mean"] <= score["ci_high"]
        assert score["std"] == float(np.std(score["per_seed"]))


def test_transfer_ratio():
    assert transfer_ratio(0.3, 0.6) == 0.5
    assert transfer_ratio(0.3, 0.0) is None


def test_paired_bootstrap_matches_exact_enumeration():
    import itertools

    from bench.evaluation.statistics import paired_bootstrap
    # Three paragraphs: the best model is right on all, the other on the first only. Enumerate all 27
    # equally likely resamples: the other ties or wins exactly when every draw is paragraph 0.
    gold = ["favor", "against", "none"]
    best = [["favor", "against", "none"]]
    other = [["favor", "none", "against"]]
    exact_ties = sum(1 for draw in itertools.product(range(3), repeat=3)
                     if point_scores([gold[i] for i in draw], [best[0][i] for i in draw], LABELS, False)["macro_f1"]
                     <= point_scores([gold[i] for i in draw], [other[0][i] for i in draw], LABELS, False)["macro_f1"])
    assert exact_ties == 1
    p = paired_bootstrap(gold, best, other, LABELS, resamples=20000, seed=3)
    assert abs(p - exact_ties / 27) < 0.01
    assert paired_bootstrap(gold, best, best, LABELS, resamples=100, seed=0) == 1.0


def test_blocked_resampling_draws_the_same_resamples(monkeypatch):
    import bench.evaluation.statistics
    rng = np.random.default_rng(1)
    gold = list(rng.choice(LABELS, 97))
    preds = [list(rng.choice(LABELS, 97)) for _ in range(3)]
    whole = summarize(gold, preds, LABELS, POLES, resamples=500, seed=4)
    monkeypatch.setattr(bench.evaluation.statistics, "RESAMPLE_BLOCK", 97 * 7)  # 7 resamples per block, the last one short
    assert summarize(gold, preds, LABELS, POLES, resamples=500, seed=4) == whole

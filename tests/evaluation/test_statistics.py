import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import accuracy_score, f1_score

from bench.evaluation.results import Bootstrap
from bench.evaluation.scores import point_scores
from bench.evaluation.statistics import (
    Scorer,
    document_interval,
    document_permutation_test,
    holm,
    minimum_detectable_difference,
    paired_difference,
    paired_differences,
    paired_permutation_test,
    smallest_document_p,
    summarize,
)

LABELS = ("favor", "against", "none")
POLES = ("favor", "against")
labels = st.sampled_from(LABELS)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(labels, labels), min_size=1, max_size=40))
def test_vectorised_scores_equal_scikit_learn(pairs):
    gold, pred = map(list, zip(*pairs))
    scorer = Scorer(gold, LABELS, POLES, seen=["against", "none"])
    vectorised = scorer.scores(scorer.gold[None, :], scorer.encode(pred)[None, :])
    expected = point_scores(gold, pred, LABELS, POLES, seen=["against", "none"])
    assert set(vectorised) == set(expected)
    for name, value in expected.items():
        assert abs(vectorised[name][0] - value) < 1e-12
    assert abs(expected["accuracy"] - accuracy_score(gold, pred)) < 1e-12
    present = [label for label in LABELS if label in gold]
    assert abs(expected["macro_f1"] - f1_score(gold, pred, labels=present, average="macro", zero_division=0)) < 1e-12


def test_summary_is_seeded_brackets_the_mean_and_spreads_with_ddof_1():
    rng = np.random.default_rng(1)
    gold = list(rng.choice(LABELS, 80))
    preds = [[g if rng.random() < 0.7 else rng.choice(LABELS) for g in gold] for _ in range(3)]
    first = summarize(gold, preds, LABELS, Bootstrap(1000, 7), poles=POLES)
    assert first == summarize(gold, preds, LABELS, Bootstrap(1000, 7), poles=POLES)
    for score in first.values():
        assert score.seeds == 3
        assert score.ci_low <= score.mean <= score.ci_high
        assert score.std == pytest.approx(float(np.std(score.per_seed, ddof=1)))
    assert summarize(gold, preds[:1], LABELS, Bootstrap(10, 7), poles=POLES)["macro_f1"].std == 0.0


def test_the_permutation_test_matches_exact_enumeration():
    # Six paragraphs: enumerate all 2**6 swaps of the two models' predictions, paragraph by paragraph.
    gold = ["favor", "against", "favor", "against", "none", "favor"]
    best = ["favor", "against", "favor", "favor", "none", "favor"]
    other = ["favor", "favor", "against", "against", "favor", "favor"]

    def difference(a, b):
        return point_scores(gold, a, LABELS)["macro_f1"] - point_scores(gold, b, LABELS)["macro_f1"]

    observed = difference(best, other)
    at_least = 0
    for swap in itertools.product([False, True], repeat=len(gold)):
        a = [o if s else b for b, o, s in zip(best, other, swap)]
        b = [b if s else o for b, o, s in zip(best, other, swap)]
        at_least += difference(a, b) >= observed - 1e-12
    exact = at_least / 2 ** len(gold)
    assert paired_permutation_test(gold, [best], [other], LABELS, Bootstrap(10_000, 0)) == pytest.approx(exact)
    approximate = paired_permutation_test(gold, [best], [other], LABELS, Bootstrap(50, 0))
    assert 0 < approximate <= 1
    assert paired_permutation_test(gold, [best], [best], LABELS, Bootstrap(100, 0)) == 1.0


def test_holm_matches_a_hand_computed_case():
    # Sorted: a 0.01, b 0.02, c 0.04, d 0.30 -> 4 x 0.01, 3 x 0.02, 2 x 0.04, 1 x 0.30, kept monotone.
    assert holm({"c": 0.04, "a": 0.01, "d": 0.30, "b": 0.02}) == pytest.approx(
        {"a": 0.04, "b": 0.06, "c": 0.08, "d": 0.30})
    assert holm({"x": 0.6, "y": 0.5}) == {"x": 1.0, "y": 1.0}
    assert holm({}) == {}


def test_a_document_interval_needs_three_documents_and_is_wider_than_the_paragraph_one():
    rng = np.random.default_rng(0)
    gold = list(rng.choice(LABELS, 90))
    # Documents differ in how well the model does on them, which paragraph resampling ignores.
    docs = [f"d{i // 15}" for i in range(90)]
    pred = [g if rng.random() < (0.95 if int(d[1]) % 2 else 0.3) else "none" for g, d in zip(gold, docs)]
    low, high = document_interval(gold, [pred], docs, LABELS, Bootstrap(2000, 0, 0.95))
    paragraph = summarize(gold, [pred], LABELS, Bootstrap(2000, 0))["macro_f1"]
    assert low < paragraph.mean < high
    assert high - low > paragraph.ci_high - paragraph.ci_low
    assert document_interval(gold, [pred], [d if d in ("d0", "d1") else "d0" for d in docs], LABELS,
                             Bootstrap(100, 0)) is None


def test_paired_difference_is_the_difference_of_the_seed_means():
    gold = ["favor", "against", "none", "none"]
    first = [["favor", "against", "none", "none"]]
    second = [["none", "none", "none", "none"], ["favor", "none", "none", "none"]]
    difference, low, high = paired_difference(gold, first, second, LABELS, Bootstrap(500, 0, 0.9))
    expected = 1 - np.mean([point_scores(gold, p, LABELS)["macro_f1"] for p in second])
    assert difference == pytest.approx(expected) and low <= difference <= high


def test_blocked_resampling_draws_the_same_resamples(monkeypatch):
    import bench.evaluation.statistics
    rng = np.random.default_rng(1)
    gold = list(rng.choice(LABELS, 97))
    preds = [list(rng.choice(LABELS, 97)) for _ in range(3)]
    whole = summarize(gold, preds, LABELS, Bootstrap(500, 4), poles=POLES)
    monkeypatch.setattr(bench.evaluation.statistics, "RESAMPLE_BLOCK", 97 * 7)  # 7 resamples per block, the last one short
    assert summarize(gold, preds, LABELS, Bootstrap(500, 4), poles=POLES) == whole


def test_the_minimum_detectable_difference_matches_a_hand_computed_case():
    # sd (ddof 1) of [0.1, -0.1, 0.3, -0.3] is sqrt(0.2 / 3) = 0.25820; z(0.975) + z(0.8) = 1.95996 + 0.84162.
    assert minimum_detectable_difference(np.array([0.1, -0.1, 0.3, -0.3])) == pytest.approx(2.80158 * 0.25820, abs=1e-4)
    assert minimum_detectable_difference(np.array([0.1, -0.1]), alpha=0.05, power=0.5) == pytest.approx(
        1.95996 * np.std([0.1, -0.1], ddof=1), abs=1e-4)


def test_the_detectable_difference_of_accuracy_is_that_of_the_paired_mean():
    """Accuracy is a mean of per-paragraph hits, so the paired bootstrap's standard error is the textbook one:
    the first model alone is right on 20 paragraphs, the second alone on 10, both agree on 70 (d = +1, -1, 0):
    var(d) = 30/100 - 0.1**2 = 0.29, SE = sqrt(0.29 / 100) = 0.05385, MDE = 2.80158 x SE = 0.15087."""
    gold = ["favor"] * 100
    first = ["favor"] * 20 + ["none"] * 10 + ["favor"] * 35 + ["none"] * 35
    second = ["none"] * 20 + ["favor"] * 10 + ["favor"] * 35 + ["none"] * 35
    differences = paired_differences(gold, [first], [second], LABELS, Bootstrap(20_000, 0), metric="accuracy")
    assert differences.mean() == pytest.approx(0.1, abs=0.005)
    assert minimum_detectable_difference(differences) == pytest.approx(0.15087, rel=0.04)


def test_a_hierarchical_interval_covers_the_spread_over_seeds():
    """One seed right everywhere, one wrong everywhere: every paragraph resample of the seed mean scores 0.5,
    but resampling the seeds as well draws {right, right} and {wrong, wrong} a quarter of the time each."""
    gold = ["favor", "against"] * 100
    wrong = ["against", "favor"] * 100
    score = summarize(gold, [gold, wrong], LABELS, Bootstrap(2000, 0))["accuracy"]
    assert score.per_seed == [1.0, 0.0] and score.mean == 0.5
    assert (score.ci_low, score.ci_high) == (0.0, 1.0)
    single = summarize(gold, [gold], LABELS, Bootstrap(2000, 0))["accuracy"]
    assert (single.ci_low, single.ci_high) == (1.0, 1.0), "one seed: nothing to resample but paragraphs"
    rng = np.random.default_rng(3)
    spread = [[g if rng.random() < share else "none" for g in gold] for share in (0.9, 0.5, 0.7)]
    low, high = document_interval(gold, spread, [f"d{i // 40}" for i in range(200)], LABELS, Bootstrap(2000, 0),
                                  metric="accuracy")
    assert low < 0.6 and high > 0.8, "the document interval resamples seeds too"


def test_the_two_sided_permutation_test_doubles_the_smaller_one_sided_p():
    gold = ["favor", "against", "favor", "against", "none", "favor"]
    best = ["favor", "against", "favor", "favor", "none", "favor"]
    other = ["favor", "favor", "against", "against", "favor", "favor"]
    exact = Bootstrap(10_000, 0)
    greater = paired_permutation_test(gold, [best], [other], LABELS, exact)
    less = paired_permutation_test(gold, [other], [best], LABELS, exact)
    two_sided = paired_permutation_test(gold, [best], [other], LABELS, exact, alternative="two-sided")
    assert two_sided == pytest.approx(min(1.0, 2 * min(greater, less)))


def test_the_document_permutation_test_swaps_whole_documents():
    gold = ["favor", "against"] * 25
    docs = [f"d{i // 10}" for i in range(50)]
    wrong = ["none"] * 50
    # Five documents, the first model right on all of them: only the identity and the full swap reach the
    # observed difference, 2 of 2**5 swaps, so no test on five documents can go below 0.0625.
    p = document_permutation_test(gold, [gold], [wrong], docs, LABELS, Bootstrap(1000, 0), metric="accuracy")
    assert p == pytest.approx(smallest_document_p(5)) == pytest.approx(0.0625)
    assert paired_permutation_test(gold, [gold], [wrong], LABELS, Bootstrap(1000, 0), metric="accuracy",
                                   alternative="two-sided") < 0.01, "paragraph swaps treat 50 units as independent"
    # Enumerate the swaps of three documents by hand for a mixed case.
    gold3, docs3 = gold[:30], docs[:30]
    first = [g if i % 10 < 7 else "none" for i, g in enumerate(gold3)]
    second = [g if i < 10 else "none" for i, g in enumerate(gold3)]

    def accuracy(pred):
        return float(np.mean([p == g for p, g in zip(pred, gold3)]))

    observed = accuracy(first) - accuracy(second)
    swaps = []
    for swap in itertools.product([False, True], repeat=3):
        a = [s if swap[int(d[1])] else f for f, s, d in zip(first, second, docs3)]
        b = [f if swap[int(d[1])] else s for f, s, d in zip(first, second, docs3)]
        swaps.append(accuracy(a) - accuracy(b))
    greater = np.mean([x >= observed - 1e-12 for x in swaps])
    less = np.mean([x <= observed + 1e-12 for x in swaps])
    assert document_permutation_test(gold3, [first], [second], docs3, LABELS, Bootstrap(1000, 0),
                                     metric="accuracy") == pytest.approx(min(1.0, 2 * min(greater, less)))

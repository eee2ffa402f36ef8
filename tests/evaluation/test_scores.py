
from bench.evaluation.scores import point_scores

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


def test_f_avg_with_an_absent_pole_averages_the_poles_given():
    # No gold paragraph is favor: the harness passes only the pole present in the test gold, so F_avg is
    # F1(against) instead of being halved by a pole that cannot be scored.
    gold = ["against", "none", "none", "against"]
    pred = ["against", "none", "against", "none"]
    assert point_scores(gold, pred, LABELS, ("against",))["f_avg"] == 0.5
    assert point_scores(gold, pred, LABELS, POLES)["f_avg"] == 0.25, "SemEval's definition over both poles"


def test_macro_f1_over_seen_classes_leaves_out_classes_the_training_side_lacked():
    gold = ["favor", "against", "none"]
    pred = ["none", "against", "none"]
    scores = point_scores(gold, pred, LABELS, seen=["against", "none"])
    assert scores["macro_f1"] == (0 + 1 + 2 / 3) / 3
    assert scores["macro_f1_seen"] == (1 + 2 / 3) / 2

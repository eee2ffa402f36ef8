import pytest

from bench.evaluation.results import Bootstrap
from bench.evaluation.statistics import (
    document_resamples,
    minimum_detectable_difference,
    paired_differences,
)
from bench.publishing.records import HEADLINE, Results
from bench.publishing.significance import analyse, analyse_column, headline_metrics

GOLD = ["a", "b", "c"] * 20
PERFECT = [GOLD]
NEARLY = [["b" if i == 0 else g for i, g in enumerate(GOLD)]]  # one paragraph wrong
CONSTANT = [["a"] * len(GOLD)]
UNIFORM = [["abc"[(i * 7 + i // 3) % 3] for i in range(len(GOLD))], ["abc"[(i * 5 + 1) % 3] for i in range(len(GOLD))]]


def column(build, *models, docs=None, evaluation=HEADLINE):
    """The analysed headline column of (name, predictions, model) records; majority and uniform are chance rows."""
    records = Results([build.record(name, [build.result(evaluation, GOLD, predictions, docs=docs)], model=model)
                       for name, predictions, model in models])
    return analyse_column(records, "topic", evaluation, "macro_f1")


def test_exact_ties_are_all_bold(build):
    found = column(build, ("majority", CONSTANT, "majority"), ("first", PERFECT, None), ("twin", PERFECT, None))
    assert found.scores["first"] == found.scores["twin"]
    assert {"first", "twin"} <= found.bold and "majority" not in found.bold


def test_a_row_within_the_detectable_difference_of_the_best_is_bold_and_one_far_below_is_not(build):
    # Listed worst first, so that a test that takes the first or last row as the best fails.
    found = column(build, ("majority", CONSTANT, "majority"), ("nearly", NEARLY, None), ("perfect", PERFECT, None))
    gap = found.scores["perfect"] - found.scores["nearly"]
    assert 0 < gap < found.mde.median, "one wrong paragraph in sixty is within the detectable difference"
    assert found.bold == {"perfect", "nearly"}
    assert found.scores["perfect"] - found.scores["majority"] >= found.mde.median


def test_a_perfect_model_is_marked_above_majority_and_a_copy_of_majority_is_not(build):
    found = column(build, ("majority", CONSTANT, "majority"), ("uniform", UNIFORM, "uniform"),
                   ("perfect", PERFECT, None), ("copy", CONSTANT, None))
    tests = {(t.model, t.chance): t for t in found.tests}
    assert set(tests) == {(m, c) for m in ("perfect", "copy") for c in ("majority", "uniform")}, \
        "only models that are not chance rows are tested, against majority and uniform"
    assert tests[("perfect", "majority")].above and found.marks("perfect") == "†‡"
    assert tests[("copy", "majority")].p == 1 and found.marks("copy") == ""
    assert found.marks("majority") == "" and found.marks("uniform") == "", "chance rows are never tested"


def test_chance_rows_are_known_by_their_model_whatever_the_experiment_is_called(build):
    """An external data set's configs name their experiments freely (`multitarget_majority`)."""
    found = column(build, ("my_majority", CONSTANT, "majority"), ("my_uniform", UNIFORM, "uniform"),
                   ("perfect", PERFECT, None))
    assert {(t.model, t.chance) for t in found.tests} == {("perfect", "my_majority"), ("perfect", "my_uniform")}
    assert found.marks("perfect") == "†‡"


def test_a_model_significantly_below_chance_gets_no_mark(build):
    wrong = [["b" if g == "a" else "c" if g == "b" else "a" for g in GOLD]]
    found = column(build, ("majority", CONSTANT, "majority"), ("wrong", wrong, None))
    test = found.tests[0]
    assert test.difference < 0 and test.p < 0.05 and not test.above and found.marks("wrong") == ""


def test_the_detectable_difference_of_two_rows_is_that_of_their_paired_bootstrap(build):
    docs = [f"d{i % 4}" for i in range(len(GOLD))]
    found = column(build, ("majority", CONSTANT, "majority"), ("nearly", NEARLY, None), docs=docs)
    bootstrap = Bootstrap(200, 0)
    by_hand = minimum_detectable_difference(paired_differences(GOLD, CONSTANT, NEARLY, ["a", "b", "c"], bootstrap))
    first, second = document_resamples(GOLD, [CONSTANT, NEARLY], docs, ["a", "b", "c"], bootstrap)
    assert found.pairs == {("majority", "nearly"): pytest.approx(by_hand)}
    assert found.mde.median == found.mde.low == found.mde.high == pytest.approx(by_hand)
    assert found.document_mde.median == pytest.approx(minimum_detectable_difference(first - second))
    assert found.documents == 4 and found.paragraphs == len(GOLD)


def test_few_documents_give_no_document_level_figure_or_test(build):
    found = column(build, ("majority", CONSTANT, "majority"), ("perfect", PERFECT, None), docs=["d0", "d1"] * 30)
    assert found.document_mde is None and found.tests[0].p_documents is None
    assert not found.documents_can_reach_alpha


def test_the_power_lists_the_pairs_that_reach_the_detectable_difference(build):
    found = column(build, ("majority", CONSTANT, "majority"), ("nearly", NEARLY, None), ("perfect", PERFECT, None))
    assert [(high, low) for high, low, _ in found.detectable()] == [("perfect", "majority"), ("nearly", "majority")]
    assert len(found.differences()) == 3


def test_topic_is_also_analysed_over_the_classes_seen_in_training(build):
    records = Results([build.record("majority", [build.result(HEADLINE, GOLD, CONSTANT)]),
                       build.record("perfect", [build.result(HEADLINE, GOLD, PERFECT)])])
    assert headline_metrics(records, "topic") == ["macro_f1", "macro_f1_seen"]
    found = analyse(records)
    assert set(found) == {("topic", HEADLINE, "macro_f1"), ("topic", HEADLINE, "macro_f1_seen")}
    assert found[("topic", HEADLINE, "macro_f1")].tests and not found[("topic", HEADLINE, "macro_f1_seen")].tests

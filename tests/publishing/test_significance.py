import pytest

from bench.evaluation.statistics import summarize
from bench.publishing.significance import marked_tables, significance

LABELS = ["a", "b", "c"]


def record(name: str, gold: list[str], predictions: list[list[str]]) -> dict:
    """A record of one experiment on one table cell, scored by the harness's own summary."""
    scores = summarize(gold, predictions, LABELS, (), resamples=200, seed=0)
    return {"experiment": name, "model": name, "results": [{
        "task": "topic", "evaluation": "multilingual:all", "setting": "multilingual", "train_language": "all",
        "test_language": "all", "labels": LABELS, "scores": scores, "folds": [], "n_test": len(gold),
        "predictions": [{"id": str(i), "gold": g, "pred": [p[i] for p in predictions]} for i, g in enumerate(gold)]}]}


GOLD = ["a", "b", "c"] * 20


def rows(table: str) -> dict[str, str]:
    return {line.split(" | ")[0].strip("| "): line for line in table.splitlines() if line.startswith("| ")}


@pytest.fixture
def records():
    perfect = [GOLD]
    nearly = [[("b" if g == "a" else g) if i == 0 else g for i, g in enumerate(GOLD)]]  # one paragraph wrong
    constant = [["a"] * len(GOLD)]
    # Listed worst first, so that a test that takes the first or last row as the best fails.
    return [record("constant", GOLD, constant), record("nearly", GOLD, nearly), record("perfect", GOLD, perfect)]


def test_the_best_model_is_the_one_with_the_highest_score(records):
    test = significance(records)[("topic", "multilingual:all")]
    assert test["best"] == "perfect"
    assert test["p"]["constant"] < 0.05, "a model that predicts one class is clearly worse"
    assert test["p"]["nearly"] >= 0.05, "one wrong paragraph in sixty cannot be told apart"


def test_the_table_bolds_the_best_and_marks_only_the_indistinguishable(records):
    table = rows(marked_tables(records, significance(records)))
    assert "**" in table["perfect"] and "**" not in table["nearly"] and "**" not in table["constant"]
    assert table["nearly"].endswith("† |") and "†" not in table["constant"]

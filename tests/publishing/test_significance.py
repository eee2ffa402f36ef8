import pytest

from bench.publishing.records import Results
from bench.publishing.significance import marked_tables, significance

GOLD = ["a", "b", "c"] * 20


def rows(table: str) -> dict[str, str]:
    return {line.split(" | ")[0].strip("| "): line for line in table.splitlines() if line.startswith("| ")}


@pytest.fixture
def records(build):
    perfect = [GOLD]
    nearly = [[("b" if g == "a" else g) if i == 0 else g for i, g in enumerate(GOLD)]]  # one paragraph wrong
    constant = [["a"] * len(GOLD)]
    # Listed worst first, so that a test that takes the first or last row as the best fails.
    return Results([build.record(name, [build.result("leave_one_story_out:all", GOLD, predictions)])
                    for name, predictions in (("constant", constant), ("nearly", nearly), ("perfect", perfect))])


def test_the_best_model_is_the_one_with_the_highest_score(records):
    test = significance(records)[("topic", "leave_one_story_out:all")]
    assert test["best"] == "perfect"
    assert test["p"]["constant"] < 0.05, "a model that predicts one class is clearly worse"
    assert test["p"]["nearly"] >= 0.05, "one wrong paragraph in sixty cannot be told apart"


def test_the_table_bolds_the_best_and_marks_only_the_indistinguishable(records):
    table = rows(marked_tables(records, significance(records)))
    assert "**" in table["perfect"] and "**" not in table["nearly"] and "**" not in table["constant"]
    assert table["nearly"].endswith("† |") and "†" not in table["constant"]

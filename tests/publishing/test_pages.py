from bench.data.labels import LabelRow
from bench.evaluation.results import Fold
from bench.publishing.pages import (
    document_intervals,
    error_analysis,
    human_reference,
    inner_validation,
    per_class_tables,
    results_page,
)
from bench.publishing.records import HEADLINE, Results
from bench.publishing.significance import significance

GOLD = ["a", "b", "c"] * 4
DOCS = [f"d{i % 4}" for i in range(len(GOLD))]


def row_of(table: str, name: str) -> list[str]:
    return next([part.strip() for part in line.strip()[1:-1].split("|")] for line in table.splitlines()
                if line.startswith(f"| {name} |"))


def two_models(build) -> Results:
    perfect = build.result(HEADLINE, GOLD, [GOLD, GOLD], docs=DOCS)
    wrong_on_a = build.result(HEADLINE, GOLD, [["b" if g == "a" else g for g in GOLD]], docs=DOCS)
    return Results([build.record("perfect", [perfect]), build.record("confused", [wrong_on_a])])


def test_per_class_f1_is_averaged_over_seeds_with_the_support(build):
    table = per_class_tables(two_models(build))
    assert row_of(table, "perfect") == ["perfect", "1.000", "1.000", "1.000"]
    assert row_of(table, "confused")[1] == "0.000" and row_of(table, "(test paragraphs)") == [
        "(test paragraphs)", "4", "4", "4"]


def test_the_error_analysis_lists_the_best_models_mistakes(build):
    records = two_models(build)
    tests = significance(records)
    assert tests[("topic", HEADLINE)]["best"] == "perfect"
    texts = {str(i): f"text {i}" for i in range(len(GOLD))}
    assert "## topic: perfect, 0 of 12 wrong" in error_analysis(records, texts, tests)
    tests[("topic", HEADLINE)]["best"] = "confused"
    page = error_analysis(records, texts, tests)
    assert "## topic: confused, 4 of 12 wrong" in page and "| 0 | a | b | text 0 |" in page


def test_document_intervals_need_three_documents(build):
    records = two_models(build)
    table = document_intervals(records, [HEADLINE])
    assert row_of(table, "perfect") == ["perfect", "[1.000, 1.000]"]
    few = Results([build.record("m", [build.result(HEADLINE, GOLD, [GOLD], docs=["d0", "d1"] * 6)])])
    assert row_of(document_intervals(few, [HEADLINE]), "m") == ["m", "n/a (2 test documents)"]


def test_inner_validation_compares_the_chosen_point_with_majority(build):
    selection = {"by": "story", "chosen": {}, "inner_macro_f1": 0.75, "inner_majority_macro_f1": 0.25}
    folds = [Fold("story", [], [], 0, 0, [], [], selection=selection),
             Fold("story", [], [], 0, 0, [], [], selection={"by": "fixed", "chosen": {}})]
    records = Results([build.record("svm", [build.result(HEADLINE, GOLD, [GOLD], folds=folds)])])
    assert "| svm | topic | 1 | 0.750 | 0.250 | +0.500 |" in inner_validation(records)
    assert inner_validation(two_models(build)) == "No experiment chose hyperparameters on inner folds.\n"


def test_annotators_are_scored_against_each_other_beside_the_best_model(build):
    records = two_models(build)
    passes = {name: {str(i): LabelRow(str(i), "", {"topic": label}, i) for i, label in enumerate(labels)}
              for name, labels in (("a1", GOLD), ("a2", GOLD[:6] + ["a"] * 6))}
    table = human_reference(records, passes, {str(i) for i in range(len(GOLD))}, significance(records))
    row = row_of(table, "topic")
    assert row[:2] == ["topic", "a1 vs a2"] and float(row[2]) < 1 and row[3] == "perfect"


def test_the_results_page_puts_every_section_in_order(build):
    records = two_models(build)
    tests = significance(records)
    page = results_page(records, tests, headline="HEADLINE-TABLES", full="FULL-TABLES", documents="DOCUMENTS",
                        parallel="PARALLEL", human="HUMAN", figures=["confusion_matrices"])
    order = ["HEADLINE-TABLES", "FULL-TABLES", "DOCUMENTS", "PARALLEL", "HUMAN", f"## Per-class F1 ({HEADLINE})",
             "## Model selection on inner folds", "![confusion_matrices](figures/confusion_matrices.png)"]
    assert [page.index(part) for part in order] == sorted(page.index(part) for part in order)
    assert "200 resamples" in page, "the permutation resamples come from the records' configs"

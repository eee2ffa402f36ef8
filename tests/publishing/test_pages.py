from dataclasses import replace

from bench.data.labels import LabelRow
from bench.evaluation.results import Bootstrap, Fold
from bench.evaluation.statistics import summarize
from bench.publishing.pages import (
    chance_tests,
    document_intervals,
    error_analysis,
    human_reference,
    inner_validation,
    per_class_tables,
    power_prose,
    results_page,
)
from bench.publishing.records import HEADLINE, Results
from bench.publishing.significance import analyse
from bench.publishing.tables import cell

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


def test_the_error_analysis_lists_the_best_point_estimates_mistakes(build):
    records = two_models(build)
    texts = {str(i): f"text {i}" for i in range(len(GOLD))}
    assert "## topic: perfect, 0 of 12 wrong" in error_analysis(records, texts)
    informed = build.record("perfect", [build.result(HEADLINE, GOLD, [GOLD])], marks=["corpus-informed"])
    page = error_analysis(Results([informed, records.records[1]]), texts)
    assert "## topic: confused, 4 of 12 wrong" in page and "| 0 | a | b | text 0 |" in page, \
        "a corpus-informed model is never the best"
    assert "not a tested winner" in page


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
    table = human_reference(records, passes, {str(i) for i in range(len(GOLD))})
    row = row_of(table, "topic")
    assert row[:3] == ["topic", "macro-F1 over the classes in the test gold", "a1 vs a2"]
    assert float(row[3]) < 1 and row[4] == "perfect"


def test_the_human_reference_shows_the_stance_tasks_f_avg(build):
    gold = ["favor", "against", "none"] * 4
    labels = ("favor", "against", "none")
    result = replace(build.result(HEADLINE, gold, [gold], task="stance_war", labels=labels), f_avg_poles=["favor"],
                     scores=summarize(gold, [gold], labels, Bootstrap(200, 0), poles=["favor"]))
    records = Results([build.record("perfect", [result])])
    passes = {name: {str(i): LabelRow(str(i), "", {"stance_war": label}, i) for i, label in enumerate(given)}
              for name, given in (("a1", gold), ("a2", ["favor"] * 12))}
    row = row_of(human_reference(records, passes, {str(i) for i in range(len(gold))}), "stance_war")
    assert row[1] == "F_avg over the poles present in the test gold"
    assert row[3] == "0.500", "F1 of favor alone: precision 4/12, recall 1; macro-F1 would be lower"
    assert row[5] == cell(result.scores["f_avg"])


def test_the_results_page_puts_every_section_in_order(build):
    records = two_models(build)
    page = results_page(records, analyse(records), headline="HEADLINE-TABLES", full="FULL-TABLES",
                        documents="DOCUMENTS", labels="LABEL-ROUNDS", parallel="PARALLEL", human="HUMAN",
                        figures=["confusion_matrices"])
    order = ["HEADLINE-TABLES", "## Tests against chance", "## What this test set can detect",
             "## Scores per held-out story", "FULL-TABLES",
             "DOCUMENTS", "LABEL-ROUNDS", "PARALLEL", "HUMAN", f"## Per-class F1 ({HEADLINE})", "## Model selection on inner folds",
             "![confusion_matrices](figures/confusion_matrices.png)"]
    assert [page.index(part) for part in order] == sorted(page.index(part) for part in order)
    assert "not a tested winner" in page


def chance_rows(build, docs) -> Results:
    gold = ["a", "b", "c"] * 20
    return Results([build.record("majority", [build.result(HEADLINE, gold, [["a"] * 60], docs=docs)]),
                    build.record("perfect", [build.result(HEADLINE, gold, [gold], docs=docs)])])


def test_the_chance_tests_say_when_documents_cannot_reach_alpha(build):
    few = chance_rows(build, ["d0", "d1"] * 30)
    page = chance_tests(few, analyse(few))
    assert "2 test documents, too few for a document-level test (it needs 3)" in page
    assert "| perfect − majority | +0.833: p " in page and " / n/a |" in page
    assert "Significant at paragraph level: perfect above majority" in page
    three = chance_rows(build, [f"d{i % 3}" for i in range(60)])
    assert "cannot fall below 0.25 > α = 0.05: no document-level test can be significant" in chance_tests(
        three, analyse(three))


def test_the_power_prose_lists_a_detectable_difference_and_counts_the_rest(build):
    gold = ["a", "b", "c"] * 20
    nearly = ["b" if i == 0 else g for i, g in enumerate(gold)]
    records = Results([build.record(name, [build.result(HEADLINE, gold, [predictions])])
                       for name, predictions in (("majority", ["a"] * 60), ("nearly", nearly), ("perfect", gold))])
    columns = analyse(records)
    column = columns[("topic", HEADLINE, "macro_f1")]
    prose = power_prose(records, columns)
    difference = column.scores["perfect"] - column.scores["majority"]
    assert f"2 of 3 pairs differ by at least {column.mde.median:.3f}: perfect − majority = +{difference:.3f}" in prose
    assert "1 of 3 pairs differ by less than the detectable difference; the table cannot order them." in prose


def test_the_label_rounds_show_each_rounds_agreement_and_every_change_with_its_reason():
    from bench.annotation.agreement import RoundAgreement
    from bench.data.labels import GoldChange
    from bench.publishing.pages import label_rounds

    result = RoundAgreement({"topic": {"krippendorff_alpha": 0.5, "pairs": [
        {"annotators": ["a3", "a4"], "units": 4, "raw_agreement": 0.75, "cohen_kappa": 0.5}]}}, body=4)
    change = GoldChange("000-01", "topic", "escape", "other", "the interview outnumbers the flight", 1)
    text = label_rounds({"v2": result, "v1": result}, "v1", [change])
    assert "| v2 | topic | a3 vs a4 | 4 | 0.750 | 0.500 | 0.500 |" in text and "| v1 | topic |" in text
    assert "1 gold label(s) changed from v1" in text
    assert "| 000-01 | topic | escape | other | the interview outnumbers the flight |" in text
    assert "no agreement" in label_rounds({}, "", [])

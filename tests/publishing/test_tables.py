from dataclasses import replace

from bench.annotation.agreement import RoundAgreement
from bench.evaluation.results import Bootstrap, Fold, Score, Subset
from bench.evaluation.statistics import summarize
from bench.publishing.records import HEADLINE, Results
from bench.publishing.tables import (
    agreement_table,
    cell,
    csv_table,
    every_setting_tables,
    full_markdown,
    markdown_table,
    per_target_tables,
    reported_by_tables,
    table_rows,
    unseen_notes,
)


def row_of(table: str, name: str) -> list[str]:
    return next([part.strip() for part in line.strip()[1:-1].split("|")] for line in table.splitlines()
                if line.startswith(f"| {name} |"))


def test_a_cell_shows_the_spread_only_over_several_seeds():
    assert cell(Score(0.51234, 0.0, [0.51234], 0.4, 0.6)) == "0.512 [0.400, 0.600]"
    assert cell(Score(0.5, 0.0625, [0.45, 0.55], 0.4, 0.6)) == "0.500±0.062 [0.400, 0.600]"


def test_table_cells_are_the_records_numbers(committed):
    records = committed[0]
    header, rows = table_rows(records, "topic", "macro_f1", records.headline_evaluations, transfer=False)
    assert header == ["model", *records.headline_evaluations]
    tfidf = next(row for row in rows if row[0] == "tfidf")
    column = header.index(HEADLINE)
    score = records.headline("tfidf", "topic").scores["macro_f1"]
    assert tfidf[column] == cell(score) == f"{score.mean:.3f} [{score.ci_low:.3f}, {score.ci_high:.3f}]"
    assert len(rows) == len(records), "every experiment ran every task"


def test_same_story_columns_appear_marked_only_in_the_full_tables(committed):
    records = committed[0]
    full = full_markdown(records)
    assert "cross_lingual_same_story:en>nl (same story)" in full
    assert "transfer en>nl" in full
    every = every_setting_tables(records)
    assert "cross_lingual_same_story:en>nl (same story)" in every and "transfer en>nl" in every
    assert "†" not in every and "**" not in every, "no test was run on the same-story columns"


def test_the_csv_has_a_row_per_experiment_task_evaluation_and_metric(committed):
    records = committed[0]
    lines = csv_table(records).splitlines()
    expected = sum(len(r.scores) for record in records for r in record.results)
    assert len(lines) == 1 + expected
    score = records.headline("majority", "topic").scores["accuracy"]
    assert f"majority,majority,topic,{HEADLINE},leave_one_story_out,all,all,yes" in csv_table(records)
    assert any(line.startswith(f"majority,majority,topic,{HEADLINE},") and line.endswith(
        f",accuracy,{score.mean:.4f},{score.std:.4f},{score.ci_low:.4f},{score.ci_high:.4f}") for line in lines)


def test_unseen_classes_are_listed_per_fold(build):
    fold = Fold("story", ["s1"], ["s2", "s3"], 4, 2, ["a", "c"], ["c"])
    records = Results([build.record("m", [build.result(HEADLINE, ["a", "c"], [["a", "a"]], folds=[fold])])])
    assert unseen_notes(records, "topic") == [f"{HEADLINE} (test s2, s3): c"]
    assert "Classes in the test gold without a training example:\n\n- " in full_markdown(records)


def test_per_target_scores_get_their_own_table(build):
    gold, pred = ["a", "b", "a", "b"], [["a", "b", "b", "b"]]
    scores = summarize(gold, pred, ["a", "b"], Bootstrap(100, 0))
    result = replace(build.result(HEADLINE, gold, pred, labels=("a", "b")), per_target={"war": scores, "army": scores})
    table = per_target_tables(Results([build.record("m", [result])]))
    assert row_of(table, "m") == ["m", HEADLINE, "war", cell(scores["macro_f1"]), ""]
    assert "| m | leave_one_story_out:all | army |" in table
    assert per_target_tables(Results([build.record("m", [build.result(HEADLINE, gold, pred)])])) == ""


def test_scores_by_reported_column_get_their_own_table_with_the_subset_sizes(build):
    gold, pred = ["a", "b", "a", "b"], [["a", "b", "b", "b"]]
    scores = summarize(gold[:3], [pred[0][:3]], ["a", "b"], Bootstrap(100, 0))
    subsets = {"language": {"it": Subset(3, scores), "de": Subset(1, scores)}}
    result = replace(build.result("given_split:de>de+it", gold, pred, labels=("a", "b")), reported_by=subsets)
    records = Results([build.record("m", [result])])
    table = reported_by_tables(records)
    assert row_of(table, "m") == ["m", "given_split:de>de+it", "language", "it", "3", cell(scores["macro_f1"]), ""]
    assert "| m | given_split:de>de+it | language | de | 1 |" in table and "ranks nothing" in table
    assert "### By reported column" in full_markdown(records)
    assert reported_by_tables(Results([build.record("m", [build.result(HEADLINE, gold, pred)])])) == ""


def test_markdown_table():
    assert markdown_table(["a", "b"], [["1", "2"]]) == "| a | b |\n|---|---|\n| 1 | 2 |\n"


def test_the_agreement_table_names_the_passes_it_leaves_out_and_why():
    pair = {"annotators": ["a3", "a4"], "units": 70, "raw_agreement": 0.9, "cohen_kappa": 0.8}
    fields = {"topic": {"krippendorff_alpha": 0.8, "pairs": [pair]}}
    table = agreement_table({"v2": RoundAgreement(fields, body=70, left_out={"a5": 2}),
                             "v1": RoundAgreement(fields, body=72)})
    assert "| v2 | topic | a3 vs a4 | 70 | 0.900 | 0.800 | 0.800 |" in table and "| v1 | topic |" in table
    assert table.endswith("\n\nLeft out: a5 (v2: 2 of 70 body paragraphs). A pass that labels fewer than 50% of "
                          "its round's body paragraphs (a trial, or a pass still under way) is left out of the "
                          "agreement, so that a few paragraphs never speak for a round.\n")
    assert "Left out" not in agreement_table({"v1": RoundAgreement(fields, body=72)})


def test_a_round_whose_second_pass_is_left_out_reports_no_agreement_and_says_why():
    table = agreement_table({"v2": RoundAgreement({}, body=70, left_out={"a5": 2})})
    assert "|" not in table and table.startswith("No round of labels has two passes that cover it")
    assert "Left out: a5 (v2: 2 of 70 body paragraphs)." in table

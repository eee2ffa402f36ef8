from dataclasses import replace

import pytest

from bench.evaluation.results import Fold
from bench.publishing.records import HEADLINE, Results
from bench.publishing.stories import per_story_table, story_score

DOCS = ["d1", "d1", "d1", "d2", "d2", "d2"]


def fold(story: str, doc: str, n_test: int = 3) -> Fold:
    return Fold("story", [], [story], 3, n_test, [], [], test_docs=[doc])


FOLDS = [fold("s1", "d1"), fold("s2", "d2")]


def rows_of(page: str, task: str) -> dict[str, list[str]]:
    table = page.split(f"### {task}")[1].split("\n\n")[1]
    return {cells[0]: cells[1:] for line in table.splitlines()[2:]
            if (cells := [c.strip() for c in line.strip("|").split("|")])}


def test_each_story_is_scored_over_its_own_classes_and_averaged_over_seeds(build):
    gold = ["a", "a", "b", "c", "c", "c"]
    # s1: seed 1 perfect (1.0), seed 2 macro-F1 2/3; s2 holds only c, whose F1 is 0.8 (a is not in its gold).
    result = build.result(HEADLINE, gold, [["a", "a", "b", "c", "c", "a"], ["a", "b", "b", "c", "c", "a"]],
                          folds=FOLDS, docs=DOCS)
    page = per_story_table(Results([build.record("m", [result])]))
    assert "| model | s1 | s2 | spread (max − min) |" in page
    assert rows_of(page, "topic") == {"m": ["0.833", "0.800", "0.033"], "(test paragraphs)": ["3", "3", ""]}


def test_f_avg_counts_only_the_poles_in_the_story_and_is_na_without_any(build):
    labels = ("favor", "against", "none")
    gold = ["favor", "none", "none", "none", "none", "none"]
    result = replace(build.result(HEADLINE, gold, [["favor", "favor", "none", "none", "none", "none"]],
                                  task="stance_war", labels=labels, folds=FOLDS, docs=DOCS),
                     f_avg_poles=["favor", "against"])
    record = replace(build.record("m", [result]), metric="f_avg")
    # s1: favor's F1 is 2/3; against, absent from the story's gold, is not averaged in (it would halve it).
    assert story_score(result, FOLDS[0], "f_avg") == pytest.approx(2 / 3) and story_score(result, FOLDS[1], "f_avg") is None
    page = per_story_table(Results([record]))
    assert rows_of(page, "stance_war")["m"] == ["0.667", "n/a", ""] and "(F_avg)" in page


def test_corpus_informed_models_come_last_and_marked(build):
    gold, pred = ["a", "a", "b", "c", "c", "c"], [["a", "a", "b", "c", "c", "c"]]
    result = build.result(HEADLINE, gold, pred, folds=FOLDS, docs=DOCS)
    records = [build.record("informed", [result], marks=["corpus-informed"]), build.record("plain", [result]),
               build.record("elsewhere", [build.result("in_language:nl", gold, pred, folds=FOLDS, docs=DOCS)])]
    assert list(rows_of(per_story_table(Results(records)), "topic")) == [
        "plain", "informed [corpus-informed]", "(test paragraphs)"]


def test_without_the_evaluation_the_section_says_so(build):
    result = build.result("in_language:nl", ["a", "b"], [["a", "b"]])
    assert per_story_table(Results([build.record("m", [result])])) == f"No record holds the `{HEADLINE}` evaluation.\n"


def test_committed_records_have_a_table_per_task_covering_every_test_paragraph(committed):
    results = committed[0]
    page = per_story_table(results)
    assert page.count("\n### ") == len(results.tasks) and "so a reader sees how much the held-out story" in page
    for task in results.tasks:
        rows = rows_of(page, task)
        counts = rows["(test paragraphs)"][:-1]
        assert sum(map(int, counts)) == results.cell("majority", task, HEADLINE).n_test
        assert list(rows)[-2].endswith("[corpus-informed]")

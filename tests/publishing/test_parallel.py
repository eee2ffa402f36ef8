from pathlib import Path

from bench.data.alignment import Alignment, Link
from bench.data.corpus import Corpus, Paragraph
from bench.data.labels import LabelRow
from bench.evaluation.results import Fold
from bench.publishing.parallel import (
    body_pairs,
    consistency,
    equivalent_differences,
    gold_agreement,
    kappa,
    pass_agreement,
    same_story_transfer,
)
from bench.publishing.records import HEADLINE, Results

# Two aligned pairs of one story (documents 001 in Dutch, 002 in English) and a heading that is not scored.
IDS = ["001-01", "001-02", "002-01", "002-02"]
GOLD = {i: LabelRow(i, "", {"kind": "body", "topic": label}, n) for n, (i, label) in
        enumerate(zip(IDS, ["a", "b", "a", "c"]))} | {"001-00": LabelRow("001-00", "", {"kind": "title", "topic": "a"}, 9)}
ALIGNMENT = [Link("001-01", "002-01", "equivalent", 1), Link("001-02", "002-02", "partial", 2),
             Link("001-00", None, "equivalent", 3)]


def row_of(table: str, name: str) -> list[str]:
    return next([part.strip() for part in line.strip()[1:-1].split("|")] for line in table.splitlines()
                if line.startswith(f"| {name} |"))


def test_only_body_pairs_with_a_counterpart_count():
    assert body_pairs(ALIGNMENT, GOLD) == [("001-01", "002-01"), ("001-02", "002-02")]


def test_kappa_is_na_where_it_is_undefined():
    assert kappa(["a", "a"], ["a", "a"]) == "n/a"
    assert kappa(["a", "b"], ["a", "b"]) == "1.000"


def test_body_pairs_of_one_relation():
    assert body_pairs(ALIGNMENT, GOLD, "partial") == [("001-02", "002-02")]


def test_gold_agreement_is_reported_per_alignment_and_relation():
    table = gold_agreement({"x": Alignment("x", ALIGNMENT)}, GOLD, ["topic"])
    rows = [line for line in table.splitlines() if line.startswith("| x |")]
    assert [row.split(" | ")[1:5] for row in rows] == [["equivalent", "topic", "1", "1.000"],
                                                       ["partial", "topic", "1", "0.000"]]


def test_equivalent_pairs_with_other_gold_labels_are_named():
    differing = {**GOLD, "002-01": LabelRow("002-01", "", {"kind": "body", "topic": "c"}, 2)}
    assert equivalent_differences({"x": Alignment("x", ALIGNMENT)}, GOLD, ["topic"]).endswith(": none.")
    assert "001-01 and 002-01 (topic: a against c)" in equivalent_differences(
        {"x": Alignment("x", ALIGNMENT)}, differing, ["topic"])


def test_pass_agreement_counts_every_pair_of_the_two_sides_and_the_relations():
    paragraphs = tuple(Paragraph(i, i[:3], int(i[4:]), "en", "s", "text", "", 1) for i in IDS)
    corpus = Corpus(Path("."), (), paragraphs)
    passes = {"p": [Link("001-01", "002-01", "equivalent", 1), Link("001-02", None, "", 2)],
              "q": [Link("001-01", "002-01", "partial", 1), Link("001-02", "002-02", "partial", 2)]}
    text = pass_agreement(Alignment("x", [], passes), corpus)
    assert text.startswith("The passes p and q agree on 3 of 4 pairs")
    assert "the same relation to 0 of the 1 pairs both link; 1 disputed pairs" in text


def held_out(build, predictions, trained_on):
    fold = Fold("story", ["s2"], ["s1"], 4, 4, ["a", "b", "c"], [], train_docs=trained_on, test_docs=["001", "002"])
    return build.result(HEADLINE, [GOLD[i].labels["topic"] for i in IDS], predictions, folds=[fold], ids=IDS)


def test_consistency_uses_only_folds_that_never_trained_on_the_story(build):
    pairs = body_pairs(ALIGNMENT, GOLD)
    same = [["a", "b", "a", "b"]]  # the same prediction on both sides of both pairs; right on three of four
    records = Results([build.record("unseen", [held_out(build, same, ["003"])]),
                       build.record("seen", [held_out(build, same, ["001"])])])
    table = consistency(records, pairs, GOLD, ["topic"])
    assert row_of(table, "topic") == ["topic", "unseen", "1.000", "0.500", "0.500"]
    assert "| seen |" not in table


def test_same_story_transfer_shows_each_direction(build):
    gold = ["a", "b"]
    records = Results([build.record("m", [build.result("cross_lingual:en>nl", gold, [gold]),
                                          build.result("cross_lingual_same_story:en>nl", gold, [["a", "a"]])])])
    row = row_of(same_story_transfer(records, ["topic"]), "topic")
    assert row[1:4] == ["m", "1.000", f"{1 / 3:.3f}"] and row[4:] == ["", ""]

from bench.publishing.records import Results
from bench.publishing.transfer import transfer_cells, transfer_columns

LABELS = ["a", "b"]
GOLD = ["a", "b"] * 10


def record(build, name: str, model: str, home_disjoint: bool = True):
    right, wrong = GOLD, ["a"] * len(GOLD)
    return build.record(name, [build.result("in_language:nl", GOLD, [right], labels=LABELS, story_disjoint=home_disjoint),
                               build.result("cross_lingual:en>nl", GOLD, [wrong], labels=LABELS)], model)


def test_transfer_is_na_for_models_that_do_not_learn(build):
    records = Results([record(build, "majority", "majority"), record(build, "zero", "zero_shot"),
                       record(build, "tfidf", "tfidf")])
    assert transfer_columns(records) == [("transfer en>nl", "cross_lingual:en>nl", "in_language:nl")]
    cells = transfer_cells(records, "topic", "macro_f1")
    assert cells[("majority", "transfer en>nl")] == "n/a" and cells[("zero", "transfer en>nl")] == "n/a"
    # all right at home (1.0), one class always at the other language (macro-F1 1/3): -0.667
    assert cells[("tfidf", "transfer en>nl")].startswith("-0.667 [")


def test_a_same_story_reference_is_marked(build):
    cells = transfer_cells(Results([record(build, "tfidf", "tfidf", home_disjoint=False)]), "topic", "macro_f1")
    assert cells[("tfidf", "transfer en>nl")].endswith(" §")

from bench.evaluation.statistics import summarize
from bench.publishing.transfer import transfer_cells, transfer_columns

LABELS = ["a", "b"]
GOLD = ["a", "b"] * 10


def result(evaluation: str, setting: str, source: str, target: str, pred: list[str], disjoint: bool) -> dict:
    return {"task": "t", "evaluation": evaluation, "setting": setting, "train_language": source,
            "test_language": target, "labels": LABELS, "story_disjoint": disjoint, "f_avg_poles": [],
            "seen_classes": LABELS, "scores": summarize(GOLD, [pred], LABELS, (), 100, 0, seen=LABELS),
            "predictions": [{"id": str(i), "doc": "d", "gold": g, "pred": [p]} for i, (g, p) in enumerate(zip(GOLD, pred))]}


def record(name: str, model: str, home_disjoint: bool = True) -> dict:
    right, wrong = GOLD, ["a"] * len(GOLD)
    return {"experiment": name, "model": model, "provenance": {"config": {"resamples": 200}},
            "results": [result("in_language:nl", "in_language", "nl", "nl", right, home_disjoint),
                        result("cross_lingual:en>nl", "cross_lingual", "en", "nl", wrong, True)]}


def test_transfer_is_na_for_models_that_do_not_learn():
    records = [record("majority", "majority"), record("zero", "zero_shot"), record("tfidf", "tfidf")]
    assert transfer_columns(records) == [("transfer en>nl", "cross_lingual:en>nl", "in_language:nl")]
    cells = transfer_cells(records, "t", "macro_f1")
    assert cells[("majority", "transfer en>nl")] == "n/a" and cells[("zero", "transfer en>nl")] == "n/a"
    # all right at home (1.0), one class always at the other language (macro-F1 1/3): -0.667
    assert cells[("tfidf", "transfer en>nl")].startswith("-0.667 [")


def test_a_same_story_reference_is_marked():
    cells = transfer_cells([record("tfidf", "tfidf", home_disjoint=False)], "t", "macro_f1")
    assert cells[("tfidf", "transfer en>nl")].endswith(" §")

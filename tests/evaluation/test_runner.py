from bench.evaluation.config import Config
from bench.evaluation.results import Fold
from bench.evaluation.runner import run_evaluation, seen_classes
from bench.evaluation.settings import evaluations
from bench.evaluation.tasks import Example, Task


def stance_rows() -> list[Example]:
    # No paragraph is favor: F_avg must average over the pole that occurs, against.
    rows = []
    for doc, story in (("d1", "s1"), ("d2", "s2"), ("d3", "s3")):
        for i in range(4):
            rows.append(Example(f"{doc}-{i}", doc, "en", story, "the war", f"{doc} {i}", "against" if i else "none"))
    return rows


def test_f_avg_is_taken_over_the_poles_in_the_test_gold():
    task = Task("stance", ("favor", "against", "none"), {}, "the war", ("favor", "against"))
    evaluation = evaluations("in_language", stance_rows())[0]
    result = run_evaluation(Config("majority", "majority"), task, stance_rows(), evaluation)
    assert result.f_avg_poles == ["against"]
    # majority predicts against everywhere: F1(against) = 2 * 9 / (9 + 12)
    assert abs(result.scores["f_avg"].mean - 18 / 21) < 1e-12
    semeval = Task("stance", task.labels, {}, "the war", ("favor", "against"), poles_present_only=False)
    assert run_evaluation(Config("majority", "majority"), semeval, stance_rows(), evaluation).f_avg_poles == [
        "favor", "against"]


def test_seen_classes_are_those_every_testing_fold_trained_on():
    folds = [Fold("doc", [], [], 0, 0, test_classes=["a", "b"], unseen_classes=["b"]),
             Fold("doc", [], [], 0, 0, test_classes=["a", "c"], unseen_classes=[])]
    assert seen_classes(folds, ["a", "b", "c"]) == ["a", "c"]

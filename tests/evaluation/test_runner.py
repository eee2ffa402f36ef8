from pathlib import Path

import pytest

from bench.data.corpus import Corpus, Paragraph
from bench.data.labels import LabelRow
from bench.evaluation.config import Config
from bench.evaluation.results import Fold, Result
from bench.evaluation.runner import check_jobs, plan, run_plans, seen_classes, usable_cores
from bench.evaluation.tasks import Task
from bench.files import BenchError

STANCE = ("favor", "against", "none")


def stance_corpus() -> tuple[Corpus, dict[str, LabelRow]]:
    """Three documents of three stories, four body paragraphs each; no paragraph is favor."""
    paragraphs, gold = [], {}
    for doc in ("d1", "d2", "d3"):
        for i in range(4):
            paragraph = Paragraph(f"{doc}-{i}", doc, i, "en", f"story {doc}", f"{doc} {i}", "", i + 1)
            paragraphs.append(paragraph)
            gold[paragraph.id] = LabelRow(paragraph.id, "", {"kind": "body", "stance": "against" if i else "none"}, i + 1)
    return Corpus(Path("."), (), tuple(paragraphs)), gold


def run_stance(task: Task) -> Result:
    """The majority model on the in_language setting, planned and run as `bench run` runs an experiment."""
    corpus, gold = stance_corpus()
    config = Config("majority", "majority", tasks=(task.name,), settings=("in_language",))
    [[result]] = run_plans([plan(config, {task.name: task}, corpus, gold, "hash")])
    return result


def test_f_avg_is_taken_over_the_poles_in_the_test_gold():
    # F_avg must average over the pole that occurs, against.
    task = Task("stance", STANCE, {label: label for label in STANCE}, "the war", ("favor", "against"))
    result = run_stance(task)
    assert result.evaluation == "in_language:en" and len(result.folds) == 3
    assert result.f_avg_poles == ["against"]
    # majority predicts against everywhere: F1(against) = 2 * 9 / (9 + 12)
    assert abs(result.scores["f_avg"].mean - 18 / 21) < 1e-12
    semeval = Task("stance", task.labels, task.definitions, "the war", ("favor", "against"), poles_present_only=False)
    assert run_stance(semeval).f_avg_poles == ["favor", "against"]


def test_seen_classes_are_those_every_testing_fold_trained_on():
    folds = [Fold("doc", [], [], 0, 0, test_classes=["a", "b"], unseen_classes=["b"]),
             Fold("doc", [], [], 0, 0, test_classes=["a", "c"], unseen_classes=[])]
    assert seen_classes(folds, ["a", "b", "c"]) == ["a", "c"]


@pytest.mark.parametrize("jobs", [0, -2, usable_cores() + 1, 1000])
def test_jobs_beyond_the_cores_are_refused(jobs):
    with pytest.raises(BenchError, match=f"--jobs must be from 1 to {usable_cores()}.*got {jobs}"):
        check_jobs(jobs)


def test_jobs_on_a_cluster_are_not_bounded_by_this_machine():
    assert check_jobs(1000, "dask") == 1000
    assert check_jobs(-1) == -1
    with pytest.raises(BenchError, match="positive number"):
        check_jobs(0, "ray")

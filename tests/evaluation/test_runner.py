from pathlib import Path

import pytest

from bench.data.corpus import Corpus, Paragraph
from bench.data.labels import LabelRow
from bench.evaluation.config import Config
from bench.evaluation.results import Fold, Result
from bench.evaluation.runner import as_completed, check_jobs, fold_count, plan, run_plans, seen_classes, usable_cores
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


def look_alike(folder, name: str, flipped: bool) -> Config:
    """A small data set whose wording decides the label; `flipped` swaps the wordings, keeping ids and labels."""
    import csv

    from bench.evaluation.config import load_config
    words = {"A": "alpha good fine great", "B": "beta bad awful poor"}
    rows = []
    for i in range(24):
        label = "A" if i % 2 else "B"
        wording = {"A": "B", "B": "A"}[label] if flipped else label
        rows.append({"id": str(i), "text": f"{words[wording]} {i}", "label": label, "part": "test" if i % 4 == 0 else "train",
                     "source": f"g{i % 3}"})
    with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    (folder / f"{name}.yaml").write_text(
        "model: {name: tfidf, grid: {classifier__C: [0.1, 1.0]}}\nsettings: [given_split]\n"
        f"dataset: {{path: {name}.csv, name: {name}, columns: {{id: id, text: text, label: label, split: part, "
        "group: source}}\n", encoding="utf-8")
    return load_config(folder / f"{name}.yaml")


def test_look_alike_data_sets_in_one_run_score_as_they_do_alone(tmp_path, monkeypatch):
    """Same ids and labels, other texts: neither may reuse the other's selection or fit."""
    from collections import OrderedDict

    import bench.evaluation.runner as runner
    one, two = look_alike(tmp_path, "one", False), look_alike(tmp_path, "two", True)
    alone = {}
    for config in (one, two):
        monkeypatch.setattr(runner, "_REMEMBERED", OrderedDict())
        [[alone[config.name]]] = run_plans([plan(config, {}, None, None, "")])
    monkeypatch.setattr(runner, "_REMEMBERED", OrderedDict())
    [[first], [second]] = run_plans([plan(one, {}, None, None, ""), plan(two, {}, None, None, "")])
    assert alone["two"].scores["macro_f1"].mean == 1.0, "the wording decides the label in each data set"
    assert (first, second) == (alone["one"], alone["two"])


def test_the_fits_are_the_same_under_the_threading_backend(tmp_path):
    config = look_alike(tmp_path, "one", False)
    jobs = min(2, usable_cores())
    assert run_plans([plan(config, {}, None, None, "")], jobs, "threading") == run_plans([plan(config, {}, None, None, "")])


class Counted:
    """What `run_plans` tells its progress, as bench.progress.Progress hears it."""

    def __init__(self):
        self.heard = []

    def start(self, name):
        self.heard.append(("start", name))

    def advance(self, units=1):
        self.heard.append(("fold", units))

    def finish(self, name, outcome=""):
        self.heard.append(("finish", name))


@pytest.mark.parametrize("backend", ["loky", "threading", "multiprocessing"])
def test_progress_hears_every_fold_in_the_parent_whatever_the_backend(tmp_path, backend):
    plans = [plan(look_alike(tmp_path, name, False), {}, None, None, "") for name in ("one", "two")]
    counted = Counted()
    run_plans(plans, min(2, usable_cores()), backend, progress=counted)
    folds = [len(evaluation.folds) for p in plans for _, _, evaluation, _ in p.units]
    assert counted.heard == [("start", "one"), *[("fold", 1)] * folds[0], ("finish", "one"),
                             ("start", "two"), *[("fold", 1)] * folds[1], ("finish", "two")]
    assert fold_count(plans) == sum(folds) > 1


@pytest.mark.parametrize("backend", ["loky", "multiprocessing"])
def test_results_come_back_numbered_as_they_complete_or_all_at_the_end(backend):
    from joblib import delayed, parallel_config
    with parallel_config(backend=backend, n_jobs=2):
        assert sorted(as_completed(delayed(pow)(2, n) for n in range(5))) == [(n, 2 ** n) for n in range(5)]


def test_the_memo_stays_whole_when_threads_share_it(monkeypatch):
    from collections import OrderedDict
    from concurrent.futures import ThreadPoolExecutor

    import bench.evaluation.runner as runner
    monkeypatch.setattr(runner, "_REMEMBERED", OrderedDict())

    def double(value: int) -> int:
        return 2 * value
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda i: runner.remembered(double, i % 20), range(2000)))
    assert found == [2 * (i % 20) for i in range(2000)]
    assert len(runner._REMEMBERED) <= runner._REMEMBERED_LIMIT


def test_a_fold_with_a_single_class_is_refused_before_any_record_is_rewritten(ran, capsys, refused):
    """Captions say nothing of the war, so every training side of stance_war is 'none': found while planning,
    not after majority's record (alphabetically first) was rewritten."""
    config = ran.experiments / "zz_captions.yaml"
    config.write_text("model: {name: majority}\ntasks: [stance_war]\nkinds: [caption]\nsettings: [leave_one_story_out]\n")
    refused(ran, ["run", str(ran.experiments / "majority.yaml"), str(config)],
            f"error: {config}: zz_captions: stance_war leave_one_story_out:all: the training rows of the fold testing "
            "mishov are all 'none'; a classifier needs two classes")


def stray_language(folder, rows: int = 12) -> Config:
    """English and Dutch rows of two classes in three groups each, and one German row."""
    from bench.evaluation.config import load_config
    lines = ["id,text,label,lang,source"] + [f"{language}{i},{language} text {i},{'AB'[i % 2]},{language},{language}{i % 3}"
                                             for language in ("en", "nl") for i in range(rows)]
    (folder / "stray.csv").write_text("\n".join(lines + ["de0,de text,A,de,de0"]) + "\n", encoding="utf-8")
    (folder / "stray.yaml").write_text("model: {name: majority}\nsettings: [cross_lingual]\ndataset: {path: stray.csv, "
                                       "columns: {id: id, text: text, label: label, language: lang, group: source}}\n")
    return load_config(folder / "stray.yaml")


def test_cross_lingual_from_a_language_of_one_row_is_refused_while_planning(tmp_path):
    with pytest.raises(BenchError, match=r"stray cross_lingual:de>en: the training rows of the fold testing en0, en1, "
                                         r"en2 are all 'A'"):
        plan(stray_language(tmp_path), {}, None, None, "")


def test_a_training_size_that_draws_one_class_is_refused_while_planning(tmp_path):
    """600 rows of one class and three of another, one in each group: a draw of two training rows misses the
    second class in all of subsample's 100 tries for some seed of ten."""
    from bench.evaluation.config import load_config
    lines = ["id,text,label,source"] + [f"{i},text {i},{'B' if i < 3 else 'A'},g{i % 3}" for i in range(603)]
    (tmp_path / "skewed.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "skewed.yaml").write_text(
        "model: {name: majority}\nsettings: [leave_one_story_out]\ntrain_sizes: [2]\nseeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
        "dataset: {path: skewed.csv, columns: {id: id, text: text, label: label, group: source}}\n")
    with pytest.raises(BenchError, match=r"training size 2 draws a single class for seed \d"):
        plan(load_config(tmp_path / "skewed.yaml"), {}, None, None, "")


def test_a_definitions_file_without_a_task_the_config_runs_is_refused_while_planning():
    """The task would otherwise fall back to the codebook's definitions, or fail in the middle of the run."""
    corpus, gold = stance_corpus()
    task = Task("stance", STANCE, {label: label for label in STANCE}, "the war", ("favor", "against"))
    config = Config("zs", "majority", tasks=("stance",), settings=("in_language",),
                    definitions={"topic": {"other": "anything"}}, definitions_source="generic.yaml")
    with pytest.raises(BenchError, match=r"the definitions \(generic.yaml\) define no labels of stance"):
        plan(config, {"stance": task}, corpus, gold, "hash")

import errno
import json
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest
import yaml

import bench.evaluation.runner as runner
import bench.files
import bench.workflows.annotate as annotate
from bench.annotation.labelstudio import export_tasks
from bench.cli import main
from bench.data.labels import GOLD, load_gold, read_label_file
from bench.files import locked
from bench.models.targets import PerTarget
from bench.workflows.annotate import predict_cross_fitted

AGREED, DISPUTED = ("000-01", "000-03"), "004-08"  # a3 and a4 agree on the first two; on 004-08, only
# topic is disputed


@pytest.fixture
def undecided(project):
    """A checkout whose gold lacks two paragraphs the annotators agree on and one they dispute."""
    gold = project.labels / GOLD
    lines = gold.read_text().splitlines(keepends=True)
    gold.write_text("".join(line for line in lines if json.loads(line)["id"] not in (*AGREED, DISPUTED)))
    return project


def gold_ids(project):
    return [json.loads(line)["id"] for line in (project.labels / GOLD).read_text().splitlines()]


def test_adjudicate_adds_the_agreed_paragraphs_once(undecided, capsys):
    assert main(["--root", str(undecided.root), "adjudicate"]) == 0
    assert "2 paragraph(s) where the annotators agree added" in capsys.readouterr().out
    assert main(["--root", str(undecided.root), "adjudicate"]) == 0
    assert "0 paragraph(s) where the annotators agree added" in capsys.readouterr().out
    ids = gold_ids(undecided)
    assert ids[-2:] == list(AGREED) and len(ids) == len(set(ids))


def test_a_second_adjudicate_rereads_gold_under_the_lock(undecided, monkeypatch, capsys):
    """Two runs at once: the first takes the lock and adds the agreed rows while the second waits; the second
    then decides on what gold holds by then, so it adds nothing twice."""
    held = locked

    @contextmanager
    def first_runs_while_this_one_waits(path):
        monkeypatch.setattr(annotate, "locked", held)
        assert main(["--root", str(undecided.root), "adjudicate"]) == 0
        with held(path):
            yield

    monkeypatch.setattr(annotate, "locked", first_runs_while_this_one_waits)
    assert main(["--root", str(undecided.root), "adjudicate"]) == 0
    out = capsys.readouterr().out
    assert "2 paragraph(s) where the annotators agree added" in out
    assert "0 paragraph(s) where the annotators agree added" in out
    ids = gold_ids(undecided)
    assert len(ids) == len(set(ids)) and read_label_file(undecided.labels / GOLD, undecided.schema(),
                                                         undecided.corpus()).problems == []


def test_adjudicate_waits_for_another_writer_then_gives_up_clearly(undecided, monkeypatch, refused):
    monkeypatch.setattr(bench.files, "LOCK_WAIT", 0)
    with locked(undecided.labels / GOLD):
        refused(undecided, ["adjudicate"], f"{undecided.labels / GOLD}: another bench command is writing in "
                                           f"{undecided.labels}; try again once it has finished")


def test_adjudicate_closes_a_gold_line_left_without_its_newline(undecided, capsys):
    gold = undecided.labels / GOLD
    gold.write_text(gold.read_text().rstrip("\n"))  # a hand edit
    assert main(["--root", str(undecided.root), "adjudicate"]) == 0
    assert read_label_file(gold, undecided.schema(), undecided.corpus()).problems == []
    assert gold_ids(undecided)[-2:] == list(AGREED)


def test_adjudicate_on_a_full_disk_leaves_gold_as_it_was(undecided, monkeypatch, refused):
    def full(descriptor, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("os.write", full)
    refused(undecided, ["adjudicate"], f"error: {undecided.labels / GOLD}: cannot write: No space left on device")


def test_adjudicate_refuses_a_gold_file_linked_out_of_the_checkout(undecided, tmp_path_factory, refused):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "gold.jsonl"
    gold = undecided.labels / GOLD
    elsewhere.write_bytes(gold.read_bytes())
    gold.unlink()
    gold.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    refused(undecided, ["adjudicate"], f"error: {gold}: is a symbolic link to {elsewhere}, outside "
                                       f"{undecided.root}; refusing to write through it")
    assert elsewhere.read_bytes() == before


@pytest.mark.parametrize("arguments, message", [
    (["--set", "topic=escape"], "--set needs --resolve ID"),
    (["--reason", "because"], "--reason needs --resolve ID"),
    (["--resolve", DISPUTED, "--set", "topic=escape", "--set", "topic=losses", "--reason", "x"],
     "--set topic is given 2 times; choose one label per field"),
])
def test_adjudicate_refuses_choices_it_would_drop(undecided, refused, arguments, message):
    refused(undecided, ["adjudicate", *arguments], f"error: {message}")


def test_resolve_writes_the_chosen_label_with_the_reason(undecided, capsys):
    assert main(["--root", str(undecided.root), "adjudicate", "--resolve", DISPUTED, "--set", "topic=asylum_policy",
                 "--reason", "both sentences are about his legal position"]) == 0
    row = json.loads((undecided.labels / GOLD).read_text().splitlines()[-1])
    assert row["id"] == DISPUTED and row["topic"] == "asylum_policy" and row["stance_defector"] == "none"
    assert row["reasons"] == {"topic": "both sentences are about his legal position"}


def test_two_adjudicate_processes_at_once_add_each_row_once(undecided):
    command = [sys.executable, "-m", "bench.cli", "--root", str(undecided.root), "adjudicate"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    added = sorted(out.split(" paragraph(s) where")[0].splitlines()[-1] for out, _ in outputs)
    assert added == ["0", "2"]
    ids = gold_ids(undecided)
    assert len(ids) == len(set(ids))


def test_agreement_leaves_out_a_trial_pass_and_says_why(project, capsys):
    a3 = (project.labels / "annotations" / "a3.jsonl").read_text().splitlines(keepends=True)
    (project.labels / "annotations" / "a5.jsonl").write_text("".join(a3[:2]))  # two body paragraphs
    assert main(["--root", str(project.root), "agreement"]) == 0
    out = capsys.readouterr().out
    assert "| v2 | topic | a3 vs a4 | 91 |" in out and "a5 |" not in out and "by a5" not in out
    assert "Left out: a5 (v2: 2 of 70 body paragraphs). A pass that labels fewer than 50% of" in out


# Label Studio: `bench labelstudio-export` and `bench labelstudio-import`.


def labelstudio_export_file(project, path, users=(1,)):
    """A Label Studio JSON export of four gold paragraphs, each annotated once by every user, with its gold."""
    corpus, schema = project.corpus(), project.schema()
    gold = load_gold(project.labels, schema, corpus)
    tasks = export_tasks(corpus, schema, ids=["000-01", "000-02", "001-01", "004-12"])
    for number, task in enumerate(tasks, start=1):
        labels = gold[task["data"]["paragraph_id"]].labels
        task.update(id=number, annotations=[
            {"id": 10 * number + user, "completed_by": user, "was_cancelled": False,
             "result": [{"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": [label]}}
                        for name, label in labels.items()]} for user in users])
    path.write_text(json.dumps(tasks))
    return path


@pytest.mark.parametrize("mapping, message", [
    ("1=a3,2=a3", "error: --annotator-map: 1 and 2 both map to a3"),
    ("1=a3,1=a4", "error: --annotator-map: user 1 is given twice (1=a3, 1=a4)"),
])
def test_labelstudio_import_refuses_a_map_that_merges_or_repeats_users(project, refused, mapping, message):
    export = labelstudio_export_file(project, project.root / "export.json", users=(1, 2))
    refused(project, ["labelstudio-import", str(export), "--annotator-map", mapping], message)


def test_labelstudio_import_checks_every_annotators_file_before_appending_to_any(project, refused):
    export = labelstudio_export_file(project, project.root / "export.json", users=(1, 2))
    (project.labels / "annotations" / "a9.jsonl").mkdir(parents=True)
    refused(project, ["labelstudio-import", str(export), "--annotator-map", "1=a3,2=a9"],
            "a9.jsonl: is a folder, but a file must be written here")


@pytest.mark.parametrize("out, config, message", [
    ("out", None, "out: is a folder, but a file must be written here"),
    (".", None, "error: .: is a folder, but a file must be written here"),
    ("new/..", None, "new/..: is a folder, but a file must be written here"),
    ("tasks.json", "out", "out: is a folder, but a file must be written here"),
    ("tasks.json", "tasks.json", "tasks.json: the labelling config and the tasks file must be different files"),
    ("tasks.json", "./new/../tasks.json", "the labelling config and the tasks file must be different files"),
    ("tasks.json", "link.xml", "link.xml: the labelling config and the tasks file must be different files"),
    ("tasks.xml", None, "tasks.xml: the labelling config and the tasks file must be different files"),
    ("labels/gold.jsonl", None, "labels/gold.jsonl: would overwrite a file of the benchmark's labels/ folder"),
    ("tasks.json", "seeds/manifest.csv", "seeds/manifest.csv: would overwrite a file of the benchmark's seeds/"),
    ("experiments/tfidf.yaml", None, "experiments/tfidf.yaml: would overwrite a file of the benchmark's experiments/"),
    ("tasks.json", "mine/../mine/tfidf.yaml", "mine/../mine/tfidf.yaml: would overwrite the --predict config"),
])
def test_labelstudio_export_refuses_a_destination_before_writing_either_file(project, refused, monkeypatch, out,
                                                                            config, message):
    """Both destinations are checked first: a folder, one file for both, or a file the benchmark reads."""
    (project.root / "out").mkdir()
    os.symlink("tasks.json", project.root / "link.xml")
    monkeypatch.chdir(project.root)
    predict = project.root / "mine" / "tfidf.yaml"
    predict.parent.mkdir()
    predict.write_text((project.experiments / "tfidf.yaml").read_text())
    arguments = ["labelstudio-export", out, *(["--config", config] if config else []), "--predict", str(predict)]
    refused(project, arguments, message)


@pytest.mark.parametrize("config, message", [
    ("examples/multitarget_majority.yaml", "multitarget_majority.yaml: --predict pre-annotates the benchmark's "
                                           "paragraphs, but this config runs on an external data set"),
    ("examples/predictions_file.yaml", "predictions_file.yaml: --predict trains the config's model on the other "
                                       "documents' gold, but predictions_file reads fixed predictions from a file"),
])
def test_labelstudio_export_refuses_a_predict_config_that_cannot_pre_annotate(project, refused, config, message):
    arguments = ["labelstudio-export", str(project.root / "tasks.json"), "--predict",
                 str(project.experiments / config)]
    refused(project, arguments, message)


def test_labelstudio_export_refuses_to_pre_annotate_from_gold_too_small_to_train_on(project, refused):
    gold = project.labels / "gold.jsonl"
    gold.write_text(gold.read_text().splitlines(keepends=True)[0])
    arguments = ["labelstudio-export", str(project.root / "tasks.json"), "--predict",
                 str(project.experiments / "tfidf.yaml")]
    refused(project, arguments, "the gold of the documents other than 000 has no paragraph; --predict trains on it")


def test_labelstudio_pre_annotations_come_from_the_model_bench_run_would_fit(repo, tmp_path, monkeypatch):
    """The config's definitions reach the model, each copy is per target, and the grid is searched on the
    training side only (the other documents' gold), as in runner.run_fold."""
    definitions = repo.experiments / "definitions" / "generic.yaml"
    config = tmp_path / "pre_annotating.yaml"
    config.write_text(yaml.safe_dump({
        "model": {"name": "tfidf", "params": {"features__char": "drop"}, "grid": {"classifier__C": [0.01, 100.0]}},
        "tasks": ["stance_war"], "per_target": True, "definitions": str(definitions)}))
    given, searched, chosen, fitted = [], [], [], []
    configured, select, fit = runner.configured, runner.select, runner.fit

    def spying_configured(model, seed, label_definitions=None, task=None, fold=None):
        given.append((task, fold, label_definitions))
        return configured(model, seed, label_definitions, task, fold)

    def spying_select(model, grid, train, max_folds):
        searched.append({e.doc for e in train})
        chosen.append(select(model, grid, train, max_folds))
        return chosen[-1]

    def spying_fit(model, rows):
        fitted.append((model, {e.doc for e in rows}))
        return fit(model, rows)

    monkeypatch.setattr(runner, "configured", spying_configured)
    monkeypatch.setattr(runner, "select", spying_select)
    monkeypatch.setattr(runner, "fit", spying_fit)
    corpus, schema = repo.corpus(), repo.schema()
    gold = load_gold(repo.labels, schema, corpus)
    ids = [p.id for p in corpus.paragraphs if p.doc in ("001", "004")]
    predicted, _ = predict_cross_fitted(config, repo, corpus, gold, ids)

    assert set(predicted) == set(ids) and all(set(labels) == {"stance_war"} for labels in predicted.values())
    generic = yaml.safe_load(definitions.read_text())["stance_war"]
    assert given == [("stance_war", "pre_annotation:all/0", generic), ("stance_war", "pre_annotation:all/1", generic)]
    labelled = {corpus.by_id()[i].doc for i, row in gold.items() if row.labels["kind"] == "body"}
    assert searched == [labelled - {"001"}, labelled - {"004"}], "the grid is searched on the other documents' gold"
    assert [docs for _, docs in fitted] == searched, "and the model is fitted on that same side"
    assert all(isinstance(model, PerTarget) for model, _ in fitted)
    assert [model.get_params()["estimator__classifier__C"] for model, _ in fitted] == \
        [point["estimator__classifier__C"] for point, _ in chosen], "with the grid point chosen there"

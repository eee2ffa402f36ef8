import json
import os

import pytest
import yaml

import bench.evaluation.runner as runner
from bench.annotation.labelstudio import export_tasks
from bench.data.labels import load_gold
from bench.models.targets import PerTarget
from bench.workflows.annotate import predict_cross_fitted

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

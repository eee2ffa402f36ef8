import csv
import json

import pytest

from bench.cli import main
from bench.evaluation.tasks import build_examples, tasks_from_schema


def read_rows(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def test_a_filled_template_scores_through_a_config_from_any_working_folder(project, tmp_path, monkeypatch, capsys):
    """The template, filled with the codebook zero-shot model's labels from the example file, is read by a
    predictions_file config beside it, wherever the command runs; every tested paragraph gets its filled label."""
    template = tmp_path / "mine" / "predictions.csv"
    template.parent.mkdir()
    assert main(["--root", str(project.root), "predictions-template", str(template)]) == 0
    rows = read_rows(template)
    assert list(rows[0]) == ["id", "task", "target", "text", "label"] and not any(row["label"] for row in rows)
    schema, corpus = project.schema(), project.corpus()
    gold = project.valid_gold(schema, corpus)
    tasks = tasks_from_schema(schema)
    assert [(row["id"], row["task"], row["text"]) for row in rows] == [
        (e.id, name, e.text) for name, task in tasks.items() for e in build_examples(task, corpus, gold, ["body"])]

    exported = {(row["id"], row["task"]): row["label"]
                for row in read_rows(project.experiments / "examples" / "zero_shot_predictions.csv")}
    filled = [{**row, "label": exported[(row["id"], row["task"])]} for row in rows]
    with open(template, "w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, list(rows[0]))
        writer.writeheader()
        writer.writerows(filled)
    config = template.parent / "mine.yaml"
    config.write_text("model:\n  name: predictions_file\n  params:\n    path: predictions.csv\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["--root", str(project.root), "run", str(config), "--out", "out"]) == 0
    record = json.loads((elsewhere / "out" / "records" / "mine.json").read_text(encoding="utf-8"))
    labels = {(row["id"], row["task"]): row["label"] for row in filled}
    predicted = {(p["id"], result["task"], p["pred"][0]) for result in record["results"] for p in result["predictions"]}
    assert {(i, task) for i, task, _ in predicted} == set(labels)
    assert all(labels[(i, task)] == label for i, task, label in predicted)
    assert "| mine [predictions file] |" in capsys.readouterr().out


def test_the_template_of_some_tasks_as_json_lines(project, tmp_path):
    out = tmp_path / "template.jsonl"
    assert main(["--root", str(project.root), "predictions-template", str(out), "--tasks", "stance_war"]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {row["task"] for row in rows} == {"stance_war"} and all(row["target"] and not row["label"] for row in rows)


@pytest.mark.parametrize("name, tasks, message", [
    ("exists.csv", [], "exists.csv: already exists; the template is written only to a new file"),
    ("new.csv", ["--tasks", "topic", "topc"], "error: unknown task(s) 'topc' (known: topic, stance_war, stance_defector)"),
    ("new.txt", [], "new.txt: the template must be a .csv or .jsonl file"),
])
def test_the_template_refuses_before_writing(project, tmp_path, refused, name, tasks, message):
    (tmp_path / "exists.csv").write_text("id,task,label\n000-01,topic,other\n", encoding="utf-8")
    refused(project, ["predictions-template", str(tmp_path / name), *tasks], message, tmp_path)

import json
import xml.etree.ElementTree as ET

import pytest

from bench.annotation.labelstudio import export_tasks, import_annotations, labelling_config
from bench.data.labels import load_gold, parse_row
from bench.files import BenchError

IDS = ["000-01", "000-02", "001-01", "004-12"]


def test_config_has_one_required_single_choice_per_field_with_the_scheme_labels(repo):
    schema = repo.schema()
    root = ET.fromstring(labelling_config(schema))
    assert root.tag == "View"
    texts = {t.get("name"): t.get("value") for t in root.iter("Text")}
    assert texts["text"] == "$text"
    choices = list(root.iter("Choices"))
    assert [c.get("name") for c in choices] == list(schema.fields)
    for tag in choices:
        field = schema.fields[tag.get("name")]
        assert (tag.get("toName"), tag.get("choice"), tag.get("required")) == ("text", "single", "true")
        assert [c.get("value") for c in tag.iter("Choice")] == list(field.labels)
        assert [c.get("hint") for c in tag.iter("Choice")] == [field.definitions[label] for label in field.labels]
    headers = [h.get("value") for h in root.iter("Header")]
    assert any("$doc" in h and "$language" in h for h in headers)
    for field in schema.fields.values():
        if field.target:
            assert any(field.target in h for h in headers), f"no header shows the target of {field.name}"


def test_export_all_paragraphs_in_corpus_order_with_neighbours(repo):
    corpus = repo.corpus()
    tasks = export_tasks(corpus, repo.schema())
    assert [t["data"]["id"] for t in tasks] == [p.id for p in corpus.paragraphs]
    assert all(set(t) == {"data"} for t in tasks), "no predictions were given"
    first, second = tasks[0]["data"], tasks[1]["data"]
    paragraph = corpus.paragraphs[0]
    assert first == {"id": paragraph.id, "sha256": paragraph.sha256, "doc": paragraph.doc,
                     "language": paragraph.language, "story": paragraph.story, "text": paragraph.text,
                     "previous": "", "next": corpus.paragraphs[1].text}
    assert second["previous"] == paragraph.text
    for before, after in zip(tasks, tasks[1:]):
        if before["data"]["doc"] != after["data"]["doc"]:
            assert before["data"]["next"] == "" and after["data"]["previous"] == "", "neighbours stay in a document"
    assert tasks[-1]["data"]["next"] == ""


def test_export_only_the_given_ids_with_predictions_as_pre_annotations(repo):
    corpus, schema = repo.corpus(), repo.schema()
    predictions = {"001-01": {"kind": "heading", "topic": "motivation", "stance_war": "against",
                              "stance_defector": "favor"},
                   "000-02": {"topic": "escape"},
                   "002-01": {"kind": "body"}}  # not exported: ignored
    tasks = export_tasks(corpus, schema, ids=["001-01", "000-01", "000-02"], predictions=predictions,
                         model_version="tfidf@abc")
    assert [t["data"]["id"] for t in tasks] == ["000-01", "000-02", "001-01"], "corpus order, not the ids' order"
    assert tasks[1]["data"]["previous"] == corpus.by_id()["000-01"].text
    assert "predictions" not in tasks[0]
    [prediction] = tasks[1]["predictions"]
    assert prediction["model_version"] == "tfidf@abc"
    assert [(r["from_name"], r["to_name"], r["type"], r["value"]) for r in prediction["result"]] == [
        ("topic", "text", "choices", {"choices": ["escape"]})]
    result = tasks[2]["predictions"][0]["result"]
    assert {r["from_name"]: r["value"]["choices"] for r in result} == {
        name: [label] for name, label in predictions["001-01"].items()}
    assert len({r["id"] for r in result}) == len(result)


def test_export_refuses_unknown_ids_and_labels(repo):
    corpus, schema = repo.corpus(), repo.schema()
    with pytest.raises(BenchError, match="unknown paragraph id.*999-01"):
        export_tasks(corpus, schema, ids=["000-01", "999-01"])
    with pytest.raises(BenchError, match="000-01.*'neutral' is not a stance_war label"):
        export_tasks(corpus, schema, predictions={"000-01": {"stance_war": "neutral"}})
    with pytest.raises(BenchError, match="000-01.*unknown field 'mood'"):
        export_tasks(corpus, schema, predictions={"000-01": {"mood": "calm"}})


# What Label Studio writes: its JSON export of annotated tasks (labelstud.io/guide/task_format).

def ls_result(labels, prefix):
    return [{"id": f"{prefix}{i}xQ", "type": "choices", "value": {"choices": [label]}, "origin": "manual",
             "to_name": "text", "from_name": name} for i, (name, label) in enumerate(labels.items())]


def ls_annotation(number, task_id, labels, updated_at, cancelled=False):
    stamps = {} if updated_at is None else {"created_at": updated_at, "updated_at": updated_at}
    return {"id": number, "completed_by": 1, "result": [] if cancelled else ls_result(labels, f"r{number}"),
            "was_cancelled": cancelled, "ground_truth": False, **stamps, "draft_created_at": None,
            "lead_time": 21.5, "prediction": {}, "result_count": 0 if cancelled else len(labels),
            "unique_id": f"3f0c-{number}", "import_id": None, "last_action": None, "bulk_created": False,
            "task": task_id, "project": 3, "updated_by": 1, "parent_prediction": None, "parent_annotation": None,
            "last_created_by": None}


def ls_task(task_id, exported, annotations):
    return {"id": task_id, "annotations": annotations, "file_upload": "a1b2c3-tasks.json", "drafts": [],
            "predictions": [], "data": dict(exported["data"]), "meta": {}, "created_at": "2025-05-01T09:00:00.000000Z",
            "updated_at": "2025-05-02T10:00:00.000000Z", "inner_id": task_id, "total_annotations": len(annotations),
            "cancelled_annotations": 0, "total_predictions": 0, "comment_count": 0, "unresolved_comment_count": 0,
            "last_comment_updated_at": None, "project": 3, "updated_by": 1, "comment_authors": []}


@pytest.fixture
def labelled(repo):
    """Exported tasks for a few paragraphs and the labels an annotator gives them (the gold labels)."""
    corpus, schema = repo.corpus(), repo.schema()
    gold = load_gold(repo.labels, schema, corpus)
    return corpus, schema, export_tasks(corpus, schema, ids=IDS), {i: gold[i].labels for i in IDS}


def ls_export(tasks, labels):
    """An export where every task is annotated once, with the given labels."""
    return [ls_task(n, task, [ls_annotation(100 + n, n, labels[task["data"]["id"]], f"2025-05-02T10:0{n}:00Z")])
            for n, task in enumerate(tasks, start=1)]


def write(tmp_path, export):
    path = tmp_path / "project-3-at-2025-05-02.json"
    path.write_text(json.dumps(export, ensure_ascii=False, indent=2))
    return path


def test_round_trip_takes_the_latest_annotation_and_ignores_cancelled_ones(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    other = {"kind": "caption", "topic": "other", "stance_war": "none", "stance_defector": "none"}
    export = ls_export(tasks, labels)
    # Task 1: annotated twice; the later one (listed first) wins. A skip made after it does not count.
    export[0]["annotations"] = [
        ls_annotation(201, 1, labels[IDS[0]], "2025-05-03T08:00:00.123456Z"),
        ls_annotation(202, 1, other, "2025-05-03T07:59:59Z"),
        ls_annotation(203, 1, other, "2025-05-04T00:00:00Z", cancelled=True),
    ]
    # Task 2: without times, the last listed annotation wins.
    export[1]["annotations"] = [ls_annotation(204, 2, other, None), ls_annotation(205, 2, labels[IDS[1]], None)]
    # Task 3: only skipped, so it yields no row; an unannotated task is added too.
    export[2]["annotations"] = [ls_annotation(206, 3, other, "2025-05-03T09:00:00Z", cancelled=True)]
    export.append(ls_task(5, export_tasks(corpus, schema, ids=["002-01"])[0], []))
    path = write(tmp_path, export)

    rows = import_annotations(path, corpus, schema)
    expected_ids = [IDS[0], IDS[1], IDS[3]]
    paragraphs = corpus.by_id()
    assert rows == [{"id": i, "sha256": paragraphs[i].sha256, **labels[i]} for i in expected_ids]
    for line, row in enumerate(rows, start=1):
        assert parse_row(row, schema, path, line).labels == labels[row["id"]]


def test_import_keeps_labels_that_differ_from_a_prediction(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    predicted = export_tasks(corpus, schema, ids=IDS[:1], predictions={IDS[0]: {"kind": "caption"}})
    export = ls_export(predicted, labels)
    export[0]["predictions"] = predicted[0]["predictions"]
    assert import_annotations(write(tmp_path, export), corpus, schema)[0]["kind"] == labels[IDS[0]]["kind"]


def stale(export):
    export[1]["data"]["sha256"] = "0" * 64


def unknown(export):
    export[1]["data"]["id"] = "999-01"


def missing(export):
    result = export[1]["annotations"][0]["result"]
    result[:] = [r for r in result if r["from_name"] != "stance_war"]


def not_allowed(export):
    export[1]["annotations"][0]["result"][2]["value"]["choices"] = ["neutral"]


def two_choices(export):
    export[1]["annotations"][0]["result"][2]["value"]["choices"] = ["against", "none"]


def no_choice(export):
    export[1]["annotations"][0]["result"][2]["value"]["choices"] = []


@pytest.mark.parametrize("change, words", [
    (stale, ["stale", "000-02", "text changed", "Label Studio task 2"]),
    (unknown, ["unknown paragraph id '999-01'", "Label Studio task 2"]),
    (missing, ["000-02", "no choice for stance_war"]),
    (not_allowed, ["000-02", "'neutral' is not a stance_war label", "allowed: favor, against, none"]),
    (two_choices, ["000-02", "stance_war needs exactly one choice, found 2"]),
    (no_choice, ["000-02", "stance_war needs exactly one choice, found 0"]),
])
def test_import_refusals_name_the_file_the_item_and_the_paragraph(labelled, tmp_path, change, words):
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks, labels)
    assert export[1]["annotations"][0]["result"][2]["from_name"] == "stance_war"
    change(export)
    path = write(tmp_path, export)
    with pytest.raises(BenchError) as caught:
        import_annotations(path, corpus, schema)
    message = str(caught.value)
    assert message.startswith(f"{path}:2: ")
    for word in words:
        assert word in message


def test_import_refuses_malformed_json_at_its_line(labelled, tmp_path):
    corpus, schema, _, _ = labelled
    path = tmp_path / "export.json"
    path.write_text('[\n  {"id": 1, "data": {}},\n  {"id": 2, "data": {},}\n]\n')
    with pytest.raises(BenchError, match=r"export\.json:3: malformed JSON") as caught:
        import_annotations(path, corpus, schema)
    assert caught.value.path == str(path) and caught.value.line == 3


def test_import_refuses_a_top_level_that_is_not_a_list(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    path = write(tmp_path, {"tasks": ls_export(tasks, labels)})
    with pytest.raises(BenchError) as caught:
        import_annotations(path, corpus, schema)
    assert str(caught.value).startswith(f"{path}:1: the top level must be a list of tasks")


def test_import_refuses_a_paragraph_annotated_in_two_tasks(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks + tasks[:1], labels)
    with pytest.raises(BenchError, match=r":5: paragraph 000-01 \(Label Studio task 5\) is annotated twice "
                                         r"\(first in item 1\)"):
        import_annotations(write(tmp_path, export), corpus, schema)


def test_commands_round_trip_with_pre_annotations(project, tmp_path, capsys):
    from bench.cli import main
    (project.seeds / "005_sailor.txt").write_text("A sailor deserts\n\nHe asked Norway for asylum.\n")
    with (project.seeds / "manifest.csv").open("a") as manifest:
        manifest.write('005,005_sailor.txt,en,2026-01,sailor,"A test article"\n')
    root = ["--root", str(project.root)]
    tasks_path = tmp_path / "tasks.json"
    assert main([*root, "labelstudio-export", str(tasks_path), "--predict",
                 str(project.experiments / "tfidf.yaml")]) == 0
    assert "2 task(s) written" in capsys.readouterr().out
    tasks = json.loads(tasks_path.read_text())
    assert [t["data"]["id"] for t in tasks] == ["005-01", "005-02"]
    assert tasks_path.with_suffix(".xml").read_text().startswith("<View")
    predicted = {item["from_name"] for item in tasks[0]["predictions"][0]["result"]}
    assert predicted == {"topic", "stance_war", "stance_defector"}
    # An annotator accepts the pre-annotations and adds the kind, as Label Studio would export it.
    for number, task in enumerate(tasks, start=1):
        result = task["predictions"][0]["result"] + [
            {"from_name": "kind", "to_name": "text", "type": "choices", "value": {"choices": ["body"]}}]
        task.update(id=number, annotations=[{"id": number, "result": result, "was_cancelled": False}])
    export_path = tmp_path / "export.json"
    export_path.write_text(json.dumps(tasks))
    assert main([*root, "labelstudio-import", str(export_path), "--annotator", "a3"]) == 0
    log = [json.loads(line) for line in (project.labels / "annotations" / "a3.jsonl").read_text().splitlines()]
    assert [row["id"] for row in log] == ["005-01", "005-02"] and all(row["kind"] == "body" for row in log)
    assert main([*root, "labelstudio-import", str(export_path), "--annotator", "../a3"]) == 1
    assert "annotator id '../a3'" in capsys.readouterr().err

import json
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bench.annotation.labelstudio import export_tasks, import_annotations, labelling_config, parse_user_map
from bench.data.labels import load_gold, parse_row
from bench.files import BenchError, sha256_text

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
    assert [t["data"]["paragraph_id"] for t in tasks] == [p.id for p in corpus.paragraphs]
    assert all(set(t) == {"data"} for t in tasks), "no predictions were given"
    first, second = tasks[0]["data"], tasks[1]["data"]
    paragraph = corpus.paragraphs[0]
    assert first == {"paragraph_id": paragraph.id, "sha256": paragraph.sha256, "doc": paragraph.doc,
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
    assert [t["data"]["paragraph_id"] for t in tasks] == ["000-01", "000-02", "001-01"], "corpus order, not the ids' order"
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


def ls_annotation(number, task_id, labels, updated_at, cancelled=False, user=1):
    stamps = {} if updated_at is None else {"created_at": updated_at, "updated_at": updated_at}
    return {"id": number, "completed_by": user, "result": [] if cancelled else ls_result(labels, f"r{number}"),
            "was_cancelled": cancelled, "ground_truth": False, **stamps, "draft_created_at": None,
            "lead_time": 21.5, "prediction": {}, "result_count": 0 if cancelled else len(labels),
            "unique_id": f"3f0c-{number}", "import_id": None, "last_action": None, "bulk_created": False,
            "task": task_id, "project": 3, "updated_by": user, "parent_prediction": None, "parent_annotation": None,
            "last_created_by": None}


def ls_task(task_id, exported, annotations):
    return {"id": task_id, "annotations": annotations, "file_upload": "a1b2c3-tasks.json", "drafts": [],
            "predictions": [], "data": dict(exported["data"]), "meta": {}, "created_at": "2025-05-01T09:00:00.000000Z",
            "updated_at": "2025-05-02T10:00:00.000000Z", "inner_id": task_id, "total_annotations": len(annotations),
            "cancelled_annotations": 0, "total_predictions": 0, "comment_count": 0, "unresolved_comment_count": 0,
            "last_comment_updated_at": None, "project": 3, "updated_by": 1, "comment_authors": []}


def ls_min(export):
    """The JSON_MIN export of the same annotations, as Label Studio writes it: one row per non-cancelled
    annotation, the data fields at the top with `id` overwritten by the task's number, one key per field."""
    rows = []
    for task in export:
        for annotation in task["annotations"]:
            if annotation["was_cancelled"]:
                continue
            chosen = {r["from_name"]: r["value"]["choices"][0] for r in annotation["result"]}
            rows.append({**task["data"], "id": task["id"], **chosen, "annotator": annotation["completed_by"],
                         "annotation_id": annotation["id"], "created_at": annotation.get("created_at"),
                         "updated_at": annotation.get("updated_at"), "lead_time": annotation["lead_time"]})
    return rows


@pytest.fixture
def labelled(repo):
    """Exported tasks for a few paragraphs and the labels an annotator gives them (the gold labels)."""
    corpus, schema = repo.corpus(), repo.schema()
    gold = load_gold(repo.labels, schema, corpus)
    return corpus, schema, export_tasks(corpus, schema, ids=IDS), {i: gold[i].labels for i in IDS}


def ls_export(tasks, labels, user=1):
    """An export where every task is annotated once, with the given labels."""
    return [ls_task(n, task, [ls_annotation(100 + n, n, labels[task["data"]["paragraph_id"]],
                                            f"2025-05-02T10:0{n}:00Z", user=user)])
            for n, task in enumerate(tasks, start=1)]


def write(tmp_path, export, name="project-3-at-2025-05-02.json"):
    path = tmp_path / name
    path.write_text(json.dumps(export, ensure_ascii=False, indent=2))
    return path


def expected_rows(corpus, labels, ids):
    paragraphs = corpus.by_id()
    return [{"id": i, "sha256": paragraphs[i].sha256, **labels[i]} for i in ids]


def test_round_trip_takes_the_latest_annotation_and_reports_every_one_not_imported(labelled, tmp_path):
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

    imported = import_annotations(path, corpus, schema, "a3")
    assert imported.rows == {"a3": expected_rows(corpus, labels, [IDS[0], IDS[1], IDS[3]])}
    for line, row in enumerate(imported.rows["a3"], start=1):
        assert parse_row(row, schema, path, line).labels == labels[row["id"]]
    assert sorted(imported.skipped) == sorted([
        "task 5 (Label Studio task 5, paragraph 002-01): no annotation",
        "task 1 (Label Studio task 1, paragraph 000-01, annotation 202): replaced by the same user's newer annotation 201",
        "task 1 (Label Studio task 1, paragraph 000-01, annotation 203): cancelled (skipped) in Label Studio",
        "task 2 (Label Studio task 2, paragraph 000-02, annotation 204): replaced by the same user's newer annotation 205",
        "task 3 (Label Studio task 3, paragraph 001-01, annotation 206): cancelled (skipped) in Label Studio"])


def test_each_label_studio_user_becomes_an_annotator_of_their_own(labelled, tmp_path):
    """Overlap: two users annotate the same tasks; each keeps a pass of their own, nothing is dropped."""
    corpus, schema, tasks, labels = labelled
    changed = {**labels[IDS[1]], "topic": "other"}
    export = ls_export(tasks, labels)
    for number, task in enumerate(export, start=1):
        given = changed if task["data"]["paragraph_id"] == IDS[1] else labels[task["data"]["paragraph_id"]]
        task["annotations"].append(ls_annotation(300 + number, number, given, "2025-05-02T11:00:00Z", user=7))
    path = write(tmp_path, export)
    imported = import_annotations(path, corpus, schema, user_map={"1": "a3", "7": "a4"})
    assert imported.rows["a3"] == expected_rows(corpus, labels, IDS)
    assert imported.rows["a4"] == expected_rows(corpus, {**labels, IDS[1]: changed}, IDS)
    assert imported.skipped == []
    with pytest.raises(BenchError, match=r"annotations by 2 Label Studio users \(1, 7\): give --annotator-map"):
        import_annotations(path, corpus, schema, "a3")
    with pytest.raises(BenchError, match=r"--annotator-map has no annotator for Label Studio user\(s\) 7; the users "
                                         r"in this export are 1, 7"):
        import_annotations(path, corpus, schema, user_map={"1": "a3"})


def test_users_may_be_mapped_by_email_where_the_export_names_it(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks, labels)
    for task in export:
        task["annotations"][0]["completed_by"] = {"id": 4, "email": "ann@example.org"}
    imported = import_annotations(write(tmp_path, export), corpus, schema, user_map={"ann@example.org": "a5"})
    assert list(imported.rows) == ["a5"] and len(imported.rows["a5"]) == len(IDS)


@pytest.mark.parametrize("text, message", [
    ("1=a3,2=a3", "--annotator-map: 1 and 2 both map to a3; each Label Studio user's pass needs an annotator id of "
                  "its own"),
    ("1=a3,1=a4", "--annotator-map: user 1 is given twice (1=a3, 1=a4); give each Label Studio user once"),
    ("1=a3, 1 = a3", "--annotator-map: user 1 is given twice"),
    ("4=a5,ann@example.org=a5", "--annotator-map: 4 and ann@example.org both map to a5"),
])
def test_labelstudio_map_refuses_a_user_twice_or_two_users_in_one_pass(text, message):
    with pytest.raises(BenchError) as caught:
        parse_user_map(text)
    assert str(caught.value).startswith(message)


def test_labelstudio_map_refuses_one_user_named_by_both_id_and_email(labelled, tmp_path):
    """Where the export gives a user's id and email, a map naming both would pick one by order: refused."""
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks, labels)
    for task in export:
        task["annotations"][0]["completed_by"] = {"id": 4, "email": "ann@example.org"}
    path = write(tmp_path, export)
    with pytest.raises(BenchError) as caught:
        import_annotations(path, corpus, schema, user_map=parse_user_map("ann@example.org=a5,4=a6"))
    assert str(caught.value) == (f"{path}: --annotator-map: 4 and ann@example.org are one Label Studio user (its id "
                                 "and email in this export), mapped to a6 and a5; name the user once")
    assert list(import_annotations(path, corpus, schema, user_map=parse_user_map("4=a6")).rows) == ["a6"]


def test_json_min_gives_the_rows_of_the_json_export(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks, labels)
    export[0]["annotations"].append(ls_annotation(400, 1, labels[IDS[0]], "2025-05-02T12:00:00Z", user=2))
    full = import_annotations(write(tmp_path, export), corpus, schema, user_map={"1": "a3", "2": "a4"})
    minimal = import_annotations(write(tmp_path, ls_min(export), "min.json"), corpus, schema,
                                 user_map={"1": "a3", "2": "a4"})
    assert minimal.rows == full.rows and len(minimal.rows["a4"]) == 1


def test_tasks_exported_by_an_older_bench_still_import_from_json(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks, labels)
    for task in export:
        task["data"]["id"] = task["data"].pop("paragraph_id")
    assert import_annotations(write(tmp_path, export), corpus, schema, "a3").rows["a3"] == \
        expected_rows(corpus, labels, IDS)
    with pytest.raises(BenchError, match="no paragraph_id; tasks exported by an older bench keep the paragraph id only "
                                         "in the JSON export"):
        import_annotations(write(tmp_path, ls_min(export), "min.json"), corpus, schema, "a3")


def test_a_csv_export_is_recognised_and_json_asked_for(labelled, tmp_path):
    corpus, schema, _, _ = labelled
    path = tmp_path / "project.csv"
    path.write_text('"annotation_id","annotator","created_at","doc","id","kind"\n2,"2","2026-01-01","000","1","body"\n')
    with pytest.raises(BenchError, match=r"project.csv:1: this looks like a CSV or TSV export; export the project "
                                         r"from Label Studio as JSON"):
        import_annotations(path, corpus, schema, "a3")


def stale(export):
    """Exported before the paragraph's text changed in the corpus: the task's text and hash are the old ones."""
    export[1]["data"]["text"] = "An older version of the paragraph."
    export[1]["data"]["sha256"] = sha256_text(export[1]["data"]["text"])


def edited(export):
    export[1]["data"]["text"] += " Edited in Label Studio."


def unknown(export):
    export[1]["data"]["paragraph_id"] = "999-01"


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
    (stale, ["stale", "text changed", "Label Studio task 2"]),
    (edited, ["its text was edited in Label Studio", "Label Studio task 2"]),
    (unknown, ["unknown paragraph id '999-01'", "Label Studio task 2"]),
    (missing, ["no choice for stance_war"]),
    (not_allowed, ["'neutral' is not a stance_war label", "allowed: favor, against, none"]),
    (two_choices, ["stance_war needs exactly one choice, found 2"]),
    (no_choice, ["no choice for stance_war"]),
])
def test_import_refusals_name_the_file_the_task_and_the_paragraph(labelled, tmp_path, change, words):
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks, labels)
    assert export[1]["annotations"][0]["result"][2]["from_name"] == "stance_war"
    change(export)
    path = write(tmp_path, export)
    with pytest.raises(BenchError) as caught:
        import_annotations(path, corpus, schema, "a3")
    message = str(caught.value)
    assert message.startswith(f"{path}: 1 annotation(s) refused, so none is imported:\n  task 2 (Label Studio task 2")
    for word in words:
        assert word in message


def test_every_stale_or_edited_task_is_listed_in_one_message(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks, labels)
    stale(export)
    export[3]["data"]["text"] = "Rewritten."
    with pytest.raises(BenchError) as caught:
        import_annotations(write(tmp_path, export), corpus, schema, "a3")
    lines = str(caught.value).splitlines()
    assert "2 annotation(s) refused" in lines[0]
    assert lines[1].startswith("  task 2 (") and "stale" in lines[1]
    assert lines[2].startswith("  task 4 (") and "edited in Label Studio" in lines[2]


def test_import_refuses_malformed_json_at_its_line(labelled, tmp_path):
    corpus, schema, _, _ = labelled
    path = tmp_path / "export.json"
    path.write_text('[\n  {"id": 1, "data": {}},\n  {"id": 2, "data": {},}\n]\n')
    with pytest.raises(BenchError, match=r"export\.json:3: malformed JSON") as caught:
        import_annotations(path, corpus, schema, "a3")
    assert caught.value.path == str(path) and caught.value.line == 3


def test_import_refuses_a_top_level_that_is_not_a_list(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    path = write(tmp_path, {"tasks": ls_export(tasks, labels)})
    with pytest.raises(BenchError) as caught:
        import_annotations(path, corpus, schema, "a3")
    assert str(caught.value).startswith(f"{path}:1: the top level must be a list of tasks")


def test_import_refuses_a_paragraph_annotated_in_two_tasks_by_one_user(labelled, tmp_path):
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks + tasks[:1], labels)
    with pytest.raises(BenchError, match=r": task 5 \(Label Studio task 5, paragraph 000-01, annotation 105\): a3 "
                                         r"annotated paragraph 000-01 in two tasks \(also in task 1, Label Studio task 1\)"):
        import_annotations(write(tmp_path, export), corpus, schema, "a3")


def test_commands_round_trip_with_pre_annotations(project, tmp_path, capsys):
    from bench.cli import main
    (project.seeds / "005_sailor.txt").write_text("A sailor deserts\n\nHe asked Norway for asylum.\n")
    with (project.seeds / "manifest.csv").open("a") as manifest:
        manifest.write('005,005_sailor.txt,en,2026-01,sailor,"A test article",,\n')
    root = ["--root", str(project.root)]
    tasks_path = tmp_path / "tasks.json"
    assert main([*root, "labelstudio-export", str(tasks_path), "--predict",
                 str(project.experiments / "tfidf.yaml")]) == 0
    assert "2 task(s) written" in capsys.readouterr().out
    tasks = json.loads(tasks_path.read_text())
    assert [t["data"]["paragraph_id"] for t in tasks] == ["005-01", "005-02"]
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
    assert main([*root, "labelstudio-import", str(export_path), "--annotator", "a9"]) == 0
    log = [json.loads(line) for line in (project.labels / "annotations" / "a9.jsonl").read_text().splitlines()]
    assert [row["id"] for row in log] == ["005-01", "005-02"] and all(row["kind"] == "body" for row in log)
    assert main([*root, "labelstudio-import", str(export_path), "--annotator", "../a3"]) == 1
    assert "annotator id '../a3'" in capsys.readouterr().err


def test_pre_annotations_of_labelled_paragraphs_come_from_a_model_that_never_saw_their_document(repo):
    """`--all --predict`: relabelling a document's gold leaves the predictions for that document unchanged."""
    import dataclasses

    from bench.workflows.annotate import predict_cross_fitted
    corpus, schema = repo.corpus(), repo.schema()
    gold = load_gold(repo.labels, schema, corpus)
    ids = [p.id for p in corpus.paragraphs if p.doc == "004" and gold[p.id].labels["kind"] == "body"]
    config = repo.experiments / "tfidf.yaml"
    predicted, version = predict_cross_fitted(config, repo, corpus, gold, ids)
    relabelled = {i: dataclasses.replace(row, labels={**row.labels, "topic": "other"}) if i in ids else row
                  for i, row in gold.items()}
    assert predict_cross_fitted(config, repo, corpus, relabelled, ids)[0] == predicted
    assert "each document predicted by a model trained on the other documents' gold" in version
    others = [i for i in gold if i not in ids and gold[i].labels["kind"] == "body"]
    assert predict_cross_fitted(config, repo, corpus, relabelled, others)[0] != \
        predict_cross_fitted(config, repo, corpus, gold, others)[0], "other documents' gold does train the model"


# Bad input, round three: exports that json.loads accepts silently or crashes on.

@pytest.mark.parametrize("text, message, line", [
    ('[\n  {"id": 1, "data": ' + "[" * 100_000 + "]" * 100_000 + "}\n]\n", "nested more than 50 levels deep", 2),
    ('[\n  {"id": 1, "id": 2, "data": {}}\n]\n', "key 'id' given twice in one object", None),
    ('[\n  {"id": 1,\n   "data": {"text": "\\udc00"}}\n]\n', "\\udc00 is half of a surrogate pair, not a character", 3),
])
def test_import_refuses_what_json_would_take_silently_or_crash_on(labelled, tmp_path, text, message, line):
    corpus, schema, _, _ = labelled
    path = tmp_path / "export.json"
    path.write_text(text)
    with pytest.raises(BenchError) as refused:
        import_annotations(path, corpus, schema, "a3")
    assert (refused.value.message, refused.value.path, refused.value.line) == (message, str(path), line)


def test_labelstudio_import_of_a_deep_export_is_one_error_line_writing_nothing(project, refused, tmp_path):
    path = tmp_path / "export.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    refused(project, ["labelstudio-import", str(path), "--annotator", "a3"],
            f"error: {path}:1: nested more than 50 levels deep")


# Fuzzing: any export, or a real one with parts replaced by anything, imports or is refused; nothing written.

KEYS = st.sampled_from(["id", "data", "annotations", "result", "value", "choices", "from_name", "type", "completed_by",
                        "was_cancelled", "updated_at", "created_at", "paragraph_id", "sha256", "text", "annotator",
                        "annotation_id", "topic", "kind", "email"]) | st.text(max_size=3)
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
                    st.sampled_from(["choices", "topic", "kind", "escape", "body", "000-01", "2025-05-02T10:00:00Z", "x"]))
JSON_VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                            st.dictionaries(KEYS, inner, max_size=4)), max_leaves=10)
DEEP = st.integers(0, 120).map(lambda depth: "[" * depth + "]" * depth)


def replace_somewhere(value, steps: list[int], new):
    """The value with the part that `steps` lead to (each step picks a child) replaced by `new`."""
    children = list(value.items()) if isinstance(value, dict) else list(enumerate(value)) if isinstance(value, list) else []
    if not steps or not children:
        return new
    key, child = children[steps[0] % len(children)]
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[key] = replace_somewhere(child, steps[1:], new)
    return copy


@settings(max_examples=200, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_export_imports_or_is_refused_and_is_left_as_it_was(labelled, tmp_path_factory, data):
    """What `labelstudio-import` calls, on JSON of any shape: an Imported, or a BenchError naming the export."""
    corpus, schema, tasks, labels = labelled
    export = ls_export(tasks, labels)
    for _ in range(data.draw(st.integers(0, 3))):
        export = replace_somewhere(export, data.draw(st.lists(st.integers(0, 30), min_size=2, max_size=8)), data.draw(JSON_VALUES))
    text = data.draw(st.one_of(st.just(json.dumps(export)), JSON_VALUES.map(json.dumps), DEEP,
                               DEEP.map(lambda deep: json.dumps(export).replace('"result": [', f'"result": [{deep}, ', 1))))
    folder = tmp_path_factory.mktemp("export")
    path = folder / "export.json"
    path.write_text(text, encoding="utf-8")
    try:
        imported = import_annotations(path, corpus, schema, "a3")
    except BenchError as error:
        event(f"refused: {error.message[:25]}")
        assert error.path == str(path)
    else:
        event("imported")
        assert all(row["id"] in labels and set(row) == {"id", "sha256", *schema.fields} for row in imported.rows.get("a3", []))
    assert list(folder.iterdir()) == [path] and path.read_text(encoding="utf-8") == text, "importing writes nothing"

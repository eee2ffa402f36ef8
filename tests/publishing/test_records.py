import json
import re
from pathlib import Path

import pytest

from bench.evaluation.config import Config
from bench.evaluation.results import Record
from bench.files import BenchError
from bench.publishing.records import HEADLINE, Results, load_records, marked, write_record


def test_a_written_record_is_read_back_with_its_results(tmp_path, build):
    result = build.result(HEADLINE, ["a", "b"], [["a", "a"]])
    write_record(tmp_path, Config("mine", "tfidf", description="d"), [result], {"device": {"kind": "cuda"}},
                 dataset={"rows": 2})
    records, curves = load_records(tmp_path)
    (record,) = records
    assert not curves and record.results == [result] and record.dataset == {"rows": 2}
    assert record.marks == ["GPU"] and record.row_name == "mine [GPU]" and record.description == "d"


def test_records_load_baselines_first_and_curves_apart(committed):
    records, curves = committed
    names = [r.experiment for r in records]
    assert names.index("majority") < names.index("tfidf") and names.index("stratified") < names.index("e5_logreg")
    assert [r.experiment for r in curves] == ["e5_logreg_learning_curve"]
    assert all(r.learning_curve for r in curves) and not any(r.learning_curve for r in records)


def test_a_malformed_record_names_its_line(tmp_path):
    (tmp_path / "bad.json").write_text('{\n"experiment": }', encoding="utf-8")
    with pytest.raises(BenchError, match="malformed JSON") as raised:
        load_records(tmp_path)
    assert raised.value.line == 2


def test_a_record_nested_past_the_bound_is_refused_before_json_recurses(tmp_path):
    (tmp_path / "deep.json").write_text('{"experiment":\n' + "[" * 5000 + "]" * 5000 + "}", encoding="utf-8")
    with pytest.raises(BenchError, match="nested more than 50 levels deep") as raised:
        load_records(tmp_path)
    assert raised.value.line == 2


def a_written_record(folder, build) -> tuple[Path, dict]:
    path = write_record(folder, Config("mine", "tfidf"), [build.result(HEADLINE, ["a", "b"], [["a", "a"]])], {})
    return path, json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("key", ["experiment", "model", "results"])
def test_a_record_without_a_key_the_tables_need_is_an_error_naming_the_file(tmp_path, build, key):
    path, record = a_written_record(tmp_path, build)
    del record[key]
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(BenchError) as raised:
        load_records(tmp_path)
    assert str(raised.value) == f"{path}: missing key {key!r}"


@pytest.mark.parametrize(("change", "message"), [
    (lambda record: record.update(model=5), "'model' must be a JSON string, not 5"),
    (lambda record: record.update(results={"a": 1}), "'results' must be a JSON list, not {'a': 1}"),
    (lambda record: record["results"][0].pop("scores"), "missing key 'scores' in one of its results"),
    (lambda record: record["results"][0]["predictions"][0].pop("gold"), "missing key 'gold' in one of its results"),
    (lambda record: record["results"].append("a result"), "not a record as `bench run` writes it: string indices"),
])
def test_a_hand_edited_record_is_an_error_naming_the_file(tmp_path, build, change, message):
    path, record = a_written_record(tmp_path, build)
    change(record)
    path.write_text(json.dumps(record), encoding="utf-8")
    with pytest.raises(BenchError, match=re.escape(message)) as raised:
        load_records(tmp_path)
    assert raised.value.path == str(path)


@pytest.mark.parametrize("text", ["[]", '"a record"', "null"])
def test_a_record_that_is_no_json_object_is_an_error(tmp_path, text):
    (tmp_path / "bad.json").write_text(text, encoding="utf-8")
    with pytest.raises(BenchError, match="bad.json: must be a JSON object: a record, as `bench run` writes it"):
        load_records(tmp_path)


def test_a_cell_is_the_result_the_record_holds(committed, repo):
    records = committed[0]
    raw = json.loads((repo.records / "svm.json").read_text(encoding="utf-8"))
    expected = next(r for r in raw["results"] if r["task"] == "stance_war" and r["evaluation"] == HEADLINE)
    found = records.headline("svm", "stance_war")
    assert found is records.cell("svm", "stance_war", HEADLINE)
    assert found is not None and found.scores["macro_f1"].mean == expected["scores"]["macro_f1"]["mean"]
    assert records.cell("svm", "stance_war", "no such evaluation") is None


def test_evaluations_come_in_setting_order_and_same_story_columns_are_marked(committed):
    records = committed[0]
    settings = [e.split(":")[0] for e in records.evaluations]
    assert settings == sorted(settings, key=["in_language", "cross_lingual", "cross_lingual_same_story",
                                             "leave_one_story_out"].index)
    same_story = [e for e in records.evaluations if records.facts[e].story_disjoint is False]
    assert same_story and all(records.column_label(e) == f"{e} (same story)" for e in same_story)
    assert records.column_label(HEADLINE) == HEADLINE
    assert set(records.headline_evaluations) == set(records.evaluations) - set(same_story)
    assert records.tasks == ["topic", "stance_war", "stance_defector"]
    assert [records.metric_of(task) for task in records.tasks] == ["macro_f1", "f_avg", "f_avg"]


def test_facts_hold_each_evaluations_test_documents(committed):
    records = committed[0]
    result = records.headline("majority", "topic")
    assert result is not None
    assert records.facts[HEADLINE].test_docs == {d for fold in result.folds for d in fold.test_docs or []}


def test_the_main_metric_is_f_avg_for_stance_unless_all_configs_name_one(build):
    topic = build.result(HEADLINE, ["a", "b"], [["a", "b"]])
    assert "f_avg" not in topic.scores
    assert Results([build.record("a", [topic])]).metric_of("topic") == "macro_f1"
    named = [Record(name, name, [topic], metric="f_avg") for name in ("a", "b")]
    assert Results(named).metric_of("topic") == "f_avg"
    assert Results([*named, build.record("c", [topic])]).metric_of("topic") == "macro_f1"


def test_marked_labels_only_same_story_evaluations():
    assert marked("x", False) == "x (same story)" and marked("x", True) == "x" and marked("x", None) == "x"


def test_a_record_on_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    import errno
    import os
    path = write_record(tmp_path, Config("mine", "majority"), [], {})
    before = path.read_bytes()

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("os.fsync", full)
    with pytest.raises(BenchError, match="cannot write: No space left on device") as error:
        write_record(tmp_path, Config("mine", "majority", description="new"), [], {})
    assert error.value.path == str(path) and path.read_bytes() == before and list(tmp_path.iterdir()) == [path]


def test_a_records_folder_linked_out_of_the_results_is_refused(tmp_path):
    results, elsewhere = tmp_path / "results", tmp_path / "elsewhere"
    results.mkdir()
    elsewhere.mkdir()
    (results / "records").symlink_to(elsewhere)
    with pytest.raises(BenchError, match=f"is a symbolic link to {elsewhere}, outside {results}; refusing"):
        write_record(results / "records", Config("mine", "majority"), [], {})
    write_record(results / "records", Config("mine", "majority"), [], {}, inside=tmp_path)  # within the checkout
    assert [p.name for p in elsewhere.iterdir()] == ["mine.json"]


MADE = {"commit": "a" * 40, "dirty": False, "command": "bench run", "versions": {"numpy": "2.4.6"}}
REMADE = {**MADE, "commit": "b" * 40, "command": "bench run --all"}  # another commit and command, the same inputs


def test_a_rerun_that_changes_nothing_leaves_a_current_record_untouched(tmp_path, build):
    result = build.result(HEADLINE, ["a", "b"], [["a", "b"]])
    path = write_record(tmp_path, Config("mine", "tfidf"), [result], MADE)
    before, stamp = path.read_bytes(), path.stat().st_mtime_ns
    asked = []
    write_record(tmp_path, Config("mine", "tfidf"), [result], REMADE, current=lambda old: asked.append(old) or True)
    assert path.read_bytes() == before and path.stat().st_mtime_ns == stamp
    assert [old.provenance["commit"] for old in asked] == ["a" * 40], "the old record is the one asked about"


@pytest.mark.parametrize("change", ["predictions", "versions", "description"])
def test_a_record_that_holds_anything_new_is_rewritten(tmp_path, build, change):
    result = build.result(HEADLINE, ["a", "b"], [["a", "b"]])
    path = write_record(tmp_path, Config("mine", "tfidf"), [result], MADE)
    config, results, origin = Config("mine", "tfidf"), [result], REMADE
    if change == "predictions":
        results = [build.result(HEADLINE, ["a", "b"], [["b", "b"]])]
    elif change == "versions":
        origin = {**REMADE, "versions": {"numpy": "2.5.0"}}
    else:
        config = Config("mine", "tfidf", description="new")
    write_record(tmp_path, config, results, origin, current=lambda old: True)
    written = json.loads(path.read_text())
    assert written["provenance"]["commit"] == "b" * 40 and written["provenance"]["command"] == "bench run --all"


def test_a_stale_or_broken_record_is_rewritten_even_when_its_results_are_equal(tmp_path, build):
    result = build.result(HEADLINE, ["a", "b"], [["a", "b"]])
    path = write_record(tmp_path, Config("mine", "tfidf"), [result], MADE)
    write_record(tmp_path, Config("mine", "tfidf"), [result], REMADE, current=lambda old: False)
    assert json.loads(path.read_text())["provenance"]["commit"] == "b" * 40
    path.write_text('{"experiment": "mine"')  # cut short by hand
    write_record(tmp_path, Config("mine", "tfidf"), [result], MADE, current=lambda old: True)
    assert json.loads(path.read_text())["provenance"]["commit"] == "a" * 40

"""read_mteb: MTEB's saved predictions as predictions-file rows; bad files refused with their name.

Real MTEB output is read in tests/integrations/test_mteb.py (run by `make test-mteb`); here, files in the shape
MTEB's `_save_task_predictions` writes for the deserter-bench tasks, and files that are not.
"""

import json

import pytest

from bench.files import BenchError
from bench.models.predictions_file import read_predictions
from bench.workflows.import_mteb import read_mteb


def saved(folds: dict) -> dict:
    return {"mteb_model_meta": {"model_name": "m", "revision": "1"},
            **{subset: {"test": entry} for subset, entry in folds.items()}}


def fold_entry(task: str, evaluation: str, fold: int, ids: list[str], labels: list[str]) -> dict:
    return {"task": task, "evaluation": evaluation, "fold": fold, "id": ids, "label": labels}


def test_rows_carry_the_task_and_the_fold(tmp_path):
    path = tmp_path / "DeserterBenchTopic_predictions.json"
    path.write_text(json.dumps(saved({"leave_one_story_out:all/1": fold_entry(
        "topic", "leave_one_story_out:all", 1, ["002-01", "002-02"], ["escape", "other"])})))
    assert read_mteb(path) == [
        {"id": "002-01", "task": "topic", "label": "escape", "evaluation": "leave_one_story_out:all", "fold": "1"},
        {"id": "002-02", "task": "topic", "label": "other", "evaluation": "leave_one_story_out:all", "fold": "1"}]


def test_a_folder_gives_every_task_file_and_the_rows_read_as_a_predictions_file(tmp_path):
    for name, task in (("DeserterBenchTopic", "topic"), ("DeserterBenchStanceWar", "stance_war")):
        (tmp_path / f"{name}_predictions.json").write_text(json.dumps(saved({
            "cross_lingual:en>nl/0": fold_entry(task, "cross_lingual:en>nl", 0, ["002-01"], ["other"])})))
    rows = read_mteb(tmp_path)
    assert sorted(r["task"] for r in rows) == ["stance_war", "topic"]
    csv_path = tmp_path / "predictions.csv"
    csv_path.write_text("id,task,label,evaluation,fold\n" + "".join(
        f"{r['id']},{r['task']},{r['label']},{r['evaluation']},{r['fold']}\n" for r in rows))
    assert set(read_predictions(str(csv_path))) == {("002-01", "topic", "cross_lingual:en>nl/0"),
                                                    ("002-01", "stance_war", "cross_lingual:en>nl/0")}


@pytest.mark.parametrize("entry, message", [
    ([["escape", "other"]], "has no 'test' predictions"),  # MTEB's own format: labels without ids
    (fold_entry("topic", "cross_lingual:en>nl", 0, ["002-01"], ["escape", "other"]), "lists of one length"),
])
def test_predictions_not_saved_by_the_tasks_are_refused(tmp_path, entry, message):
    path = tmp_path / "Other_predictions.json"
    path.write_text(json.dumps(saved({"default": entry})))
    with pytest.raises(BenchError, match=message) as raised:
        read_mteb(path)
    assert raised.value.path == str(path)


def test_a_folder_without_predictions_is_refused(tmp_path):
    with pytest.raises(BenchError, match="no MTEB predictions"):
        read_mteb(tmp_path)


def test_bench_import_mteb_writes_the_fold_columns_and_refuses_a_fold_predicted_twice(tmp_path, capsys):
    from bench.cli import main

    folder = tmp_path / "predictions"
    folder.mkdir()
    (folder / "DeserterBenchTopic_predictions.json").write_text(json.dumps(saved({
        "leave_one_story_out:all/0": fold_entry("topic", "leave_one_story_out:all", 0, ["002-01"], ["escape"]),
        "leave_one_story_out:all/1": fold_entry("topic", "leave_one_story_out:all", 1, ["002-01"], ["other"])})))
    out = tmp_path / "mteb.csv"
    assert main(["import", "mteb", str(folder), "--out", str(out)]) == 0
    assert out.read_text().splitlines() == ["id,task,label,evaluation,fold",
                                            "002-01,topic,escape,leave_one_story_out:all,0",
                                            "002-01,topic,other,leave_one_story_out:all,1"]
    assert sorted(read_predictions(str(out))) == [("002-01", "topic", "leave_one_story_out:all/0"),
                                                  ("002-01", "topic", "leave_one_story_out:all/1")]
    (folder / "Copy_predictions.json").write_text((folder / "DeserterBenchTopic_predictions.json").read_text())
    again = tmp_path / "again.csv"
    assert main(["import", "mteb", str(folder), "--out", str(again)]) == 1
    assert "a second prediction for 002-01 in task topic fold leave_one_story_out:all/0" in capsys.readouterr().err
    assert not again.exists()

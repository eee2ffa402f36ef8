import csv
import io
import json
from datetime import timedelta

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bench.evaluation.config import Config
from bench.evaluation.runner import plan
from bench.evaluation.settings import evaluations, split
from bench.evaluation.tasks import Example, Task
from bench.files import BenchError
from bench.models.predictions_file import FilePredictions

TASK = Task("topic", ("loss", "escape"), {"loss": "l", "escape": "e"}, None)
TASKS = ("topic", "stance_war")


def rows() -> list[Example]:
    """Three documents of three stories; paragraph i is 'escape' when i is odd."""
    return [Example(f"{doc}-{i}", doc, "en", doc.upper(), "", f"{doc} text {i}", "escape" if i % 2 else "loss")
            for doc in ("a", "b", "c") for i in range(4)]


def write(tmp_path, lines: list[str], name="predictions.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def config(path: str) -> Config:
    return Config("from_file", "predictions_file", params={"path": path}, tasks=("topic",), settings=("in_language",))


def test_one_label_per_paragraph_is_scored_like_any_model(tmp_path, evaluate):
    # Right on every paragraph but one: a-0 is called escape.
    lines = ["id,task,label"] + [f"{e.id},topic,{'escape' if e.id == 'a-0' else e.label}" for e in rows()]
    path = write(tmp_path, lines)
    evaluation = evaluations("in_language", rows())[0]
    result = evaluate(config(path), TASK, rows(), evaluation)
    predicted = {p.id: p.pred[0] for p in result.predictions}
    assert predicted == {e.id: ("escape" if e.id == "a-0" else e.label) for e in rows()}
    assert result.scores["macro_f1"].ci_low <= result.scores["macro_f1"].mean < 1.0


def test_fold_specific_predictions_are_used_in_their_fold(tmp_path, evaluate):
    evaluation = evaluations("in_language", rows())[0]
    assert len(evaluation.folds) == 3
    lines = ["id,task,label,evaluation,fold"] + [f"{e.id},topic,loss,," for e in rows()]
    lines += [f"{e.id},topic,escape,{evaluation.name},1" for e in rows()]  # only fold 1 says escape
    path = write(tmp_path, lines)
    assert FilePredictions(path=path).fold_specific()
    result = evaluate(config(path), TASK, rows(), evaluation)
    tested_in_fold_1 = set(result.folds[1].test_docs)
    for p in result.predictions:
        assert p.pred[0] == ("escape" if p.doc in tested_in_fold_1 else "loss")


def test_jsonl_works_like_csv(tmp_path, evaluate):
    path = write(tmp_path, [f'{{"id": "{e.id}", "task": "topic", "label": "{e.label}"}}' for e in rows()],
                 "predictions.jsonl")
    result = evaluate(config(path), TASK, rows(), evaluations("in_language", rows())[0])
    assert result.scores["macro_f1"].mean == 1.0


FOLDS = {f"{evaluation.name}/{number}": [e.id for e in split(rows(), fold)[1]]
         for evaluation in evaluations("in_language", rows()) for number, fold in enumerate(evaluation.folds)}


@pytest.mark.parametrize("change, message, line", [
    (lambda lines: lines + ["z-9,topic,loss"], "unknown id 'z-9'", 14),
    (lambda lines: lines[:3] + ["a-2,topic,lost"] + lines[4:], "unknown label 'lost'", 4),
    (lambda lines: lines[:2] + lines[3:], "no prediction for paragraph a-1", None),
    (lambda lines: lines + ["a-0,topic,loss"], "a second prediction for a-0", 14),
    (lambda lines: lines + ["a-1,topic,"], "empty or missing label", 14),
    (lambda lines: ["id,label"] + lines[1:], "lacks column(s) task", 1),
    (lambda lines: ["id,task,label,label"] + [line + ",other" for line in lines[1:]], "column 'label' appears twice in the header", 1),
    (lambda lines: lines[:5] + ["a-1,stance-war,favor"] + lines[5:], "unknown task 'stance-war' (known: topic, stance_war)", 6),
    (lambda lines: ["id,task,label,evaluation,fold"] + [line + ",," for line in lines[1:]] + ["a-1,topic,loss,x,1"],
     "unknown fold 'x/1'", 14),
])
def test_bad_files_are_refused_naming_the_line(tmp_path, change, message, line):
    good = ["id,task,label"] + [f"{e.id},topic,{e.label}" for e in rows()]
    path = write(tmp_path, change(good))
    with pytest.raises(BenchError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        FilePredictions(path=path).check("topic", TASK.labels, [e.id for e in rows()], FOLDS, TASKS)
    assert caught.value.path == path and caught.value.line == line


def test_rows_of_a_task_the_experiment_does_not_run_are_left_alone(tmp_path):
    """A file of every task's predictions serves a config that runs only some of them."""
    path = write(tmp_path, ["id,task,label"] + [f"{e.id},{task},{e.label}" for e in rows() for task in TASKS])
    model = FilePredictions(path=path, task="topic").fit(None, ["loss", "escape"])
    model.check("topic", TASK.labels, [e.id for e in rows()], FOLDS, TASKS)
    assert list(model.predict({"id": ["a-1"]})) == ["escape"]


def test_the_benchmark_checks_the_file_before_running(tmp_path, repo):
    from bench.evaluation.provenance import benchmark_sha256
    from bench.evaluation.tasks import tasks_from_schema
    schema, corpus = repo.schema(), repo.corpus()
    gold = repo.valid_gold(schema, corpus)
    ids = [p.id for p in corpus.paragraphs if gold.get(p.id) and gold[p.id].labels["kind"] == "body"]
    path = write(tmp_path, ["id,task,label"] + [f"{i},topic,other" for i in ids[1:]])
    bad = Config("from_file", "predictions_file", params={"path": path}, tasks=("topic",))
    with pytest.raises(BenchError, match=f"no prediction for paragraph {ids[0]} in task topic"):
        plan(bad, tasks_from_schema(schema), corpus, gold, benchmark_sha256(corpus, repo.labels))


def test_the_example_file_reproduces_the_record_it_was_exported_from(tmp_path, repo, monkeypatch):
    """experiments/examples/zero_shot_predictions.csv holds the codebook zero-shot model's labels: scored through
    the harness, they give that model's committed scores in every setting."""
    import json

    from bench.cli import main
    monkeypatch.chdir(tmp_path)  # the config names the file relative to itself, so any working folder will do
    assert main(["--root", str(repo.root), "run", str(repo.experiments / "examples" / "predictions_file.yaml"),
                 "--out", str(tmp_path), "--no-baselines"]) == 0
    fresh = json.loads((tmp_path / "records" / "predictions_file.json").read_text(encoding="utf-8"))
    committed = json.loads((repo.records / "e5_codebook_zero_shot.json").read_text(encoding="utf-8"))
    assert fresh["marks"] == ["predictions file"]
    def scores(record):
        return {(r["task"], r["evaluation"]): r["scores"]["macro_f1"] for r in record["results"] if not r["train_size"]}
    assert scores(fresh) == scores(committed)


@pytest.mark.parametrize("name, content, message", [
    ("predictions.csv", "id,task,label,label\n000-01,topic,escape,other\n", "1: column 'label' appears twice in the header"),
    ("predictions.csv", "id,task,label\n000-01,topic,escape\n000-02,topc,escape\n",
     "3: unknown task 'topc' (known: topic, stance_war, stance_defector)"),
    ("predictions.jsonl", '{"id": "000-01", "task": "topic", "label": "escape"}\n{"id": ' + "[" * 10_000 + "]" * 10_000 + "}\n",
     "2: nested more than 50 levels deep"),
    ("predictions.jsonl", '{"id": "000-01", "task": "topic", "label": "escape", "label": "other"}\n',
     "1: key 'label' given twice in one object"),
])
def test_bench_run_refuses_a_bad_predictions_file_at_its_line_writing_nothing(project, refused, name, content, message):
    """Through `bench run`: the trial's file of two `label` columns scored every paragraph as the last one."""
    path = project.root / name
    path.write_text(content)
    config = project.experiments / "from_file.yaml"
    config.write_text(f"model:\n  name: predictions_file\n  params:\n    path: {path}\n")
    err = refused(project, ["run", str(config)], f"{path}:{message}")  # among the problems listed, each at its line
    assert err.startswith(f"error: {path}:")


# Fuzzing: any header, rows and nesting read as predictions, or refused with a BenchError; nothing written.

IDS = [e.id for e in rows()]
CELLS = st.one_of(st.sampled_from([*IDS, "topic", "stance_war", "topc", "loss", "escape", "in_language:a", "1", "",
                                   " ", "z-9"]), st.text(max_size=6))
COLUMN_NAMES = st.one_of(st.sampled_from(["id", "task", "label", "evaluation", "fold", "", "label "]), st.text(max_size=4))
# A valid file (a label for every paragraph) with a few rows of anything at all, so some files are read.
VALID_ROWS = st.lists(st.sampled_from(TASK.labels), min_size=len(IDS), max_size=len(IDS)).map(
    lambda labels: [[paragraph, "topic", label] for paragraph, label in zip(IDS, labels)])
CSV_FILES = st.one_of(
    st.tuples(st.lists(COLUMN_NAMES, max_size=6), st.lists(st.lists(CELLS, max_size=6), max_size=8)),
    st.tuples(st.just(["id", "task", "label"]), st.tuples(VALID_ROWS, st.lists(st.lists(CELLS, max_size=4), max_size=2))
              .map(lambda parts: parts[0] + parts[1])))
JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), CELLS),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(COLUMN_NAMES, inner, max_size=3)), max_leaves=8)
ANY_LINE = st.one_of(st.dictionaries(COLUMN_NAMES, JSON_VALUES, max_size=6).map(json.dumps), JSON_VALUES.map(json.dumps),
                    st.integers(0, 120).map(lambda depth: '{"id": ' + "[" * depth + "]" * depth + "}"), st.text(max_size=10))
JSON_LINES = st.one_of(
    VALID_ROWS.map(lambda rows: [json.dumps(dict(zip(("id", "task", "label"), row))) for row in rows]),
    st.lists(ANY_LINE, max_size=8))


def csv_text(header: list[str], cells: list[list[str]]) -> str:
    stream = io.StringIO()
    csv.writer(stream).writerows([header, *cells])
    return stream.getvalue()


@settings(max_examples=150, deadline=timedelta(seconds=5))
@given(data=st.data(), suffix=st.sampled_from([".csv", ".jsonl"]))
def test_any_predictions_file_is_read_or_refused_and_left_as_it_was(tmp_path_factory, data, suffix):
    """What `bench run` calls: fit (when it rehearses the config) and check (when it plans the runs)."""
    folder = tmp_path_factory.mktemp("predictions")
    path = folder / f"predictions{suffix}"
    content = (csv_text(*data.draw(CSV_FILES)) if suffix == ".csv" else "\n".join(data.draw(JSON_LINES))).encode()
    path.write_bytes(content)
    model = FilePredictions(path=str(path), task="topic")
    try:
        model.fit(None, list(TASK.labels))
        model.check("topic", TASK.labels, IDS, FOLDS, TASKS)
    except BenchError as error:
        event(f"refused: {error.message[:25]}")
        assert error.path == str(path)
    else:
        event("accepted")
        assert set(model.predict({"id": IDS})) <= set(TASK.labels)
    assert list(folder.iterdir()) == [path] and path.read_bytes() == content, "reading writes nothing"


def test_every_problem_of_the_file_is_reported_at_once_each_at_its_line(tmp_path):
    """A malformed row, a repeated one, an unknown label and id, and a paragraph without a prediction: one error."""
    good = ["id,task,label"] + [f"{e.id},topic,{e.label}" for e in rows()]
    lines = good[:2] + ["a-1,topic,"] + ["a-2,topic,lost"] + good[4:] + ["a-0,topic,loss", "z-9,topic,loss"]
    path = write(tmp_path, lines)
    with pytest.raises(BenchError) as caught:
        FilePredictions(path=path).check("topic", TASK.labels, [e.id for e in rows()], FOLDS, TASKS)
    assert caught.value.path == path and caught.value.line == 3
    assert str(caught.value).splitlines() == [
        f"{path}:3: 5 problems:",
        f"  {path}:3: empty or missing label",
        f"  {path}:4: unknown label 'lost' for task topic (labels: loss, escape)",
        f"  {path}:14: a second prediction for a-0 in task topic (the first is on line 2)",
        f"  {path}:15: unknown id 'z-9': no row of task topic has it",
        f"  {path}: no prediction for paragraph a-1 in task topic, which fold(s) in_language:en/0 test",
    ]


def test_the_problems_of_every_task_are_reported_at_once(tmp_path, repo):
    """Through planning, as `bench run` does: topic's unknown label and stance_war's missing rows in one error."""
    from bench.evaluation.provenance import benchmark_sha256
    from bench.evaluation.tasks import tasks_from_schema
    schema, corpus = repo.schema(), repo.corpus()
    gold = repo.valid_gold(schema, corpus)
    ids = [p.id for p in corpus.paragraphs if gold.get(p.id) and gold[p.id].labels["kind"] == "body"]
    path = write(tmp_path, ["id,task,label", f"{ids[0]},topic,lost"] + [f"{i},topic,other" for i in ids[1:]])
    bad = Config("from_file", "predictions_file", params={"path": path}, tasks=("topic", "stance_war"),
                 settings=("leave_one_story_out",))
    with pytest.raises(BenchError) as caught:
        plan(bad, tasks_from_schema(schema), corpus, gold, benchmark_sha256(corpus, repo.labels))
    assert str(caught.value).splitlines()[1:] == [
        f"  {path}:2: unknown label 'lost' for task topic (labels: motivation, losses, escape, asylum_policy, other)",
        f"  {path}: no prediction of task stance_war at all ({len(ids)} paragraphs to predict)"]


def test_a_relative_path_is_read_from_the_config_s_folder(project, tmp_path, monkeypatch, refused):
    """As `dataset.path` and `definitions` are, whatever the working folder; the error names the path it tried."""
    from bench.evaluation.config import load_config
    folder = tmp_path / "mine"
    folder.mkdir()
    config = folder / "from_file.yaml"
    config.write_text("model:\n  name: predictions_file\n  params:\n    path: missing.csv\n")
    monkeypatch.chdir(project.root)
    refused(project, ["run", str(config)], f"error: {folder / 'missing.csv'}: the predictions file does not exist or "
                                           "cannot be read (a relative `path` is read from the config's folder)")
    (folder / "missing.csv").write_text("id,task,label\n000-01,topic,other\n")
    assert load_config(config).params["path"] == str(folder / "missing.csv")

import pytest

from bench.evaluation.config import Config
from bench.evaluation.runner import plan
from bench.evaluation.settings import evaluations, split
from bench.evaluation.tasks import Example, Task
from bench.files import BenchError
from bench.models.predictions_file import FilePredictions

TASK = Task("topic", ("loss", "escape"), {"loss": "l", "escape": "e"}, None)


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


@pytest.mark.parametrize("change, message, line", [
    (lambda lines: lines + ["z-9,topic,loss"], "unknown id 'z-9'", 14),
    (lambda lines: lines[:3] + ["a-2,topic,lost"] + lines[4:], "unknown label 'lost'", 4),
    (lambda lines: lines[:2] + lines[3:], "no prediction for paragraph a-1", None),
    (lambda lines: lines + ["a-0,topic,loss"], "a second prediction for a-0", 14),
    (lambda lines: lines + ["a-1,topic,"], "empty or missing label", 14),
    (lambda lines: ["id,label"] + lines[1:], "lacks column(s) task", 1),
    (lambda lines: ["id,task,label,evaluation,fold"] + [line + ",," for line in lines[1:]] + ["a-1,topic,loss,x,1"],
     "unknown fold 'x/1'", 14),
])
def test_bad_files_are_refused_naming_the_line(tmp_path, change, message, line):
    good = ["id,task,label"] + [f"{e.id},topic,{e.label}" for e in rows()]
    path = write(tmp_path, change(good))
    folds = {f"{evaluation.name}/{number}": [e.id for e in split(rows(), fold)[1]]
             for evaluation in evaluations("in_language", rows()) for number, fold in enumerate(evaluation.folds)}
    with pytest.raises(BenchError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        FilePredictions(path=path).check("topic", TASK.labels, [e.id for e in rows()], folds)
    assert caught.value.path == path and caught.value.line == line


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
    monkeypatch.chdir(repo.root)  # the config names the file relative to the checkout
    assert main(["--root", str(repo.root), "run", str(repo.experiments / "examples" / "predictions_file.yaml"),
                 "--out", str(tmp_path)]) == 0
    fresh = json.loads((tmp_path / "records" / "predictions_file.json").read_text(encoding="utf-8"))
    committed = json.loads((repo.records / "e5_codebook_zero_shot.json").read_text(encoding="utf-8"))
    assert fresh["marks"] == ["predictions file"]
    def scores(record):
        return {(r["task"], r["evaluation"]): r["scores"]["macro_f1"] for r in record["results"] if not r["train_size"]}
    assert scores(fresh) == scores(committed)

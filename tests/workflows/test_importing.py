"""`bench import`: a tool's per-sample output read into a predictions file, or refused naming the file and line.

The samples here have the shape lm-eval 0.4 writes with --log_samples for the tasks of integrations/lm_eval (the
log-likelihoods as text, as it logs them), and the shape of inspect-ai's JSON eval logs of integrations/inspect;
tests/integrations/ imports real runs' output.
"""

import json

import pytest

from bench.cli import main
from bench.models.predictions_file import read_predictions

STANCE = ["favor", "against", "none"]


def sample(paragraph: str, likelihoods: list[float], task: str = "stance_war") -> dict:
    doc = {"id": paragraph, "task": task, "choices": STANCE, "gold": 1, "text": "..."}
    return {"doc_id": 0, "doc": doc, "target": "1", "filtered_resps": [[str(v), "False"] for v in likelihoods],
            "filter": "none", "metrics": ["acc", "macro_f1", "f_avg"]}


def write_samples(folder, name: str, rows: list[dict]):
    path = folder / "model" / f"samples_{name}_2026-01-01T00-00-00.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_each_sample_becomes_its_choice_of_highest_log_likelihood(tmp_path, capsys):
    """The prediction lm-eval's `acc` scores (the first of equal ones), as a file `bench run` reads."""
    write_samples(tmp_path / "out", "deserter_stance_war_en", [
        sample("001-04", [-3.5, -1.25, -9.0]), sample("001-06", [-2.0, -7.0, -2.0]),
        sample("001-07", [-8.0, -4.0, -0.5], task="stance_defector")])
    out = tmp_path / "predictions.csv"
    assert main(["import", "lm-eval", str(tmp_path / "out"), "--out", str(out)]) == 0
    assert {key: label for key, (label, _) in read_predictions(str(out)).items()} == {
        ("001-04", "stance_war", ""): "against", ("001-06", "stance_war", ""): "favor",
        ("001-07", "stance_defector", ""): "none"}
    assert "3 predictions of stance_defector, stance_war" in capsys.readouterr().out


BROKEN = {
    "not JSON": ("{", "samples_deserter_stance_war_en_2026-01-01T00-00-00.jsonl:2: "),
    "no doc": (json.dumps({"filtered_resps": [["-1", "False"]]}), ":2: the sample's doc has no `id` and `task`"),
    "a choice without a score": (json.dumps(sample("001-06", [-1.0, -2.0])),
                                 ":2: expected the doc's `choices` and one log-likelihood per choice"),
    "a score that is no number": (json.dumps(sample("001-06", [-1.0, -2.0, -3.0])).replace('"-2.0"', '"high"'),
                                  ":2: a log-likelihood in `filtered_resps` is not a number: 'high'"),
    "a paragraph twice": (json.dumps(sample("001-04", [-1.0, -2.0, -3.0])),
                          ":2: a second prediction for 001-04 in task stance_war (the first: "),
}


@pytest.mark.parametrize("name", BROKEN)
def test_bad_output_is_refused_naming_file_and_line_and_nothing_is_written(tmp_path, capsys, name):
    line, message = BROKEN[name]
    path = write_samples(tmp_path / "out", "deserter_stance_war_en", [sample("001-04", [-1.0, -2.0, -3.0])])
    path.write_text(path.read_text() + line + "\n")
    out = tmp_path / "predictions.csv"
    assert main(["import", "lm-eval", str(tmp_path / "out"), "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"error: {path}") and message in error
    assert not out.exists()


def test_two_runs_in_one_folder_are_refused_naming_both_files(tmp_path, capsys):
    first = write_samples(tmp_path / "out", "deserter_topic_en", [sample("001-04", [-1.0, -2.0, -3.0])])
    second = first.with_name(first.name.replace("2026-01-01", "2026-02-01"))
    second.write_text(first.read_text())
    assert main(["import", "lm-eval", str(tmp_path / "out"), "--out", str(tmp_path / "p.csv")]) == 1
    assert capsys.readouterr().err == (f"error: {second}:1: a second prediction for 001-04 in task stance_war (the "
                                       f"first: {first}:1); import one run's output at a time\n")


@pytest.mark.parametrize("arguments, message", [
    (["import", "seqeval", "{out}", "--out", "{p}.csv"], "error: unknown tool 'seqeval' (known: inspect, lm-eval, mteb)"),
    (["import", "lm-eval", "{out}/missing", "--out", "{p}.csv"], "/missing: not a folder"),
    (["import", "lm-eval", "{out}", "--out", "{p}.csv"], "no samples_*.jsonl here"),
    (["import", "lm-eval", "{out}", "--out", "{p}.tsv"], ".tsv: the predictions file to write must end in .csv"),
])
def test_an_unknown_tool_or_a_folder_without_samples_is_refused(tmp_path, capsys, arguments, message):
    (tmp_path / "out").mkdir()
    assert main([a.format(out=tmp_path / "out", p=tmp_path / "p") for a in arguments]) == 1
    assert message in capsys.readouterr().err
    assert not list(tmp_path.glob("p.*"))


def inspect_log(folder, answers: dict[str, str], status: str = "success"):
    samples = [{"id": paragraph, "epoch": 1, "target": "none", "metadata": {"task": "stance_war", "language": "en"},
                "scores": {"label": {"value": "I", "answer": answer, "metadata": {"gold": "none"}}}}
               for paragraph, answer in answers.items()]
    path = folder / "logs" / "2026-01-01T00-00-00_deserter-bench.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 2, "status": status, "samples": samples}, indent=2))
    return path


def test_each_inspect_sample_becomes_its_answer(tmp_path):
    inspect_log(tmp_path, {"001-04": "against", "001-06": "none"})
    out = tmp_path / "predictions.csv"
    assert main(["import", "inspect", str(tmp_path / "logs"), "--out", str(out)]) == 0
    assert {key: label for key, (label, _) in read_predictions(str(out)).items()} == {
        ("001-04", "stance_war", ""): "against", ("001-06", "stance_war", ""): "none"}


@pytest.mark.parametrize("answers, status, message", [
    ({"001-04": "against", "001-06": ""}, "success",
     "sample '001-06' of task stance_war named no label, and a predictions file holds labels only"),
    ({"001-04": "against"}, "error", "not a finished inspect eval log (status: 'error')"),
])
def test_an_inspect_log_without_every_answer_is_refused_and_nothing_is_written(tmp_path, capsys, answers, status,
                                                                                message):
    path = inspect_log(tmp_path, answers, status)
    out = tmp_path / "predictions.csv"
    assert main(["import", "inspect", str(tmp_path / "logs"), "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"error: {path}: {message}" + (
        "; give the model more tokens (-T max_tokens=N) or a model that answers\n" if status == "success" else "\n")
    assert not out.exists()

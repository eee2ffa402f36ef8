"""The inspect-ai task of integrations/inspect, run end to end on a tiny model without network.

`make test-inspect` installs inspect-ai in a virtual environment of its own and runs this file with INSPECT_PYTHON
naming its Python; without it the tests are skipped. `inspect eval` runs with the hf/local provider on the two
Dutch sets of one topic and one stance task (the smallest that reach every metric), with room for 32 tokens, in
which the tiny model names a label for every paragraph; the tests then check that the scores it reports are the
harness's on the same answers, and that the logs import as a predictions file.
"""

import json
import os
from pathlib import Path

import pytest

from bench.cli import main
from bench.evaluation.scores import point_scores
from bench.evaluation.tasks import STANCE_POLES
from bench.models.predictions_file import read_predictions

from .conftest import REPO, run_offline, tiny_model

PYTHON = os.environ.get("INSPECT_PYTHON")
pytestmark = pytest.mark.skipif(not PYTHON, reason="inspect-ai is not installed here: `make test-inspect` installs "
                                                   "it and runs these tests (CI does)")
RUNS = (("topic", "nl"), ("stance_war", "nl"))


@pytest.fixture(scope="module")
def logs(exported, tmp_path_factory) -> dict[tuple[str, str], dict]:
    """Each run's eval log (JSON), by task and language."""
    scratch = tmp_path_factory.mktemp("inspect")
    model = tiny_model(str(PYTHON), exported, scratch)
    inspect = str(Path(str(PYTHON)).parent / "inspect")
    found = {}
    for task, language in RUNS:
        folder = scratch / f"logs-{task}-{language}"
        run_offline([inspect, "eval", "integrations/inspect/deserter_bench.py", "-T", f"data={exported}",
                     "-T", f"task={task}", "-T", f"language={language}", "-T", "max_tokens=32", "--model", "hf/local",
                     "-M", f"model_path={model}", "-M", "device=cpu", "--seed", "0", "--log-format", "json",
                     "--log-dir", str(folder), "--display", "none"], scratch, cwd=str(REPO))
        [log] = folder.glob("*.json")
        found[task, language] = json.loads(log.read_text())
    return found


@pytest.fixture(scope="module")
def log_folder(logs, tmp_path_factory) -> Path:
    """The runs' logs together in one folder, as `inspect eval --log-dir` leaves a series of runs."""
    folder = tmp_path_factory.mktemp("inspect-logs")
    for (task, language), log in logs.items():
        (folder / f"{task}-{language}.json").write_text(json.dumps(log))
    return folder


def test_the_reported_scores_are_the_harness_scores_of_the_answers(logs):
    """Macro-F1 over the classes in the test gold, F_avg over the poles present, and accuracy, recomputed by
    bench.evaluation.scores from each sample's parsed answer (an answer naming no label is wrong for every class)."""
    for (task, _), log in logs.items():
        assert log["status"] == "success"
        gold = [sample["target"] for sample in log["samples"]]
        answers = [sample["scores"]["label"]["answer"] or "" for sample in log["samples"]]
        labels = log["samples"][0]["metadata"]["labels"]
        poles = [pole for pole in STANCE_POLES if pole in gold] if task.startswith("stance") else []
        expected = point_scores(gold, answers, labels, poles=poles)
        [scorer] = log["results"]["scores"]
        metrics = {name: value["value"] for name, value in scorer["metrics"].items()}
        assert metrics["macro_f1"] == pytest.approx(expected["macro_f1"], abs=1e-12)
        assert metrics["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-12)
        if poles:
            assert metrics["f_avg"] == pytest.approx(expected["f_avg"], abs=1e-12)
        assert set(answers) - {""}, "the tiny model names labels, so the scores are computed on real answers"


def test_the_samples_are_every_body_paragraph_of_the_language(logs, exported):
    from datasets import Dataset

    for (task, language), log in logs.items():
        config, _, target = task.partition("_")
        rows = Dataset.from_parquet(str(exported / config / f"{language}-00000-of-00001.parquet"))
        assert {sample["id"] for sample in log["samples"]} == {
            row["id"] for row in rows if not target or row["target"] == target}


def test_the_logs_import_as_a_predictions_file_of_the_answers(logs, log_folder, tmp_path, capsys):
    """`bench import inspect`: each sample's parsed answer, by paragraph and task, as `bench run` reads it."""
    out = tmp_path / "predictions.csv"
    assert main(["import", "inspect", str(log_folder), "--out", str(out)]) == 0
    expected = {(sample["id"], task, ""): sample["scores"]["label"]["answer"]
                for (task, _), log in logs.items() for sample in log["samples"]}
    assert {key: label for key, (label, _) in read_predictions(str(out)).items()} == expected

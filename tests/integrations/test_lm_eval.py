"""The lm-evaluation-harness tasks of integrations/lm_eval, run end to end on a tiny model without network.

`make test-lm-eval` installs lm-eval in a virtual environment of its own and runs this file with LM_EVAL_PYTHON
naming its Python; without it the tests are skipped. lm-eval runs once per module; the tests then check that the
scores it reports are the harness's on the same answers, and that its per-sample output imports and scores.
"""

import json
import os
from pathlib import Path

import pytest

from bench.cli import main
from bench.evaluation.results import Record
from bench.evaluation.scores import point_scores
from bench.evaluation.tasks import STANCE_POLES

from .conftest import REPO, run_offline, tiny_model

PYTHON = os.environ.get("LM_EVAL_PYTHON")
pytestmark = pytest.mark.skipif(not PYTHON, reason="lm-eval is not installed here: `make test-lm-eval` installs it "
                                                   "and runs these tests (CI does)")
TASKS = {"topic": ("topic",), "stance": ("stance_war", "stance_defector")}
LANGUAGES = ("en", "nl")


@pytest.fixture(scope="module")
def lm_eval_output(exported, tmp_path_factory) -> Path:
    """lm-eval's output folder after the deserter_bench group ran on the tiny model, samples logged."""
    scratch = tmp_path_factory.mktemp("lm-eval")
    model = tiny_model(str(PYTHON), exported, scratch)
    out = scratch / "output"
    run_offline([str(PYTHON), "-m", "lm_eval", "run", "--model", "hf",
                 "--model_args", f"pretrained={model},dtype=float32", "--tasks", "deserter_bench",
                 "--include_path", str(REPO / "integrations" / "lm_eval"),
                 "--metadata", json.dumps({"data": str(exported)}), "--device", "cpu", "--batch_size", "16",
                 "--output_path", str(out), "--log_samples"], scratch)
    return out


def reported(output: Path) -> dict[str, dict]:
    """Each task's scores as lm-eval reports them (its results file), by metric without the filter suffix."""
    [results] = output.rglob("results_*.json")
    return {task: {key.removesuffix(",none"): value for key, value in scores.items()}
            for task, scores in json.loads(results.read_text())["results"].items()}


def samples(output: Path, task: str) -> list[dict]:
    [path] = output.rglob(f"samples_{task}_*.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def lm_eval_task(task: str, language: str) -> str:
    return f"deserter_{task}_{language}"


def test_every_task_reports_the_harness_scores_of_its_own_answers(lm_eval_output, exported):
    """Macro-F1 (over the classes in the test gold), F_avg (over the poles present) and accuracy, recomputed by
    bench.evaluation.scores from the log-likelihoods lm-eval logged: the task's metrics are the benchmark's."""
    scores = reported(lm_eval_output)
    for task in (*TASKS["topic"], *TASKS["stance"]):
        for language in LANGUAGES:
            rows = samples(lm_eval_output, lm_eval_task(task, language))
            gold = [row["doc"]["choices"][row["doc"]["gold"]] for row in rows]
            pred = [row["doc"]["choices"][max(range(len(row["filtered_resps"])),
                                              key=lambda i, row=row: float(row["filtered_resps"][i][0]))]
                    for row in rows]
            labels = rows[0]["doc"]["choices"]
            poles = [pole for pole in STANCE_POLES if pole in gold] if task.startswith("stance") else []
            expected = point_scores(gold, pred, labels, poles=poles)
            found = scores[lm_eval_task(task, language)]
            assert found["sample_len"] == len(rows) == len({row["doc"]["id"] for row in rows})
            assert found["macro_f1"] == pytest.approx(expected["macro_f1"], abs=1e-12)
            assert found["acc"] == pytest.approx(expected["accuracy"], abs=1e-12)
            if poles:
                assert found["f_avg"] == pytest.approx(expected["f_avg"], abs=1e-12)


def test_the_samples_cover_every_body_paragraph_of_each_language(lm_eval_output, exported):
    """The test side is every scored paragraph, as in the harness's in_language settings: the export's rows."""
    from datasets import Dataset

    for config, tasks in TASKS.items():
        for language in LANGUAGES:
            rows = Dataset.from_parquet(str(exported / config / f"{language}-00000-of-00001.parquet"))
            for task in tasks:
                target = task.removeprefix("stance_")
                expected = {row["id"] for row in rows if config == "topic" or row["target"] == target}
                assert {row["doc"]["id"] for row in samples(lm_eval_output, lm_eval_task(task, language))} == expected


def test_the_imported_samples_score_in_bench_run_as_lm_eval_scored_them(lm_eval_output, tmp_path, capsys):
    """`bench import lm-eval` then `bench run` with a predictions_file config: every in_language setting tests all
    of one language's paragraphs, so its pooled scores are lm-eval's, and the row has the harness's marks."""
    predictions, results = tmp_path / "predictions.csv", tmp_path / "results"
    assert main(["--root", str(REPO), "import", "lm-eval", str(lm_eval_output), "--out", str(predictions)]) == 0
    config = tmp_path / "tiny_lm_eval.yaml"
    config.write_text("description: a tiny random model through lm-eval\n"
                      f"model:\n  name: predictions_file\n  params:\n    path: {predictions}\n")
    assert main(["--root", str(REPO), "run", str(config), "--out", str(results)]) == 0
    record = Record.from_json(json.loads((results / "records" / "tiny_lm_eval.json").read_text()))
    assert "predictions file" in record.marks
    scores = reported(lm_eval_output)
    for result in record.results:
        if result.setting != "in_language":
            continue
        found = scores[lm_eval_task(result.task, result.test_language)]
        assert result.n_test == found["sample_len"]
        assert result.scores["macro_f1"].mean == pytest.approx(found["macro_f1"], abs=1e-12)
        if result.f_avg_poles:
            assert result.scores["f_avg"].mean == pytest.approx(found["f_avg"], abs=1e-12)
    assert (results / "tables").is_dir()

import pytest

from bench.workflows.performance import measure


def test_measure_reports_time_and_the_memory_of_the_process_tree(tmp_path):
    seconds, mib = measure(["python3", "-c", "import time; b = bytearray(200 * 2**20); time.sleep(0.5)"])
    assert seconds >= 0.5 and mib >= 200


def test_the_scale_benchmark_runs_both_ways_and_profiles_on_a_small_corpus(repo, monkeypatch):
    import bench.workflows.performance as performance
    monkeypatch.setattr(performance, "PROFILE_SIZE", 60)
    result = performance.run_scale(repo.root, sizes=[60], jobs=1)
    [row] = result["sizes"]
    assert row["same_predictions"] and row["word_types"] > 0
    assert row["experiment_seconds"] > 0 and row["naive_seconds"] > 0 and row["experiment_peak_mib"] > 0
    assert result["profile"]["total_seconds"] > 0
    assert result["profile"]["parts"]["classifier fits (LogisticRegression.fit)"] > 0


def test_the_scale_experiment_has_fixed_parameters_and_the_naive_one_analyses_at_every_fit(repo):
    import yaml

    from bench.workflows.performance import scale_config
    shared, naive = yaml.safe_load(scale_config(repo.root)), yaml.safe_load(scale_config(repo.root, naive=True))
    assert "grid" not in shared["model"] and "grid" not in naive["model"]
    assert shared["model"]["params"] == {"classifier__C": 1.0}
    assert naive["model"]["params"] == {"classifier__C": 1.0, "features__word__shared_analysis": False,
                                        "features__char__shared_analysis": False}


def test_measure_fails_with_the_commands_error():
    with pytest.raises(RuntimeError, match="boom"):
        measure(["python3", "-c", "import sys; sys.exit('boom')"])


def test_the_plain_per_target_script_scores_a_multitarget_data_set_as_perf_runs_it(tmp_path):
    import csv
    import subprocess
    import sys

    from bench.data.synthetic import MULTITARGET_COLUMNS, multitarget_rows
    data = tmp_path / "multitarget.csv"
    with open(data, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=MULTITARGET_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(multitarget_rows(40))
    done = subprocess.run([sys.executable, "-m", "bench.workflows.plain_per_target", str(data)], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr
    assert 0 < float(done.stdout) <= 1


def test_perf_without_psutil_names_the_perf_extra(project, monkeypatch):
    import importlib.util

    from bench.files import BenchError
    from bench.workflows.performance import perf
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "psutil" else real(name, *a))
    with pytest.raises(BenchError, match=r"bench perf needs the optional `perf` dependencies: pip install -e '\.\[perf\]'"):
        perf(project, only=["commands"])

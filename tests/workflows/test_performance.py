import errno
import tempfile

import pytest

import bench.workflows.performance as performance
from bench.files import BenchError
from bench.workflows.performance import measure
from bench.workflows.project import Project


def test_measure_reports_time_and_the_memory_of_the_process_tree(tmp_path):
    seconds, mib = measure(["python3", "-c", "import time; b = bytearray(200 * 2**20); time.sleep(0.5)"])
    assert seconds >= 0.5 and mib >= 200


def test_the_scale_benchmark_runs_both_ways_and_profiles_on_the_smallest_corpus_it_accepts(repo, monkeypatch):
    import bench.workflows.performance as performance
    monkeypatch.setattr(performance, "PROFILE_SIZE", performance.MIN_SCALE_SIZE)
    result = performance.run_scale(repo.root, sizes=[performance.MIN_SCALE_SIZE], jobs=1)
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
    with pytest.raises(BenchError, match="`python3 -c print\\('noise'\\); raise SystemExit\\('boom'\\)` failed: boom$"):
        measure(["python3", "-c", "print('noise'); raise SystemExit('boom')"])


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


# Bad input: each refused before the first measurement (`nothing_measured`), with one `error:` line and no file changed.

@pytest.fixture
def nothing_measured(monkeypatch):
    """Any measurement fails the test: a refused `bench perf` must stop before its work."""
    def measured(*args, **kwargs):
        raise AssertionError("bench perf measured something before refusing")
    for name in ("run_benchmarks", "run_per_target", "run_scale", "run_language_model"):
        monkeypatch.setattr(performance, name, measured)


@pytest.mark.parametrize("repeats", ["0", "-3"])
def test_perf_refuses_repeats_below_one(project, refused, nothing_measured, repeats):
    refused(project, ["perf", "--repeats", repeats], f"error: --repeats must be at least 1; got {repeats}\n")


def test_perf_refuses_a_folder_that_is_no_checkout(tmp_path, refused, nothing_measured):
    folder = tmp_path / "not-a-checkout"
    folder.mkdir()
    refused(Project(folder), ["perf"], f"error: {folder / 'labels' / 'GUIDELINES.md'}: not found, so {folder} is not "
                                       "a benchmark checkout")


def test_perf_refuses_a_checkout_without_the_config_a_part_runs(project, refused, nothing_measured):
    (project.experiments / "tfidf.yaml").unlink()
    refused(project, ["perf", "--only", "scale"], f"error: {project.experiments / 'tfidf.yaml'}: not found, and the "
                                                  "scale part runs it")


@pytest.mark.parametrize("sizes", [["0"], ["19"], ["1000", "-5"]])
def test_perf_refuses_a_corpus_size_too_small_for_folds(project, refused, nothing_measured, sizes):
    refused(project, ["perf", "--sizes", *sizes], f"error: --sizes must each be at least {performance.MIN_SCALE_SIZE} "
                                                  f"paragraphs (two synthetic documents, so that leave_one_story_out "
                                                  f"has folds); got {min(map(int, sizes))}\n")


@pytest.mark.parametrize("jobs", ["0", "-2", "9999"])
def test_perf_refuses_jobs_beyond_the_usable_cores(project, refused, nothing_measured, jobs):
    from bench.evaluation.runner import usable_cores
    refused(project, ["perf", "--only", "scale", "--jobs", jobs], f"error: --jobs must be from 1 to {usable_cores()} "
                                                                  f"(this machine's usable cores), or -1 for one per "
                                                                  f"core; got {jobs}\n")


def test_perf_refuses_a_folder_where_its_figures_go(project, refused, nothing_measured):
    (project.results / "performance.json").mkdir(parents=True)
    refused(project, ["perf", "--only", "commands"], f"{project.results / 'performance.json'}: is a folder, but a file "
                                                     "must be written here")


def test_perf_refuses_malformed_earlier_figures_before_measuring(project, refused, nothing_measured):
    project.results.mkdir(parents=True)
    (project.results / "performance.json").write_text('{"scale": {"jobs": 2}}\n', encoding="utf-8")
    refused(project, ["perf", "--only", "commands"], f"error: {project.results / 'performance.json'}: missing key "
                                                     "'sizes'")


COMMANDS = {"machine": {"cpus": 2, "python": "3.11", "system": "Linux"}, "commands_memory": "pss",
            "commands": {"bench --help": {"repeats": 1, "seconds_median": 0.1, "seconds_best": 0.1, "peak_mib": 17}}}


@pytest.fixture
def disk_full_for(monkeypatch):
    """A function making the disk full for one file name: its temporary file cannot be created."""
    def full(name):
        real = tempfile.mkstemp

        def mkstemp(*args, prefix=None, **kwargs):
            if prefix == f".{name}.":
                raise OSError(errno.ENOSPC, "No space left on device")
            return real(*args, prefix=prefix, **kwargs)
        monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    return full


def test_a_full_disk_while_perf_saves_its_figures_is_an_error_and_changes_nothing(project, monkeypatch, refused,
                                                                                   disk_full_for):
    monkeypatch.setattr(performance, "run_benchmarks", lambda *args: COMMANDS)
    disk_full_for("performance.json")
    refused(project, ["perf", "--only", "commands"], f"error: {project.results / 'performance.json'}: cannot write: "
                                                     "No space left on device\n")


def test_perf_writes_its_tables_into_the_performance_page_and_leaves_the_readme_alone(project, monkeypatch, capsys):
    from bench.cli import main
    from bench.publishing.performance import performance_tables
    monkeypatch.setattr(performance, "run_benchmarks", lambda *args: COMMANDS)
    readme = project.readme.read_bytes()
    assert main(["--root", str(project.root), "perf", "--only", "commands"]) == 0
    page = project.performance_page.read_text(encoding="utf-8")
    block = page[page.index("<!-- performance:start -->\n") + len("<!-- performance:start -->\n"):
                 page.index("<!-- performance:end -->")]
    assert block == performance_tables(COMMANDS) == capsys.readouterr().out
    assert "| bench --help | 1 | 0.10 | 0.10 | 17 |" in block
    assert project.readme.read_bytes() == readme


def test_a_full_disk_while_perf_updates_its_page_keeps_it_whole_and_the_figures_saved(project, monkeypatch, capsys,
                                                                                      disk_full_for):
    from bench.cli import main
    from bench.publishing.performance import read_performance
    monkeypatch.setattr(performance, "run_benchmarks", lambda *args: COMMANDS)
    page = project.performance_page.read_bytes()
    disk_full_for("performance.md")
    assert main(["--root", str(project.root), "perf", "--only", "commands"]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {project.performance_page}: cannot write: No space left on device\n"
    assert project.performance_page.read_bytes() == page
    assert read_performance(project.results) == COMMANDS, "the measurements are kept, for the next perf to publish"

import json

import pytest

import bench.workflows.experiments as experiments
from bench.cli import main
from bench.evaluation.config import Config
from bench.evaluation.results import Record
from bench.publishing.records import load_records, write_record


def test_gpu_experiments_run_only_where_there_is_a_gpu(project, monkeypatch, capsys):
    ran = []
    monkeypatch.setattr(experiments, "run_experiments", lambda project, paths, *args, **options: ran.append(paths))
    monkeypatch.setattr(experiments, "publish_benchmark", lambda project: "")
    gpu = project.gpu_config_paths()
    assert {p.stem for p in gpu} == {"e5_finetuned_full", "setfit_e5", "setfit_minilm"}

    monkeypatch.setattr(experiments, "gpu_present", lambda: False)
    assert experiments.run(project, include_fine_tuning=True) == 0
    assert not set(gpu) & set(ran[-1]) and project.experiments / "finetune" / "e5_finetuned.yaml" in ran[-1]
    notes = capsys.readouterr().err
    assert all(f"{p.relative_to(project.root)} needs a GPU and none is present: skipped" in notes for p in gpu)

    monkeypatch.setattr(experiments, "gpu_present", lambda: True)
    assert experiments.run(project, include_fine_tuning=True) == 0
    assert set(gpu) <= set(ran[-1])
    assert experiments.run(project) == 0 and not set(gpu) & set(ran[-1])  # the default run never has them


def test_the_gate_leaves_gpu_records_out_of_the_currency_check(project, monkeypatch, capsys):
    records = project.records
    records.mkdir(parents=True)
    origin = {"commit": "0123456789abcdef", "dirty": False, "device": {"kind": "cuda", "name": "NVIDIA H100"}}
    for name in ("setfit_e5", "majority"):
        write_record(records, Config(name, "majority"), [], origin)
    checked = []
    monkeypatch.setattr(experiments, "stale_records", lambda root, found: checked.extend(found) or ["stale"])
    assert experiments.check_reproducible(project) == 1
    assert [r.experiment for r in checked] == ["majority"]
    assert "setfit_e5 ran on a GPU (NVIDIA H100) at commit 0123456789ab; it is not rerun here" in capsys.readouterr().err


def test_a_gpu_run_is_marked_in_the_tables(tmp_path):
    path = write_record(tmp_path, Config("setfit_e5", "majority"), [], {"device": {"kind": "cuda", "name": "H100"}})
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["marks"] == ["GPU"] and Record.from_json(record).row_name == "setfit_e5 [GPU]"
    cpu = json.loads(write_record(tmp_path, Config("majority", "majority"), [], {"device": {"kind": "cpu"}}).read_text())
    assert Record.from_json(cpu).row_name == "majority"


def test_inner_check_scores_every_seed_on_inner_folds_only(project, tmp_path, capsys):
    config = project.experiments / "svm_check.yaml"
    config.write_text("model: {name: svm, grid: {classifier__C: [0.1, 1]}}\ntasks: [stance_war]\n"
                      "settings: [leave_one_story_out]\n", encoding="utf-8")
    out = tmp_path / "inner.json"
    assert experiments.inner_check(project, str(config), seeds=(0, 1), out=str(out)) == 0
    table, said = capsys.readouterr()
    assert "| stance_war | 3 | 2 |" in table
    steps = said.splitlines()
    assert len(steps) == 3 * 2 + 1 and steps[0].startswith("[1/6] finished stance_war leave_one_story_out:all fold 0 seed 0 (")
    assert "(majority " in steps[0] and steps[-1] == f"wrote {out}"
    written = json.loads(out.read_text(encoding="utf-8"))
    assert {(r["fold"], r["seed"]) for r in written["rows"]} == {(f, s) for f in range(3) for s in (0, 1)}
    assert all(r["chosen"]["classifier__C"] in (0.1, 1) for r in written["rows"])
    assert written["provenance"]["config"]["name"] == "svm_check"


def bench_run(project, out, *arguments, env=None):
    import os
    import subprocess
    import sys
    return subprocess.run([sys.executable, "-m", "bench.cli", "--root", str(project.root), "run",
                           str(project.experiments / "stratified.yaml"), "--out", str(out), *arguments],
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=600)


def test_an_unreachable_dask_scheduler_is_an_error_before_anything_is_written(project, tmp_path, free_port):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    done = bench_run(project, tmp_path / "out", "--backend", "dask",
                     env={"DASK_SCHEDULER_ADDRESS": address, "DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert f"error: the dask backend could not connect: Timed out trying to connect to {address}" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_real_dask_scheduler_gives_the_records_of_a_local_run(project, tmp_path, free_port):
    """A scheduler and a worker on 127.0.0.1, on a free port, stopped by their process ids."""
    import os
    import signal
    import subprocess
    import sys
    pytest.importorskip("distributed")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                  "--port", str(port), "--no-dashboard"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                               "--host", "127.0.0.1", "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = bench_run(project, tmp_path / "local")
        remote = bench_run(project, tmp_path / "remote", "--backend", "dask", "--jobs", "2",
                           env={"DASK_SCHEDULER_ADDRESS": address})
    finally:
        for process in (worker, scheduler):
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    assert local.returncode == 0 and remote.returncode == 0, remote.stderr[-2000:]
    first, second = (json.loads((tmp_path / run / "records" / "stratified.json").read_text()) for run in ("local", "remote"))
    assert first["results"] == second["results"]
    assert "[1/1] finished stratified (" in remote.stderr, "the parent counts the experiments the cluster ran"


def run_on_a_terminal(project, out, **environment):
    """`bench run` of the majority config with a terminal as stdout and stderr, as a user runs it; what it showed."""
    import os
    import sys
    pexpect = pytest.importorskip("pexpect")
    env = {**{key: value for key, value in os.environ.items() if key != "CI"}, **environment}
    child = pexpect.spawn(sys.executable, ["-m", "bench.cli", "--root", str(project.root), "run",
                                           str(project.experiments / "majority.yaml"), "--out", str(out)],
                          encoding="utf-8", dimensions=(24, 150), timeout=300, env=env)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before[-2000:]
    return child.before.replace("\r\n", "\n")


def test_a_run_on_a_terminal_draws_a_bar_of_folds_and_ends_naming_what_it_wrote(project, tmp_path):
    shown = run_on_a_terminal(project, tmp_path / "out")
    assert "folds: 100%|" in shown and "majority; 0/1 experiments done" in shown and "1/1 experiments done" in shown
    assert "finished majority" not in shown, "the bar takes the place of the lines"
    assert shown.rstrip().splitlines()[-1] == f"wrote {tmp_path / 'out' / 'records'}/, {tmp_path / 'out' / 'tables'}/"


def test_without_a_terminal_or_in_ci_a_run_prints_a_line_per_experiment_and_no_bar(project, tmp_path):
    import re
    piped = bench_run(project, tmp_path / "piped")
    in_ci = run_on_a_terminal(project, tmp_path / "ci", CI="true")
    for shown, out in ((piped.stderr, tmp_path / "piped"), (in_ci, tmp_path / "ci")):
        assert "%|" not in shown and "folds" not in shown
        assert re.search(r"^\[1/1\] finished (stratified|majority) \(\d+ s\)$", shown, re.MULTILINE)
        assert shown.rstrip().splitlines()[-1] == f"wrote {out / 'records'}/, {out / 'tables'}/"


def git(folder, *arguments) -> str:
    import subprocess
    return subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.org", *arguments],
                          cwd=folder, capture_output=True, text=True, check=True).stdout


def test_a_rerun_of_an_unchanged_checkout_changes_no_file_and_a_stale_record_is_rewritten(project, capsys):
    """As `make run` on a fresh clone: nothing shows in `git status`. A change committed to an input since (a comment
    in a config) leaves the numbers as they were, yet the records name the new commit, as the gate requires."""
    configs = [str(project.experiments / "majority.yaml")]
    git(project.root, "init", "-q")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", "data and configs")
    assert main(["--root", str(project.root), "run", *configs]) == 0
    results = project.results
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"wrote {results / 'records'}/, {results / 'tables'}/, {results / 'figures'}/, {results / 'README.md'}, "
        f"{results / 'errors.md'}, {project.readme}")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-qm", "records")
    record = project.records / "majority.json"
    before, stamp = record.read_bytes(), record.stat().st_mtime_ns
    assert main(["--root", str(project.root), "run", *configs]) == 0
    assert record.read_bytes() == before and record.stat().st_mtime_ns == stamp
    assert git(project.root, "status", "--porcelain") == ""

    config = project.experiments / "majority.yaml"
    config.write_text("# a comment changes no number\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    git(project.root, "commit", "-qam", "a comment")
    assert main(["--root", str(project.root), "run", *configs]) == 0
    head = git(project.root, "rev-parse", "HEAD").strip()
    rewritten = json.loads(record.read_text(encoding="utf-8"))
    assert rewritten["provenance"]["commit"] == head and rewritten["results"] == json.loads(before)["results"]
    assert experiments.stale_records(project.root, load_records(project.records)[0].records) == []


def test_jobs_beyond_the_cores_are_refused_before_anything_is_read(ran, capsys, monkeypatch, refused):
    from bench.evaluation.runner import usable_cores
    monkeypatch.setattr(experiments, "plan_experiments", lambda *args: pytest.fail("read before --jobs was checked"))
    refused(ran, ["run", "--jobs", "1000"], f"error: --jobs must be from 1 to {usable_cores()}")
    refused(ran, ["run", "--check", "--jobs", "1000"], "error: --jobs must be from 1 to")


def shared_name(folder, name: str, test_every: int) -> str:
    """A data set called `shared`, in a file of its own, testing every `test_every`-th row."""
    rows = [f"{i},{'alpha' if i % 2 else 'beta'} {i},{'AB'[i % 2]},{'test' if i % test_every == 0 else 'train'}"
            for i in range(24)]
    (folder / f"{name}.csv").write_text("\n".join(["id,text,label,part", *rows]) + "\n", encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text(f"model: {{name: majority}}\nsettings: [given_split]\ndataset: {{path: {name}.csv, name: shared, "
                    "columns: {id: id, text: text, label: label, split: part}}\n", encoding="utf-8")
    return str(path)


def test_two_data_sets_of_one_name_are_refused_naming_both_configs(project, capsys, tmp_path, refused):
    """They would share the table's `shared` column on other rows: publishing died pairing their predictions."""
    first, second = shared_name(tmp_path, "x", 4), shared_name(tmp_path, "y", 3)
    refused(project, ["run", first, second, "--out", str(tmp_path / "out")],
            f"error: {second}: the data set name 'shared' also names the data of {first}, which is another data set",
            tmp_path)


def test_rows_other_than_a_kept_record_s_are_refused_before_the_run(ran, capsys, tmp_path, refused):
    """Captions beside the body paragraphs: topic's in_language:en tests other rows than majority's record, which
    the run keeps and publishes beside it; the same for an external run beside an earlier one in its folder."""
    config = ran.experiments / "zz_captions.yaml"
    config.write_text("model: {name: majority}\ntasks: [topic]\nkinds: [body, caption]\nsettings: [in_language]\n")
    refused(ran, ["run", str(config)], f"error: {config}: topic in_language:en tests 48 rows here and 45 other ones in "
                                       f"{ran.records / 'majority.json'}; experiments published together must test")
    out = tmp_path / "out"
    assert main(["--root", str(ran.root), "run", shared_name(tmp_path, "x", 4), "--out", str(out)]) == 0
    later = shared_name(tmp_path, "z", 3)
    refused(ran, ["run", later, "--out", str(out)], f"error: {later}: shared given_split:all tests", tmp_path)


# Bad input to inner-check and report: one `error:` line, exit 1, no file written, and no fold computed.

@pytest.fixture
def inner_config(project, monkeypatch):
    """A config with a grid, as inner-check needs; selecting fails the test, since a refusal must come first."""
    import bench.evaluation.selection as selection

    def selected(*args, **kwargs):
        raise AssertionError("inner-check computed before refusing")
    monkeypatch.setattr(selection, "select", selected)
    config = project.experiments / "svm_check.yaml"
    config.write_text("model: {name: svm, grid: {classifier__C: [0.1, 1]}}\ntasks: [stance_war]\n"
                      "settings: [leave_one_story_out]\n", encoding="utf-8")
    return config


def test_inner_check_refuses_a_folder_as_out_before_computing(project, inner_config, tmp_path, refused):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    refused(project, ["inner-check", str(inner_config), "--out", str(folder)],
            f"error: {folder}: is a folder, but a file must be written here\n", tmp_path)


@pytest.mark.parametrize("seed", ["-1", str(2**32)])
def test_inner_check_refuses_a_seed_numpy_does_not_take(project, inner_config, refused, seed):
    refused(project, ["inner-check", str(inner_config), "--seeds", "0", seed],
            f"error: --seeds must be integers from 0 to {2**32 - 1}; got {seed}\n")


def test_inner_check_refuses_an_unknown_setting_naming_the_known(project, inner_config, refused):
    from bench.evaluation.settings import SETTINGS
    refused(project, ["inner-check", str(inner_config), "--setting", "nonexistent"],
            f"error: unknown setting 'nonexistent' (known: {', '.join(SETTINGS)})\n")


def test_inner_check_refuses_a_setting_the_config_does_not_run(project, inner_config, refused):
    refused(project, ["inner-check", str(inner_config), "--setting", "in_language"],
            f"error: {inner_config}: the config does not run the setting 'in_language' (it runs: leave_one_story_out)\n")


@pytest.mark.parametrize(("change", "message"), [
    (lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "model"}), ": missing key 'model'\n"),
    (lambda text: "\n".join(text.splitlines()[:3]), ":3: malformed JSON: Expecting property name"),  # cut off
])
def test_report_refuses_a_hand_edited_or_truncated_record_naming_it(project, refused, change, message):
    path = write_record(project.records, Config("majority", "majority"), [], {})
    path.write_text(change(path.read_text(encoding="utf-8")), encoding="utf-8")
    refused(project, ["report"], f"error: {path}{message}")


def test_a_records_folder_linked_out_of_the_checkout_is_refused_before_the_run(ran, tmp_path, refused):
    elsewhere = tmp_path / "elsewhere"
    ran.records.rename(elsewhere)
    ran.records.symlink_to(elsewhere, target_is_directory=True)
    refused(ran, ["run", str(ran.experiments / "majority.yaml")],
            f"{ran.records}: is a symbolic link to {elsewhere}, outside {ran.root}", tmp_path)

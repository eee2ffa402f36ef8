"""A researcher's `bench run CONFIG --out DIR` beside the checkout's committed records (made here by `ran`)."""

import shutil
import subprocess

import pytest

from bench.cli import main
from bench.publishing.records import BASELINE_MARK
from bench.workflows.publish import publish_external

MINE = "model:\n  name: svm\ntasks: [topic, stance_war]\nsettings: [in_language, leave_one_story_out]\n"


def contents(folder) -> dict:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.json"))}


def write_config(folder, text=MINE, name="mine"):
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_new_model_is_ranked_and_tested_among_the_committed_baselines(ran, tmp_path, capsys):
    """The tables of the new run equal those of the records copied by hand into one folder, the baselines marked;
    the committed records are read, never copied or changed."""
    committed = contents(ran.records)
    out = tmp_path / "out"
    assert main(["--root", str(ran.root), "run", write_config(tmp_path), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert f"the tables compare with 3 committed baseline(s) read from {ran.records}" in printed.err
    assert "marked [committed baseline]: majority, stratified, tfidf" in printed.err
    assert contents(ran.records) == committed and list(contents(out / "records")) == ["mine.json"]

    by_hand = tmp_path / "by_hand"  # what a user did before: the committed records copied beside the new one
    shutil.copytree(ran.records, by_hand / "records")
    shutil.copy(out / "records" / "mine.json", by_hand / "records")
    published = publish_external(by_hand)
    legend, tables = printed.out.split("\n### ", 1)
    assert "Rows marked [committed baseline] are the checkout's committed records" in legend
    assert tables.replace(f" [{BASELINE_MARK}]", "") == published.split("\n### ", 1)[1]
    for name in ("results.md", "results.csv", "results.tex"):
        assert (out / "tables" / name).read_text(encoding="utf-8").replace(f" [{BASELINE_MARK}]", "") == (
            by_hand / "tables" / name).read_text(encoding="utf-8")
    assert f"| majority [{BASELINE_MARK}] |" in printed.out and "| mine |" in printed.out


def test_no_baselines_leaves_them_out(ran, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--root", str(ran.root), "run", write_config(tmp_path), "--out", str(out), "--no-baselines"]) == 0
    tables = capsys.readouterr().out
    assert "| mine |" in tables and BASELINE_MARK not in tables and "majority" not in tables


def test_a_run_only_on_external_data_has_no_baselines(ran, tmp_path, capsys):
    out = tmp_path / "out"
    config = ran.experiments / "examples" / "multitarget_majority.yaml"
    assert main(["--root", str(ran.root), "run", str(config), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "no committed baselines in the tables: the run is only on external data sets" in printed.err
    assert BASELINE_MARK not in printed.out and "multitarget_majority" in printed.out


def test_a_run_of_a_baseline_s_name_stands_in_for_it(ran, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["--root", str(ran.root), "run", write_config(tmp_path, name="tfidf"), "--out", str(out)]) == 0
    printed = capsys.readouterr()
    assert "tfidf of this run" in printed.err and "marked [committed baseline]: majority, stratified\n" in printed.err
    assert "| tfidf |" in printed.out and f"tfidf [{BASELINE_MARK}]" not in printed.out


def test_baselines_made_from_other_code_or_data_are_refused_before_anything_is_written(ran, tmp_path, refused):
    """The records of `ran` name no commit of this (new) git history: a comparison with them could be wrong."""
    git = ["git", "-C", str(ran.root), "-c", "user.name=test", "-c", "user.email=test@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "checkout"]):
        subprocess.run([*git, *command], check=True, capture_output=True)
    out = tmp_path / "out"
    err = refused(ran, ["run", write_config(tmp_path), "--out", str(out)],
                  f"error: {ran.records}: the committed baselines were not made from this checkout's code and data",
                  ran.experiments)
    assert "majority: made from commit" in err and "--no-baselines" in err and not out.exists()


def test_a_run_on_other_rows_than_the_baselines_is_refused_before_it_runs(ran, tmp_path, refused):
    config = write_config(tmp_path, "model: {name: majority}\ntasks: [topic]\nkinds: [body, caption]\n"
                                    "settings: [in_language]\n")
    err = refused(ran, ["run", config, "--out", str(tmp_path / "out")], f"error: {config}: topic in_language:en tests ",
                  tmp_path)
    assert f"other ones in {ran.records / 'majority.json'}; experiments published together must test the same rows" in err
    assert err.endswith("(leave the committed baselines out with --no-baselines)\n")


@pytest.mark.parametrize("arguments", [["--no-baselines"], ["--check", "--no-baselines"]])
def test_no_baselines_goes_with_out(ran, arguments, refused):
    refused(ran, ["run", *arguments], "error: --no-baselines goes with --out")


def test_kept_baselines_are_compared_at_their_own_commit(project, monkeypatch, tmp_path):
    """GPU records and records of experiments run once are kept at their commit, as the gate keeps them."""
    from types import SimpleNamespace

    import bench.workflows.baselines as baselines
    from bench.evaluation.config import Config
    from bench.publishing.records import write_record

    assert {"smollm2_zero_shot", "setfit_e5"} <= project.kept_experiments()
    project.records.mkdir(parents=True)
    origin = {"commit": "0123456789abcdef", "dirty": False, "device": {"kind": "cpu"}}
    for name in ("smollm2_zero_shot", "setfit_e5", "majority"):
        write_record(project.records, Config(name, "majority"), [], origin)
    checked = []
    monkeypatch.setattr(baselines, "stale_records", lambda root, found: checked.extend(found) or [])
    plans = [SimpleNamespace(config=SimpleNamespace(dataset=None, name="mine"))]
    kept = baselines.committed_baselines(project, plans, tmp_path)
    assert [r.experiment for r in checked] == ["majority"]
    assert {r.experiment for r in kept} == {"smollm2_zero_shot", "setfit_e5", "majority"}

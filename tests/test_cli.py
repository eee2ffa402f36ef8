import json
import subprocess
import sys

import pytest

from bench.cli import main


def test_end_to_end_run_on_the_seed_corpus(project, capsys):
    assert main(["--root", str(project.root), "run"]) == 0
    printed = capsys.readouterr().out
    assert "### topic" in printed and "tfidf" in printed
    tables = project.results / "tables"
    first = {p.name: p.read_bytes() for p in tables.iterdir()}
    assert set(first) == {"results.md", "results.csv", "results.tex"}
    readme = (project.root / "README.md").read_text()
    assert "| tfidf |" in readme and "Annotator agreement" in readme

    record = json.loads((project.records / "tfidf.json").read_text())
    provenance = record["provenance"]
    assert {"commit", "versions", "data_sha256", "config", "seeds"} <= set(provenance)
    assert provenance["versions"]["scikit-learn"]
    results = {(r["task"], r["evaluation"]): r for r in record["results"]}
    assert set(results) == {(task, evaluation) for task in ("topic", "stance_war", "stance_defector") for evaluation in (
        "in_language:en", "in_language:nl", "cross_lingual:en>nl", "cross_lingual:nl>en",
        "cross_lingual_same_story:en>nl", "cross_lingual_same_story:nl>en", "multilingual:all")}
    topic_en_nl = results[("topic", "cross_lingual:en>nl")]
    assert topic_en_nl["story_disjoint"] is True and results[("topic", "in_language:en")]["story_disjoint"] is False
    assert topic_en_nl["folds"][0]["unseen_classes"] == ["asylum_policy"]
    assert topic_en_nl["folds"][0]["test_docs"] == ["002", "004"], "the Dutch article of the English story is held out"
    assert topic_en_nl["n_test"] == len(topic_en_nl["predictions"]) == 19
    assert set(results[("stance_war", "multilingual:all")]["scores"]) == {"macro_f1", "macro_f1_seen", "accuracy",
                                                                         "f_avg"}
    assert all("selection" in fold for r in results.values() for fold in r["folds"]), "tfidf has a grid"
    stratified = json.loads((project.records / "stratified.json").read_text())
    assert len(stratified["results"][0]["scores"]["macro_f1"]["per_seed"]) == 5

    assert main(["--root", str(project.root), "run"]) == 0
    assert {p.name: p.read_bytes() for p in tables.iterdir()} == first, "a rerun must write identical tables"
    assert (project.root / "README.md").read_text() == readme


def test_validate_reports_problems_with_a_non_zero_exit(project, capsys):
    assert main(["--root", str(project.root), "validate"]) == 0
    assert "duplicate: paragraphs 001-01, 001-02 have identical text" in capsys.readouterr().out
    gold = project.labels / "gold.jsonl"
    gold.write_text(gold.read_text().replace('"kind": "body"', '"kind": "bodytext"', 1))
    assert main(["--root", str(project.root), "validate"]) == 1
    assert "gold.jsonl:1: unknown label 'bodytext' for kind" in capsys.readouterr().err


def test_outside_a_checkout_bench_says_so(tmp_path, capsys):
    assert main(["--root", str(tmp_path), "run", "x.yaml", "--out", str(tmp_path / "out")]) == 1
    assert "is not a benchmark checkout" in capsys.readouterr().err and not (tmp_path / "out").exists()


def test_run_refuses_invalid_labels_and_bad_configs(project, capsys):
    (project.experiments / "typo.yaml").write_text("model:\n  name: tfidf\nsettings: [in_language]\nkind: [body]\n")
    assert main(["--root", str(project.root), "run"]) == 1
    assert "typo.yaml:4: unknown key 'kind'" in capsys.readouterr().err
    assert not (project.records).exists(), "no experiment may run before every config is checked"


@pytest.mark.parametrize("block, message", [
    ("{confidence: 95}", "'bootstrap.confidence' must be a number between 0 and 1"),
    ("{resamples: 0}", "'bootstrap.resamples' must be a positive integer"),
    ("{seed: abc}", "'bootstrap.seed' must be a non-negative integer"),
    ("5", "'bootstrap' must be a mapping"),
])
def test_a_bad_bootstrap_block_is_refused_before_any_experiment_runs(project, capsys, block, message):
    config = project.experiments / "zz_bad.yaml"
    config.write_text(f"model:\n  name: majority\nbootstrap: {block}\n")
    assert main(["--root", str(project.root), "run"]) == 1
    assert f"zz_bad.yaml:3: {message}" in capsys.readouterr().err
    assert not project.records.exists(), "the earlier configs (alphabetically first) must not have run"


def test_agreement_command(repo, capsys):
    assert main(["--root", str(repo.root), "agreement"]) == 0
    out = capsys.readouterr().out
    assert "| topic | a1 vs a2 | 91 |" in out


def test_help_does_not_import_the_heavy_libraries():
    code = "import sys; from bench.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n" \
           "print(sorted(m for m in ('sklearn', 'pandas', 'numpy', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


def break_gold(project, old, new, count=1):
    gold = project.labels / "gold.jsonl"
    gold.write_text(gold.read_text().replace(old, new, count))


def add_line(path, line):
    path.write_text(path.read_text() + line)


BREAKERS = {
    "malformed JSON line": (lambda p: add_line(p.labels / "gold.jsonl", '{"id": "000-01",\n'),
                            "gold.jsonl:92: malformed JSON"),
    "unknown label": (lambda p: break_gold(p, '"topic": "escape"', '"topic": "flight"'), "gold.jsonl:1: unknown label 'flight'"),
    "duplicate id": (lambda p: add_line(p.labels / "gold.jsonl", (p.labels / "gold.jsonl").read_text().splitlines()[0] + "\n"),
                     "gold.jsonl:92: duplicate id '000-01' (first on line 1)"),
    "stale hash": (lambda p: break_gold(p, '"sha256": "23a9', '"sha256": "00a9'), "gold.jsonl:1: stale label for 000-01"),
    "non-UTF-8 seed file": (lambda p: (p.seeds / "001_bb8456ad75e8ae4c.txt").write_bytes(b"Line one\n\ncaf\xe9\n"),
                            "001_bb8456ad75e8ae4c.txt:3: not valid UTF-8"),
    "empty seed file": (lambda p: (p.seeds / "001_bb8456ad75e8ae4c.txt").write_text("\n \n"),
                        "001_bb8456ad75e8ae4c.txt: seed file has no paragraphs"),
    "manifest row without a file": (lambda p: (p.seeds / "001_bb8456ad75e8ae4c.txt").unlink(),
                                    "manifest.csv:3: manifest names '001_bb8456ad75e8ae4c.txt', which does not exist"),
    "file without a manifest row": (lambda p: (p.seeds / "new.txt").write_text("A paragraph.\n"),
                                    "new.txt: seed file has no row in the manifest"),
    "config typo": (lambda p: (p.experiments / "majority.yaml").write_text("model:\n  name: majority\nseed: [1]\n"),
                    "majority.yaml:3: unknown key 'seed' in the config"),
}


@pytest.mark.parametrize("name", BREAKERS)
def test_bad_input_names_file_and_line_exits_non_zero_and_writes_nothing(project, capsys, name):
    breaker, message = BREAKERS[name]
    breaker(project)
    assert main(["--root", str(project.root), "run", str(project.experiments / "majority.yaml")]) == 1
    assert message in capsys.readouterr().err
    assert not (project.experiments / "results").exists(), "nothing may be written"


def test_an_unwritable_output_folder_fails_before_any_work(project, tmp_path, capsys):
    (tmp_path / "taken").write_text("a file where the folder should be")
    out = tmp_path / "taken" / "results"
    assert main(["--root", str(project.root), "run", str(project.experiments / "majority.yaml"), "--out", str(out)]) == 1
    assert f"{out / 'records'}: cannot write results here" in capsys.readouterr().err


def test_an_interrupted_run_leaves_earlier_results_intact(project, capsys, monkeypatch):
    import bench.evaluation.runner
    configs = [str(project.experiments / f"{name}.yaml") for name in ("majority", "stratified", "tfidf")]
    assert main(["--root", str(project.root), "run", *configs]) == 0
    records = project.records
    before = {p.name: p.read_bytes() for p in records.iterdir()}
    tables = {p.name: p.read_bytes() for p in (project.results / "tables").iterdir()}
    calls = []
    real = bench.evaluation.runner.run_evaluation

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 25:  # majority's 21 evaluations are done, stratified's are not
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(bench.evaluation.runner, "run_evaluation", interrupted)
    (project.experiments / "majority.yaml").write_text(
        (project.experiments / "majority.yaml").read_text() + "description: rerun\n")
    assert main(["--root", str(project.root), "run", *configs]) == 130
    after = {p.name: p.read_bytes() for p in records.iterdir()}
    assert set(after) == set(before), "no temporary file is left behind"
    assert json.loads(after["majority.json"])["description"] == "rerun", "a finished experiment is saved at once"
    assert after["stratified.json"] == before["stratified.json"] and after["tfidf.json"] == before["tfidf.json"]
    assert {p.name: p.read_bytes() for p in (project.results / "tables").iterdir()} == tables


def test_a_killed_run_leaves_only_whole_records(project):
    """SIGKILL mid-run: each record is the earlier one or a whole new one, never half a file."""
    import signal
    configs = [str(project.experiments / f"{name}.yaml") for name in ("majority", "tfidf", "stratified")]
    assert main(["--root", str(project.root), "run", *configs]) == 0
    records = project.records
    earlier = {path.name: path.read_bytes() for path in records.glob("*.json")}
    for name in ("majority", "tfidf", "stratified"):
        path = project.experiments / f"{name}.yaml"
        path.write_text(path.read_text() + "description: rerun\n")
    child = subprocess.Popen([sys.executable, "-m", "bench.cli", "--root", str(project.root), "run", *configs],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    for line in child.stderr:  # the first record has been written and the second experiment is running
        if line.startswith("finished majority"):
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL, "the run was killed before it finished"
    after = {path.name: path.read_bytes() for path in records.glob("*.json")}
    assert set(after) == set(earlier)
    assert json.loads(after["majority.json"])["description"] == "rerun"
    for name in ("tfidf.json", "stratified.json"):
        assert after[name] == earlier[name] or json.loads(after[name])["description"] == "rerun"


def test_the_multi_target_recipe_runs_and_prints_per_target_and_pooled_scores(tmp_path, capsys):
    """The README's recipe, as a new user runs it from the checkout."""
    import glob
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    configs = sorted(glob.glob(str(root / "experiments" / "examples" / "multitarget_*.yaml")))
    assert len(configs) == 4
    assert main(["--root", str(root), "run", *configs, "--out", str(tmp_path / "results")]) == 0
    printed = capsys.readouterr().out
    pooled = {line.split(" | ")[0].strip("| "): line for line in printed.splitlines() if line.startswith("| multi")
              and "given_split" not in line}
    assert "### multitarget: per target" in printed and "| wind power |" in printed
    record = json.loads((tmp_path / "results" / "records" / "multitarget_svm_per_target.json").read_text())
    result = record["results"][0]
    assert record["metric"] == "f_avg" and set(result["per_target"]) == {"wind power", "nuclear power", "coal"}
    assert result["scores"]["f_avg"]["mean"] > 0.9 > 0.5 > json.loads(
        (tmp_path / "results" / "records" / "multitarget_svm_blind.json").read_text())["results"][0]["scores"]["f_avg"]["mean"]
    assert "**" in pooled["multitarget_svm_per_target"]

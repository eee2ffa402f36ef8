import json
import os
import re
import shutil
import subprocess
import sys

import pytest

from bench.cli import ABOUT, COMMANDS, main


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
        "cross_lingual_same_story:en>nl", "cross_lingual_same_story:nl>en", "leave_one_story_out:all")}
    topic_en_nl = results[("topic", "cross_lingual:en>nl")]
    assert topic_en_nl["story_disjoint"] is True and results[("topic", "in_language:en")]["story_disjoint"] is False
    assert topic_en_nl["folds"][0]["unseen_classes"] == []  # the English gold holds every topic
    assert topic_en_nl["folds"][0]["test_docs"] == ["002", "004"], "the Dutch article of the English story is held out"
    assert topic_en_nl["n_test"] == len(topic_en_nl["predictions"]) == 18
    assert set(results[("stance_war", "leave_one_story_out:all")]["scores"]) == {"macro_f1", "macro_f1_seen", "accuracy",
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


def test_agreement_command(repo, capsys):
    assert main(["--root", str(repo.root), "agreement"]) == 0
    out = capsys.readouterr().out
    assert "| topic | a1 vs a2 | 91 |" in out


@pytest.mark.parametrize("command", [[], ["run"]])
def test_help_does_not_import_the_heavy_libraries(command):
    code = f"import sys; from bench.cli import main\ntry: main({command + ['--help']})\nexcept SystemExit: pass\n" \
           "print(sorted(m for m in ('sklearn', 'pandas', 'numpy', 'torch', 'tqdm') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")


@pytest.mark.parametrize("command", [name for name, *_ in COMMANDS])
def test_every_command_s_help_says_what_it_does_with_examples(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    printed = capsys.readouterr().out
    description, examples = ABOUT[command]
    assert " ".join(description.split()) in " ".join(printed.split()), "the description, whole"
    assert "\nexamples:\n  bench " in printed
    assert all(f"\n  {line}" in printed and command in line for line in examples.splitlines())


def test_every_command_has_a_description_and_no_description_lacks_a_command():
    assert list(ABOUT) == [name for name, *_ in COMMANDS]


def break_gold(project, old, new, count=1):
    gold = project.labels / "gold.jsonl"
    gold.write_text(gold.read_text().replace(old, new, count))


def add_line(path, line):
    path.write_text(path.read_text() + line)


BREAKERS = {
    "malformed JSON line": (lambda p: add_line(p.labels / "gold.jsonl", '{"id": "000-01",\n'),
                            "gold.jsonl:92: malformed JSON"),
    "unknown label": (lambda p: break_gold(p, '"topic": "other"', '"topic": "flight"'), "gold.jsonl:1: unknown label 'flight'"),
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
    "subfolder in seeds": (lambda p: (p.seeds / "drafts").mkdir(),
                           "seeds/drafts: the seeds folder holds only manifest.csv and the .txt files it names"),
    "stray file in seeds": (lambda p: (p.seeds / "NOTES.md").write_text("to do\n"),
                            "seeds/NOTES.md: the seeds folder holds only manifest.csv"),
    "two manifest rows, one file": (
        lambda p: add_line(p.seeds / "manifest.csv", "005,001_bb8456ad75e8ae4c.txt,en,,other,copy,,\n"),
        "manifest.csv:7: file '001_bb8456ad75e8ae4c.txt' already named on line 3"),
    "manifest file outside seeds": (
        lambda p: add_line(p.seeds / "manifest.csv", "005,../labels/x.txt,en,,other,elsewhere,,\n"),
        "manifest.csv:7: file '../labels/x.txt' must be letters, digits"),
}


@pytest.mark.parametrize("name", BREAKERS)
def test_bad_input_names_file_and_line_exits_non_zero_and_writes_nothing(project, capsys, name):
    breaker, message = BREAKERS[name]
    breaker(project)
    assert main(["--root", str(project.root), "run", str(project.experiments / "majority.yaml")]) == 1
    assert message in capsys.readouterr().err
    assert not (project.experiments / "results").exists(), "nothing may be written"


@pytest.mark.parametrize("name", ["subfolder in seeds", "stray file in seeds", "two manifest rows, one file"])
def test_validate_enforces_what_the_seeds_folder_may_hold(project, capsys, name):
    breaker, message = BREAKERS[name]
    breaker(project)
    assert main(["--root", str(project.root), "validate"]) == 1
    assert message in capsys.readouterr().err


@pytest.mark.parametrize("change", ["non-breaking-space paragraph", "CRLF", "BOM in a seed", "BOM in the manifest"])
def test_odd_white_space_line_endings_and_byte_order_marks_are_accepted(project, capsys, change):
    """The paragraphs, their ids and hashes stay as they were, so every gold label stays valid."""
    seed, manifest = project.seeds / "003_d2b4167f36a34aa6.txt", project.seeds / "manifest.csv"
    before = [(p.id, p.sha256) for p in project.corpus().paragraphs]
    if change == "non-breaking-space paragraph":
        seed.write_text(seed.read_text().replace("\n\n", "\n\n\xa0\xa0\u2003\n\n", 1))
    elif change == "CRLF":
        seed.write_bytes(seed.read_bytes().replace(b"\n", b"\r\n"))
    else:
        path = seed if change == "BOM in a seed" else manifest
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert main(["--root", str(project.root), "validate"]) == 0, capsys.readouterr().err
    assert [(p.id, p.sha256) for p in project.corpus().paragraphs] == before


def test_an_unwritable_output_folder_fails_before_any_work(project, tmp_path, capsys):
    (tmp_path / "taken").write_text("a file where the folder should be")
    out = tmp_path / "taken" / "results"
    assert main(["--root", str(project.root), "run", str(project.experiments / "majority.yaml"), "--out", str(out)]) == 1
    assert f"{tmp_path / 'taken'}: cannot write {out / 'records' / 'majority.json'}: {tmp_path / 'taken'} is a file" in \
        capsys.readouterr().err


def redescribe(config):
    """A change to a config that changes its record but none of its numbers."""
    config.write_text(re.sub(r"^description: .*$", "description: rerun", config.read_text(), flags=re.MULTILINE))


def test_an_interrupted_run_leaves_earlier_results_intact(ran, capsys, monkeypatch):
    import bench.evaluation.runner
    configs = [str(ran.experiments / f"{name}.yaml") for name in ("majority", "stratified", "tfidf")]
    records = ran.records
    before = {p.name: p.read_bytes() for p in records.iterdir()}
    tables = {p.name: p.read_bytes() for p in (ran.results / "tables").iterdir()}
    calls = []
    real = bench.evaluation.runner.run_fold

    def interrupted(config, *args, **kwargs):
        if config.name == "stratified":
            calls.append(1)
            if len(calls) == 5:  # majority's folds are done, some of stratified's too
                raise KeyboardInterrupt
        return real(config, *args, **kwargs)

    monkeypatch.setattr(bench.evaluation.runner, "run_fold", interrupted)
    redescribe(ran.experiments / "majority.yaml")
    assert main(["--root", str(ran.root), "run", *configs]) == 130
    after = {p.name: p.read_bytes() for p in records.iterdir()}
    assert set(after) == set(before), "no temporary file is left behind"
    assert json.loads(after["majority.json"])["description"] == "rerun", "a finished experiment is saved at once"
    assert after["stratified.json"] == before["stratified.json"] and after["tfidf.json"] == before["tfidf.json"]
    assert {p.name: p.read_bytes() for p in (ran.results / "tables").iterdir()} == tables


def test_a_killed_run_leaves_only_whole_records(ran):
    """SIGKILL mid-run: each record is the earlier one or a whole new one, never half a file."""
    import signal
    configs = [str(ran.experiments / f"{name}.yaml") for name in ("majority", "tfidf", "stratified")]
    records = ran.records
    earlier = {path.name: path.read_bytes() for path in records.glob("*.json")}
    for name in ("majority", "tfidf", "stratified"):
        redescribe(ran.experiments / f"{name}.yaml")
    child = subprocess.Popen([sys.executable, "-m", "bench.cli", "--root", str(ran.root), "run", *configs],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    assert child.stderr is not None
    for line in child.stderr:  # the first record has been written and the second experiment is running
        if "finished majority" in line:
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
    """The recipe of docs/extending.md, as a new user runs it from the checkout."""
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


# Bad input, round two: each case ends in `error: FILE:LINE: message`, exit 1, and no file written or changed.

@pytest.mark.parametrize("name", ["../performance", "../../../../elsewhere/x", ".hidden", "a b", "x/y", ""])
def test_a_config_name_must_be_a_plain_identifier(ran, capsys, tmp_path, name, refused):
    config = ran.experiments / "zz_named.yaml"
    config.write_text(f"name: '{name}'\nmodel:\n  name: majority\n")
    refused(ran, ["run"], f"zz_named.yaml:1: the experiment's name {name!r} must be letters, digits")
    refused(ran, ["run", str(config), "--out", str(tmp_path / "o")], "must be letters, digits", tmp_path)


def test_every_value_is_checked_before_any_record_is_rewritten(ran, capsys, refused):
    """A bad value fails before the first experiment: the records of the earlier configs (alphabetically first)
    stay as they were. tests/evaluation/test_config.py checks every value and model parameter this way."""
    config = ran.experiments / "zz_bad.yaml"
    config.write_text("model: {name: majority}\nbootstrap: {confidence: 95}\n")
    refused(ran, ["run"], f"error: {config}:2: 'bootstrap.confidence' must be a number between 0 and 1")


def test_two_configs_with_the_same_name_are_refused_naming_both_files(ran, capsys, refused):
    (ran.experiments / "zz_copy.yaml").write_text("name: majority\nmodel:\n  name: tfidf\n")
    refused(ran, ["run"], f"zz_copy.yaml: experiment name 'majority' is also the name of "
                                  f"{ran.experiments / 'majority.yaml'}")


def test_every_destination_is_checked_before_the_first_write(ran, capsys, tmp_path, refused):
    out = tmp_path / "out"
    out.mkdir()
    (out / "tables").write_text("a file where a folder must be")
    config = str(ran.experiments / "majority.yaml")
    refused(ran, ["run", config, "--out", str(out)], f"{out / 'tables'} is a file, not a folder", tmp_path)
    shutil.rmtree(ran.results / "figures")
    (ran.results / "figures").write_text("a file where a folder must be")
    refused(ran, ["run", config], f"{ran.results / 'figures'} is a file, not a folder")
    (ran.results / "figures").unlink()
    shutil.rmtree(ran.results / "tables")
    (ran.results / "tables" / "results.md").mkdir(parents=True)
    refused(ran, ["run", config], f"{ran.results / 'tables' / 'results.md'}: is a folder, but a file must be")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into a read-only folder")
def test_a_read_only_results_folder_is_refused_before_the_first_write(ran, capsys, refused):
    tables = ran.results / "tables"
    tables.chmod(0o555)
    try:
        refused(ran, ["run", str(ran.experiments / "majority.yaml")], f"{tables}: cannot write here")
    finally:
        tables.chmod(0o755)


def test_a_folder_even_root_cannot_write_in_is_refused_before_the_first_write(ran, capsys, tmp_path, refused):
    import tempfile
    try:
        with tempfile.TemporaryFile(dir="/sys"):
            pytest.skip("/sys is writable here")
    except OSError:
        pass
    refused(ran, ["run", str(ran.experiments / "majority.yaml"), "--out", "/sys/bench-results"],
            "/sys: cannot write here")


def test_run_check_refuses_a_config_outside_the_checkout(ran, capsys, tmp_path, refused):
    outside = tmp_path / "mine.yaml"
    outside.write_text("model:\n  name: majority\n")
    refused(ran, ["run", "--check", str(outside)], f"{outside}: `run --check` reruns the checkout's own configs")


def test_run_check_without_records_says_so(project, capsys, refused):
    refused(project, ["run", "--check"], "no committed records to check")


def test_run_check_removes_the_scratch_copies_of_killed_checks(monkeypatch, tmp_path):
    import tempfile

    import bench.workflows.experiments as experiments
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / f"bench-check-{dead.pid}-x1"
    live = tmp_path / f"bench-check-{os.getpid()}-x2"
    for folder in (abandoned, live):
        (folder / "seeds").mkdir(parents=True)
    experiments.remove_abandoned_scratch()
    assert not abandoned.exists() and live.exists()


def test_a_terminated_check_cleans_up_its_scratch_copy(ran, tmp_path):
    """SIGTERM (as `timeout` sends) is handled as Ctrl-C is: the scratch copy goes."""
    import signal
    environment = {**os.environ, "TMPDIR": str(tmp_path)}
    child = subprocess.Popen([sys.executable, "-m", "bench.cli", "--root", str(ran.root), "run", "--check",
                              str(ran.experiments / "majority.yaml"), str(ran.experiments / "stratified.yaml")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=environment)
    assert child.stderr is not None
    for line in child.stderr:
        if "finished majority" in line:
            break
    assert list(tmp_path.glob("bench-check-*")), "the check is running in its scratch copy"
    child.send_signal(signal.SIGTERM)
    rest = child.stderr.read()
    assert child.wait() == 130 and "interrupted" in rest and "Traceback" not in rest
    assert not list(tmp_path.glob("bench-check-*"))


def test_a_reader_that_stops_early_gets_no_traceback(repo):
    """`bench agreement | head -1`: the reader has gone before bench writes everything."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has left
    try:
        writer = subprocess.run([sys.executable, "-m", "bench.cli", "--root", str(repo.root), "agreement"],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, check=False)
    finally:
        os.close(write_end)
    assert "Traceback" not in writer.stderr and "BrokenPipeError" not in writer.stderr
    assert writer.returncode == 1


def test_validate_checks_the_alignments(project, capsys):
    links = project.labels / "alignment" / "same_language" / "links.jsonl"
    add_line(links, '{"left": "003-05", "right": "001-07", "relation": "partial"}\n')
    assert main(["--root", str(project.root), "validate"]) == 1
    assert f"{links}:41: 'left' (003-05) must come from a lower document number" in capsys.readouterr().err


def test_the_multilingual_recipe_trains_on_two_languages_and_scores_each_test_language(tmp_path, capsys):
    """The cross-lingual recipe of docs/extending.md from the checkout: English and Dutch train rows train, the test rows of
    German (which no training row is in), English and Dutch are scored, each language apart."""
    import csv
    import glob
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    configs = sorted(glob.glob(str(root / "experiments" / "examples" / "multilingual_*.yaml")))
    assert len(configs) == 2
    out = tmp_path / "results"
    assert main(["--root", str(root), "run", *configs, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    with open(root / "experiments" / "examples" / "multilingual.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    record = json.loads((out / "records" / "multilingual_tfidf.json").read_text())
    [result] = record["results"]
    [fold] = result["folds"]
    trained = {r["id"] for r in rows if r["language"] in ("en", "nl") and r["split"] == "train"}
    assert result["evaluation"] == "given_split:en+nl>de+en+nl" and set(fold["train_docs"]) == trained
    assert {p["id"] for p in result["predictions"]} == {r["id"] for r in rows if r["split"] == "test"}
    by_language = result["reported_by"]["language"]
    assert {language: subset["n_test"] for language, subset in by_language.items()} == {
        language: sum(1 for r in rows if r["language"] == language and r["split"] == "test")
        for language in ("en", "nl", "de")}
    assert by_language["de"]["scores"]["macro_f1"]["mean"] < by_language["en"]["scores"]["macro_f1"]["mean"], \
        "German shares only some words with the training languages"
    assert "### multilingual: by reported column" in printed
    assert "| multilingual_tfidf | given_split:en+nl>de+en+nl | language | de |" in printed
    assert (out / "tables" / "results.md").is_file() and (out / "tables" / "results.csv").is_file()


def test_the_multilingual_example_is_what_its_generator_makes():
    import csv
    import io
    from pathlib import Path

    from bench.data.synthetic import MULTILINGUAL_COLUMNS, multilingual_rows
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=MULTILINGUAL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(multilingual_rows(60))
    path = Path(__file__).resolve().parent.parent / "experiments" / "examples" / "multilingual.csv"
    assert path.read_text(encoding="utf-8") == stream.getvalue()

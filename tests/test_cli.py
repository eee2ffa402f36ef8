import json
import subprocess
import sys

from bench.cli import main
from bench.experiments import RECORDS
from bench.reports import TABLES


def test_end_to_end_run_on_the_seed_corpus(project, capsys):
    assert main(["--root", str(project.root), "run"]) == 0
    printed = capsys.readouterr().out
    assert "### topic" in printed and "tfidf" in printed
    tables = project.experiments / TABLES
    first = {p.name: p.read_bytes() for p in tables.iterdir()}
    assert set(first) == {"results.md", "results.csv", "results.tex"}
    readme = (project.root / "README.md").read_text()
    assert "| tfidf |" in readme and "Annotator agreement" in readme

    record = json.loads((project.experiments / RECORDS / "tfidf.json").read_text())
    provenance = record["provenance"]
    assert {"commit", "versions", "data_sha256", "config", "seeds"} <= set(provenance)
    assert provenance["versions"]["scikit-learn"]
    results = {(r["task"], r["evaluation"]): r for r in record["results"]}
    assert set(results) == {(task, evaluation) for task in ("topic", "stance_war", "stance_defector") for evaluation in (
        "in_language:en", "in_language:nl", "cross_lingual:en>nl", "cross_lingual:nl>en", "multilingual:all")}
    topic_en_nl = results[("topic", "cross_lingual:en>nl")]
    assert topic_en_nl["folds"][0]["unseen_classes"] == ["asylum_policy"]
    assert topic_en_nl["n_test"] == len(topic_en_nl["predictions"]) == 26
    assert set(results[("stance_war", "multilingual:all")]["scores"]) == {"macro_f1", "accuracy", "f_avg"}
    stratified = json.loads((project.experiments / RECORDS / "stratified.json").read_text())
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


def test_run_refuses_invalid_labels_and_bad_configs(project, capsys):
    (project.experiments / "typo.yaml").write_text("model:\n  name: tfidf\nsettings: [in_language]\nkind: [body]\n")
    assert main(["--root", str(project.root), "run"]) == 1
    assert "typo.yaml:4: unknown key 'kind'" in capsys.readouterr().err
    assert not (project.experiments / RECORDS).exists(), "no experiment may run before every config is checked"


def test_agreement_command(repo, capsys):
    assert main(["--root", str(repo.root), "agreement"]) == 0
    out = capsys.readouterr().out
    assert "| topic | a1 vs a2 | 91 |" in out


def test_help_does_not_import_the_heavy_libraries():
    code = "import sys; from bench.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\n" \
           "print(sorted(m for m in ('sklearn', 'pandas', 'numpy', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("[]")

import shutil

import pytest

from bench.cli import main


@pytest.fixture
def with_results(project, repo):
    shutil.copytree(repo.experiments / "results", project.experiments / "results")
    return project


def outputs(project):
    results = project.experiments / "results"
    return {p.relative_to(results): p.read_bytes() for p in sorted(results.rglob("*"))
            if p.is_file() and "records" not in p.parts}


def test_report_is_regenerated_byte_for_byte(with_results):
    assert main(["--root", str(with_results.root), "report"]) == 0
    first = outputs(with_results)
    assert main(["--root", str(with_results.root), "report"]) == 0
    assert outputs(with_results) == first


def test_every_figure_is_written_and_not_empty(with_results):
    figures = with_results.experiments / "results" / "figures"
    shutil.rmtree(figures)
    assert main(["--root", str(with_results.root), "report"]) == 0
    names = {"label_distribution", "confusion_matrices", "transfer_heatmap", "learning_curve", "training_loss"}
    assert {p.name for p in figures.iterdir()} == {f"{n}.{e}" for n in names for e in ("png", "pdf")}
    for path in figures.iterdir():
        head = path.read_bytes()[:8]
        assert path.stat().st_size > 5000
        assert head.startswith(b"\x89PNG") or head.startswith(b"%PDF")


def test_results_page_has_every_section(with_results):
    page = (with_results.experiments / "results" / "README.md").read_text()
    assert "## Main table" in page and "**" in page
    assert "## Annotators as a human reference" in page and "## Per-class F1" in page
    assert "## Model selection on inner folds" in page and "| e5_finetuned | stance_defector |" in page
    for name in ("label_distribution", "confusion_matrices", "transfer_heatmap", "learning_curve", "training_loss"):
        assert f"![{name}](figures/{name}.png)" in page
    errors = (with_results.experiments / "results" / "errors.md").read_text()
    assert errors.count("## ") == 3 and "| paragraph | gold | predicted | text |" in errors


def test_the_gate_fails_with_a_diff_when_a_table_differs(with_results, capsys):
    root = ["--root", str(with_results.root)]
    tfidf = str(with_results.experiments / "tfidf.yaml")
    assert main([*root, "run", "--check", tfidf]) == 0
    table = with_results.experiments / "results" / "tables" / "results.csv"
    table.write_text(table.read_text().replace("tfidf,tfidf,topic,in_language:en", "tfidf,tfidf,topic,in_language:EN"))
    capsys.readouterr()
    assert main([*root, "run", "--check", tfidf]) == 1
    captured = capsys.readouterr()
    assert "-tfidf,tfidf,topic,in_language:EN" in captured.out and "+tfidf,tfidf,topic,in_language:en" in captured.out
    assert "the rerun differs from the committed results" in captured.err

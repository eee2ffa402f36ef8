import shutil

import pytest

import bench.publishing.outputs as outputs_module
from bench.cli import main
from bench.workflows.project import Project


@pytest.fixture
def with_results(project, repo):
    shutil.copytree(repo.experiments / "results", project.experiments / "results")
    return project


@pytest.fixture(scope="module")
def reported(tmp_path_factory, copy_checkout, repo):
    """A checkout with the committed results but no figures, after one `bench report`: rendering every figure is
    the slow part of a report, so the tests below share this one."""
    project = copy_checkout(tmp_path_factory.mktemp("reported"))
    shutil.copytree(repo.experiments / "results", project.experiments / "results")
    shutil.rmtree(project.experiments / "results" / "figures")
    assert main(["--root", str(project.root), "report"]) == 0
    return project


def outputs(project):
    results = project.experiments / "results"
    return {p.relative_to(results): p.read_bytes() for p in sorted(results.rglob("*"))
            if p.is_file() and "records" not in p.parts}


def test_report_is_regenerated_byte_for_byte(reported, tmp_path):
    again = Project(shutil.copytree(reported.root, tmp_path / "checkout"))
    assert main(["--root", str(again.root), "report"]) == 0
    assert outputs(again) == outputs(reported)


def test_every_figure_is_written_and_not_empty(reported):
    figures = reported.experiments / "results" / "figures"
    names = {"label_distribution", "forest", "confusion_topic", "confusion_stance_war", "confusion_stance_defector",
             "transfer_heatmap", "learning_curve", "training_loss"}
    assert {p.name for p in figures.iterdir()} == {f"{n}.{e}" for n in names for e in ("png", "pdf")}
    for path in figures.iterdir():
        head = path.read_bytes()[:8]
        assert path.stat().st_size > 5000
        assert head.startswith(b"\x89PNG") or head.startswith(b"%PDF")


def test_results_page_has_every_section(with_results):
    page = (with_results.experiments / "results" / "README.md").read_text()
    assert "## Main table" in page and "**" in page
    assert "## Tests against chance, over paragraphs and over documents" in page
    assert "## What this test set can detect" in page and "pairs differ by less than the detectable difference" in page
    assert "## Annotators as a human reference" in page and "## Per-class F1" in page
    assert "## Model selection on inner folds" in page and "| e5_finetuned | stance_defector |" in page
    for name in ("label_distribution", "forest", "confusion_topic", "transfer_heatmap", "learning_curve",
                 "training_loss"):
        assert f"![{name}](figures/{name}.png)" in page
    errors = (with_results.experiments / "results" / "errors.md").read_text()
    assert errors.count("## ") == 3 and "| paragraph | gold | predicted | text |" in errors


def test_the_readme_block_is_the_legend_and_the_story_disjoint_tables(reported):
    readme = (reported.root / "README.md").read_text()
    block = readme[readme.index("<!-- results:start -->"):readme.index("<!-- results:end -->")]
    assert "**Reading these tables.**" in block and "| detectable difference (α 0.05, power 0.8) |" in block
    assert "### stance_war: F_avg over the poles present in the test gold" in block
    tables = block[block.index("### topic"):block.index("**Annotator agreement**")]
    assert "transfer" not in tables and "(same story)" not in tables and "§" not in tables
    assert "*corpus-informed (given content of the test corpus; not ranked)*" in tables


def test_the_readme_summary_is_one_line_per_task_on_the_marks_alone(reported):
    readme = (reported.root / "README.md").read_text()
    summary = readme[readme.index("<!-- summary:start -->"):readme.index("<!-- summary:end -->")]
    lines = [line for line in summary.splitlines() if line.startswith("- **")]
    assert [line.split("**")[1] for line in lines] == ["topic", "stance_war", "stance_defector"]
    assert lines[0].startswith("- **topic** (macro-F1; smallest detectable difference ")
    assert "e5_codebook_v1_zero_shot" not in summary, "the corpus-informed model is never tested"


def test_the_committed_readme_is_what_a_report_writes_from_the_committed_records(reported, repo):
    assert (reported.root / "README.md").read_text() == repo.readme.read_text(), "run `bench report` and commit"


def test_the_gate_fails_with_a_diff_when_a_table_differs(with_results, capsys):
    root = ["--root", str(with_results.root)]
    tfidf = str(with_results.experiments / "tfidf.yaml")
    assert main([*root, "run", "--check", tfidf]) == 0
    table = with_results.experiments / "results" / "tables" / "results.csv"
    table.write_text(table.read_text().replace("tfidf,tfidf,topic,in_language:en", "tfidf,tfidf,topic,in_language:EN"))
    capsys.readouterr()
    # Any rerun republishes every table from the records; the cheapest experiment suffices to show the diff.
    assert main([*root, "run", "--check", str(with_results.experiments / "majority.yaml")]) == 1
    captured = capsys.readouterr()
    assert "-tfidf,tfidf,topic,in_language:EN" in captured.out and "+tfidf,tfidf,topic,in_language:en" in captured.out
    assert "the rerun differs from the committed results" in captured.err


def test_a_trial_pass_stays_out_of_the_agreement_and_the_human_reference_and_is_named(project, repo, monkeypatch):
    shutil.copytree(repo.records, project.records)
    a3 = (project.labels / "annotations" / "a3.jsonl").read_text().splitlines(keepends=True)
    (project.labels / "annotations" / "a5.jsonl").write_text("".join(a3[:2]))  # a trial of two body paragraphs
    page = next(output for output in outputs_module.OUTPUTS if output.path == "README.md")
    monkeypatch.setattr(outputs_module, "OUTPUTS", (page,))  # the results page alone: figures take long
    assert main(["--root", str(project.root), "report"]) == 0
    text = (project.results / "README.md").read_text()
    agreement = text[text.index("## The labels"):text.index("## The parallel story")]
    human = text[text.index("## Annotators as a human reference"):text.index("## Per-class F1")]
    assert "| v2 | topic | a3 vs a4 | 91 |" in agreement and "a5 |" not in agreement
    assert "Left out: a5 (v2: 2 of 70 body paragraphs). A pass that labels fewer than 50%" in agreement
    assert "a3 vs a4" in human and "a5 |" not in human
    assert "Left out here too, as from the agreement above: a5." in human
    assert "Left out: a5 (v2: 2 of 70 body paragraphs)." in (project.root / "README.md").read_text()

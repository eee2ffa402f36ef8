from bench.annotation.agreement import RoundAgreement
from bench.publishing.readme import results_block, update_readme

AGREEMENT = RoundAgreement({"topic": {"krippendorff_alpha": 0.5, "pairs": [
    {"annotators": ["a1", "a2"], "units": 10, "raw_agreement": 0.8, "cohen_kappa": float("nan"), "confusion": []}]}},
    body=10)


def test_only_the_named_block_is_replaced(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- results:start -->\nold\n<!-- results:end -->\n<!-- other:start -->\nkept\n"
                      "<!-- other:end -->\n", encoding="utf-8")
    assert update_readme(readme, "results", "new\n")
    assert readme.read_text(encoding="utf-8") == ("intro\n<!-- results:start -->\nnew\n<!-- results:end -->\n"
                                                  "<!-- other:start -->\nkept\n<!-- other:end -->\n")


def test_a_readme_without_the_markers_is_left_alone(tmp_path):
    readme = tmp_path / "README.md"
    assert not update_readme(readme, "results", "new\n"), "no README"
    readme.write_text("<!-- results:end -->\n<!-- results:start -->\n", encoding="utf-8")
    assert not update_readme(readme, "results", "new\n")
    assert readme.read_text(encoding="utf-8") == "<!-- results:end -->\n<!-- results:start -->\n"


def test_the_results_block_adds_the_agreement_when_there_is_one():
    assert results_block("TABLES\n", {}) == "TABLES\n"
    block = results_block("TABLES\n", {"v2": AGREEMENT, "v1": AGREEMENT})
    assert block.startswith("TABLES\n\n**Annotator agreement**")
    assert "| v2 | topic | a1 vs a2 | 10 | 0.800 | n/a | 0.500 |" in block
    assert block.index("| v2 | topic") < block.index("| v1 | topic")

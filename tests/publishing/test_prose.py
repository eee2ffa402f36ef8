import jinja2
import pytest

from bench.publishing.headline import HeadlineTable, headline_tables
from bench.publishing.prose import (
    headline_block,
    headline_legend,
    headline_markdown,
    headline_summary,
    render,
    series,
)
from bench.publishing.records import HEADLINE, Results
from bench.publishing.significance import analyse

GOLD = ["a", "b", "c"] * 4


def test_the_legend_names_the_metric_the_test_and_the_detectable_difference(build):
    docs = [f"d{i % 4}" for i in range(len(GOLD))]
    records = Results([build.record(name, [build.result(HEADLINE, GOLD, predictions, docs=docs)], marks=marks)
                       for name, predictions, marks in (("majority", [["a"] * 12], []), ("tfidf", [GOLD], []),
                                                        ("codebook", [GOLD], ["corpus-informed"]))])
    legend = headline_legend(records, analyse(records))
    assert "`topic`, macro-F1 over the classes in the test gold." in legend
    assert "a second one with the same rows and columns in macro-F1 over the classes seen in training" in legend
    assert "**†** significantly above majority, **‡** significantly above uniform" in legend
    assert "two-sided paired approximate-randomisation permutation test" in legend and "200 resamples" in legend
    assert "Holm-corrected over all of the column's comparisons, α = 0.05" in legend
    assert "2.80 × SE" in legend and f"3 test documents or more ({HEADLINE})" in legend
    assert "corpus-informed (given content of the test corpus; not ranked)" in legend
    assert "the chance baselines majority among them" in legend


def test_a_legend_without_tests_or_documents_says_so(build):
    records = Results([build.record("tfidf", [build.result(HEADLINE, GOLD, [GOLD], docs=["d0", "d1"] * 6)])])
    legend = headline_legend(records, analyse(records))
    assert "†" not in legend and "corpus-informed" not in legend
    assert "No column has the 3 test documents a document-level figure needs." in legend


def test_names_are_listed_as_a_sentence_lists_them():
    assert [series(names) for names in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a and b", "a, b and c"]


def test_a_template_name_missing_from_the_context_is_an_error():
    with pytest.raises(jinja2.UndefinedError):
        render("power.md", tasks=[], alpha=0.05)


def test_headline_markdown_sets_bold_and_opens_each_row_group():
    table = HeadlineTable("topic", "topic: macro-F1", ["model", "e"], [["m", "0.5"], ["x", "0.9"], ["mde", "0.1"]],
                          frozenset({(0, 1)}), {1: "not ranked", 2: "power"})
    assert headline_markdown([table]) == ("### topic: macro-F1\n\n| model | e |\n|---|---|\n| m | **0.5** |\n"
                                          "| *not ranked* |  |\n| x | 0.9 |\n| *power* |  |\n| mde | 0.1 |\n")


def test_the_headline_block_is_the_legend_then_the_tables(build):
    records = Results([build.record("majority", [build.result(HEADLINE, GOLD, [["a"] * 12])])])
    columns = analyse(records)
    tables = headline_tables(records, columns)
    assert headline_block(records, columns, tables) == headline_legend(records, columns) + "\n" + headline_markdown(
        tables)
    assert "### topic: macro-F1 over the classes in the test gold" in headline_markdown(tables)


def test_records_without_a_story_disjoint_evaluation_have_no_headline_and_say_so(build):
    records = Results([build.record("majority", [build.result("cross_lingual_same_story:en>nl", GOLD, [["a"] * 12],
                                                              story_disjoint=False)])])
    columns = analyse(records)
    assert columns == {}
    assert headline_block(records, columns, headline_tables(records, columns)).startswith(
        "No record holds a story-disjoint evaluation, so there is no headline table")


def test_the_summary_names_only_the_models_the_marks_put_above_chance(build):
    gold = ["a", "b", "c"] * 16
    docs = [f"d{i % 4}" for i in range(len(gold))]
    guessed, constant = gold[:24] + ["c", "a", "b"] * 8, ["a"] * 48  # uniform is right on half the paragraphs

    def record(name, topic, other, marks=()):
        return build.record(name, [build.result(HEADLINE, gold, [topic], docs=docs),
                                   build.result(HEADLINE, gold, [other], task="other", docs=docs)], marks=marks)
    records = Results([record("majority", constant, constant), record("uniform", guessed, constant),
                       record("tfidf", gold, constant), record("copy", guessed, constant),
                       record("codebook", gold, gold, ["corpus-informed"])])
    columns = analyse(records)
    topic = columns[("topic", HEADLINE, "macro_f1")]
    assert topic.marks("tfidf") == "†‡" and topic.marks("copy") == "†", "copy equals uniform, above majority only"
    summary = headline_summary(records, columns)
    assert summary.splitlines() == [
        f"- **topic** (macro-F1; smallest detectable difference {topic.mde.median:.3f} by column): significantly "
        f"above both majority and uniform (†‡) in at least one column: tfidf ({HEADLINE}); above one of them alone: "
        "copy.",
        "- **other** (macro-F1; smallest detectable difference 0.000 by column): no model is significantly above "
        "majority or uniform in any column.",
        "",
        "The tests and the detectable differences resample test paragraphs, which are correlated within an "
        "article, so both are optimistic; no column has enough test documents for a test that swaps whole "
        "documents to reach α = 0.05."]
    assert "codebook" not in summary, "a corpus-informed model is never tested, so never summarised"


def test_a_summary_without_a_story_disjoint_evaluation_says_so(build):
    records = Results([build.record("majority", [build.result("cross_lingual_same_story:en>nl", GOLD, [["a"] * 12],
                                                              story_disjoint=False)])])
    assert headline_summary(records, analyse(records)) == ("No record holds a story-disjoint evaluation, so there "
                                                           "is no headline to summarise.\n")

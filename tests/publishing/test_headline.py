from bench.publishing.headline import CORPUS_INFORMED_GROUP, MDE_ROW, POWER_GROUP, headline_tables
from bench.publishing.records import HEADLINE, Results
from bench.publishing.significance import analyse
from bench.publishing.tables import cell

GOLD = ["a", "b", "c"] * 20
PERFECT = [GOLD]
CONSTANT = [["a"] * len(GOLD)]
NEARLY = [["b" if i == 0 else g for i, g in enumerate(GOLD)]]


def table_of(records: Results, metric: str = "macro_f1"):
    return next(t for t in headline_tables(records, analyse(records)) if t.metric == metric)


def test_the_headline_has_no_transfer_or_same_story_column(build):
    evaluations = ("in_language:nl", "cross_lingual:en>nl", HEADLINE)
    results = [build.result(e, GOLD, PERFECT) for e in evaluations]
    results.append(build.result("in_language:en", GOLD, PERFECT, story_disjoint=False))
    results.append(build.result("cross_lingual:nl>en", GOLD, NEARLY))
    records = Results([build.record("majority", [build.result(e, GOLD, CONSTANT) for e in evaluations]),
                       build.record("tfidf", results)])
    table = table_of(records)
    assert table.header == ["model", "in_language:nl", "cross_lingual:en>nl", "cross_lingual:nl>en", HEADLINE]
    assert not any("transfer" in h or "same story" in h for h in table.header)
    assert not any("§" in text for row in table.rows for text in row)


def test_corpus_informed_rows_are_never_bold_marked_or_counted(build):
    records = Results([build.record("majority", [build.result(HEADLINE, GOLD, CONSTANT)]),
                       build.record("codebook", [build.result(HEADLINE, GOLD, PERFECT)], marks=["corpus-informed"]),
                       build.record("nearly", [build.result(HEADLINE, GOLD, NEARLY)])])
    columns = analyse(records)
    column = columns[("topic", HEADLINE, "macro_f1")]
    assert set(column.scores) == {"majority", "nearly"} and len(column.pairs) == 1
    assert {t.model for t in column.tests} == {"nearly"}
    table = table_of(records)
    names = [row[0] for row in table.rows]
    informed = names.index("codebook [corpus-informed]")
    assert names[:informed] == ["majority", "nearly"], "the ranked rows come first"
    assert table.group_starts[informed] == CORPUS_INFORMED_GROUP
    assert table.rows[informed][1] == cell(records.headline("codebook", "topic").scores["macro_f1"]), "no mark"
    assert (informed, 1) not in table.bold and (names.index("nearly"), 1) in table.bold, \
        "the perfect corpus-informed row is not bold, the best ranked row is"


def test_the_last_row_is_each_columns_detectable_difference(build):
    docs = [f"d{i % 4}" for i in range(len(GOLD))]
    records = Results([build.record("majority", [build.result(HEADLINE, GOLD, CONSTANT, docs=docs)]),
                       build.record("nearly", [build.result(HEADLINE, GOLD, NEARLY, docs=docs)])])
    column = analyse(records)[("topic", HEADLINE, "macro_f1")]
    table = table_of(records)
    assert table.group_starts[len(table.rows) - 1] == POWER_GROUP
    assert table.rows[-1] == [MDE_ROW, f"{column.mde.median:.3f} (documents {column.document_mde.median:.3f})"]
    assert MDE_ROW == "detectable difference (α 0.05, power 0.8)"


def test_marks_follow_the_cell(build):
    records = Results([build.record("majority", [build.result(HEADLINE, GOLD, CONSTANT)], model="majority"),
                       build.record("perfect", [build.result(HEADLINE, GOLD, PERFECT)])])
    table = table_of(records)
    row = next(r for r in table.rows if r[0] == "perfect")
    assert row[1] == cell(records.headline("perfect", "topic").scores["macro_f1"]) + " †"
    assert table.title == "topic: macro-F1 over the classes in the test gold"
    assert [t.metric for t in headline_tables(records, analyse(records))] == ["macro_f1", "macro_f1_seen"]

import hashlib

import pytest

datasets = pytest.importorskip("datasets")

from bench.publishing import rebuild_texts  # noqa: E402


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def articles(tmp_path, monkeypatch):
    """Two articles of one's own, as FILES names them, each with a metadata prefix and two paragraphs."""
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "a.txt").write_text("date 2023-06\nFirst paragraph,\nover two lines.\n\n\nSecond one.\n", encoding="utf-8")
    (folder / "b.txt").write_text("\ufeffOnly\r\nparagraph.\r\n", encoding="utf-8")
    monkeypatch.setattr(rebuild_texts, "FILES", {"000": "a.txt", "001": "b.txt"})
    return folder


def write_export(folder, texts):
    """A text-free export of the paragraphs given (id -> text): empty texts, with each text's hash."""
    rows = {"id": list(texts), "sha256": [sha256(t) for t in texts.values()], "text": [None] * len(texts)}
    path = folder / "paragraphs" / "en-00000-of-00001.parquet"
    path.parent.mkdir(parents=True)
    datasets.Dataset.from_dict(rows, features=datasets.Features(
        {"id": datasets.Value("string"), "sha256": datasets.Value("string"), "text": datasets.Value("string")})
    ).to_parquet(str(path))
    return path


EXPECTED = {"000-01": "First paragraph,\nover two lines.", "000-02": "Second one.", "001-01": "Only\nparagraph."}


def test_paragraphs_are_split_as_the_benchmark_splits_its_seed_files(articles):
    assert rebuild_texts.paragraph_texts(articles) == EXPECTED


def test_the_seed_files_split_into_the_corpus_paragraphs(repo, monkeypatch):
    corpus = repo.corpus()
    monkeypatch.setattr(rebuild_texts, "FILES", {d.doc: d.file for d in corpus.documents})
    assert rebuild_texts.paragraph_texts(repo.seeds) == {p.id: p.text for p in corpus.paragraphs}


def test_main_fills_in_every_text_once_all_hashes_match(articles, tmp_path, capsys):
    path = write_export(tmp_path / "export", EXPECTED)
    rebuild_texts.main(tmp_path / "export", articles)
    filled = datasets.Dataset.from_parquet(str(path))
    assert dict(zip(filled["id"], filled["text"])) == EXPECTED
    assert f"{path}: 3 texts filled in" in capsys.readouterr().out


def test_a_missing_article_stops_naming_where_each_was_published(articles, tmp_path, monkeypatch):
    path = write_export(tmp_path / "export", EXPECTED)
    monkeypatch.setattr(rebuild_texts, "SOURCES", {"000": ["A Paper", "https://example.org/a"], "001": ["", ""]})
    (articles / "b.txt").unlink()
    with pytest.raises(SystemExit) as stopped:
        rebuild_texts.main(tmp_path / "export", articles)
    assert str(stopped.value) == (f"{articles} lacks b.txt; the articles were published at:\n"
                                  "  a.txt: A Paper, https://example.org/a\n"
                                  "  b.txt: publisher not named in the text, no address known\n")
    assert datasets.Dataset.from_parquet(str(path))["text"] == [None] * len(EXPECTED)


@pytest.mark.parametrize("labelled, message", [
    ({**EXPECTED, "000-02": "Second one!"}, "your copy of paragraph 000-02 differs from the one that was labelled"),
    ({**EXPECTED, "002-01": "An article one lacks."}, "paragraph 002-01 is not in your copies of the articles"),
])
def test_a_copy_that_differs_or_lacks_a_paragraph_stops_with_nothing_filled_in(articles, tmp_path, labelled,
                                                                               message):
    path = write_export(tmp_path / "export", labelled)
    with pytest.raises(SystemExit, match=message):
        rebuild_texts.main(tmp_path / "export", articles)
    assert datasets.Dataset.from_parquet(str(path))["text"] == [None] * len(labelled)

import json

import pytest

from bench.data.alignment import ALIGNMENTS, CROSS_LANGUAGE, LINKS, load_alignments, read_alignment
from bench.files import BenchError

SAME = "same_language"


def write_rows(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_the_committed_alignments_load_with_their_two_passes(repo):
    alignments = load_alignments(repo.labels, repo.corpus())
    assert set(alignments) == {CROSS_LANGUAGE, SAME}
    for alignment in alignments.values():
        assert len(alignment.passes) == 2 and alignment.links
        assert all(link.right is not None and link.relation in ("equivalent", "partial") for link in alignment.links)
    assert {link.left[:3] for link in alignments[SAME].links} == {"001"}
    assert {link.right[:3] for link in alignments[SAME].links if link.right} == {"003"}


def test_every_paragraph_of_the_first_article_appears_in_each_pass(repo):
    corpus = repo.corpus()
    for alignment in load_alignments(repo.labels, corpus).values():
        first = {link.left[:3] for link in alignment.links}
        for found in alignment.passes.values():
            assert {p.id for p in corpus.paragraphs if p.doc in first} <= {link.left for link in found}


def test_same_language_links_read_left_and_right(project, tmp_path):
    path = write_rows(tmp_path / "a.jsonl", [{"left": "001-07", "right": "003-05", "relation": "equivalent"},
                                             {"left": "001-11", "right": None, "note": "no counterpart"}])
    links = read_alignment(path, project.corpus())
    assert [(link.left, link.right, link.relation) for link in links] == [("001-07", "003-05", "equivalent"),
                                                                            ("001-11", None, "")]


@pytest.mark.parametrize("row, message", [
    ({"left": "003-05", "right": "001-07", "relation": "partial"}, "must come from a lower document number"),
    ({"left": "001-07", "right": "002-05", "relation": "partial"}, "tell different stories"),
    ({"left": "001-07", "en": "003-05", "relation": "partial"}, "unknown key(s): en"),
    ({"nl": "001-07", "en": "003-05", "relation": "partial"}, "001-07 is not a nl paragraph"),
    ({"one": "001-07", "two": "003-05"}, "a link names its paragraphs as nl and en or left and right"),
    ({"left": "001-07", "right": "003-05", "relation": "same"}, "relation 'same' is not one of"),
])
def test_a_bad_link_is_an_error_naming_its_line(project, tmp_path, row, message):
    path = write_rows(tmp_path / "a.jsonl", [{"left": "001-11", "right": None}, row])
    with pytest.raises(BenchError, match=f"{path}:2: .*{message.replace('(', '.').replace(')', '.')}"):
        read_alignment(path, project.corpus())


def test_an_alignment_folder_without_links_is_no_alignment(project):
    (project.labels / ALIGNMENTS / "draft" / "passes").mkdir(parents=True)
    assert set(load_alignments(project.labels, project.corpus())) == {CROSS_LANGUAGE, SAME}
    assert (project.labels / ALIGNMENTS / CROSS_LANGUAGE / LINKS).exists()

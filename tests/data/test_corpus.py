import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.data.corpus import WHITESPACE, load_corpus, seed_text, split_paragraphs, strip_metadata
from bench.files import BenchError


def test_split_on_blank_lines_with_line_numbers():
    text = "First para\ncontinues.\n\n\n   \nSecond.\n\nThird.\n"
    assert split_paragraphs(text) == [(1, "First para\ncontinues."), (6, "Second."), (8, "Third.")]


def test_metadata_prefix_is_split_from_the_first_paragraph():
    metadata, text = strip_metadata(" date 2023-06 In januari dit jaar vluchtte hij.\n\nTweede.")
    assert metadata == {"date": "2023-06"}
    assert text == "In januari dit jaar vluchtte hij.\n\nTweede."
    assert strip_metadata("No prefix here.") == ({}, "No prefix here.")


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
                        min_size=1).filter(lambda s: s.strip(WHITESPACE)), max_size=8))
def test_split_recovers_joined_paragraphs(lines):
    paragraphs = [line.strip(WHITESPACE) for line in lines]
    assert [p for _, p in split_paragraphs("\n\n".join(paragraphs))] == paragraphs


def test_whitespace_is_every_character_python_counts_as_white_space_and_the_invisible_ones():
    spaces = {chr(code) for code in range(0x110000) if chr(code).isspace()}
    assert spaces <= set(WHITESPACE)
    assert set(WHITESPACE) - spaces == set("\u200b\u200c\u200d\u2060\ufeff")


SPACE = st.sampled_from(WHITESPACE.replace("\n", "").replace("\r", ""))
ENDING = st.sampled_from(["\n", "\r\n", "\r"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ending=ENDING, bom=st.booleans(), blank=st.lists(SPACE, max_size=4).map("".join),
       extra=st.lists(st.lists(SPACE, min_size=1, max_size=3).map("".join), max_size=3))
def test_seed_files_split_the_same_whatever_their_white_space_line_endings_or_bom(project, ending, bom, blank, extra):
    """A seed saved on Windows, by Excel or with odd blank lines gives the paragraphs, ids and hashes of the original."""
    original = load_corpus(project.seeds)
    path = project.seeds / "003_d2b4167f36a34aa6.txt"
    text = path.read_text(encoding="utf-8")
    # Blank lines of any white space, and paragraphs of nothing but white space, between the paragraphs.
    text = text.replace("\n\n", "\n" + blank + "\n" + "".join(f"{e}\n\n" for e in extra), 1)
    path.write_bytes(("\ufeff" if bom else "").encode() + text.replace("\n", ending).encode("utf-8"))
    changed = load_corpus(project.seeds)
    assert [(p.id, p.sha256) for p in changed.paragraphs] == [(p.id, p.sha256) for p in original.paragraphs]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(SPACE, ENDING, st.sampled_from("ab.\ufeff"), st.characters(blacklist_categories=("Cs",))), max_size=60))
def test_any_seed_text_splits_into_trimmed_non_empty_paragraphs(pieces):
    raw = "".join(pieces).lstrip("\ufeff")
    text = seed_text(raw)
    assert "\r" not in text and seed_text("\ufeff" + raw) == text
    for _, block in split_paragraphs(text):
        assert block and block == block.strip(WHITESPACE)


def test_seed_corpus(repo):
    corpus = repo.corpus()
    assert len(corpus.documents) == 5
    assert {d.doc: d.language for d in corpus.documents} == {"000": "nl", "001": "en", "002": "nl", "003": "en", "004": "nl"}
    assert {d.doc: d.story for d in corpus.documents} == {
        "000": "mishov", "001": "mishov", "002": "kuzminov", "003": "mishov", "004": "mukhametov"}
    assert len(corpus.paragraphs) == 91
    first = corpus.by_id()["000-01"]
    assert first.text.startswith("In januari dit jaar")
    assert first.sha256 == hashlib.sha256(first.text.encode()).hexdigest()
    assert not any(p.text.startswith("date ") for p in corpus.paragraphs)
    assert corpus.duplicates() == [["001-01", "001-02"]]


def test_seeds_are_the_shared_files_byte_for_byte(repo):
    shared = repo.root.parent / "shared" / "seeds"
    if not shared.is_dir():
        pytest.skip(f"{shared} is absent: the original seed files sit beside the checkout only in the team's "
                    "workspace, so there is nothing to compare the committed seeds with")
    for path in shared.glob("*.txt"):
        assert (repo.seeds / path.name).read_bytes() == path.read_bytes()


def test_manifest_date_must_match_the_files_metadata(project):
    manifest = project.seeds / "manifest.csv"
    manifest.write_text(manifest.read_text().replace("nl,2023-06,", "nl,2023-07,"))
    with pytest.raises(BenchError, match=r"manifest.csv:2: manifest date '2023-07' differs"):
        load_corpus(project.seeds)


def test_the_manifest_names_each_articles_publisher_and_address(repo):
    documents = load_corpus(repo.seeds).documents
    assert all(d.publisher and d.url.startswith("https://") for d in documents)
    assert {d.doc: d.publisher for d in documents}["001"] == "Cnews Live", "the publisher the article itself names"


def test_a_manifest_without_publisher_and_url_still_loads_with_them_empty(project):
    manifest = project.seeds / "manifest.csv"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    manifest.write_text("".join(line.rsplit(",", 2)[0] + "\n" for line in lines), encoding="utf-8")
    documents = load_corpus(project.seeds).documents
    assert len(documents) == len(lines) - 1 and {(d.publisher, d.url) for d in documents} == {("", "")}


def test_a_url_that_is_not_a_web_address_names_its_line(project):
    manifest = project.seeds / "manifest.csv"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(",https://revu.nl/", ",revu.nl/"), encoding="utf-8")
    with pytest.raises(BenchError, match=r"manifest.csv:6: url 'revu.nl/.*' is not an http\(s\) address"):
        load_corpus(project.seeds)


def test_file_without_manifest_row_and_row_without_file(project):
    (project.seeds / "005_new.txt").write_text("A new article.\n")
    with pytest.raises(BenchError, match="005_new.txt: seed file has no row in the manifest"):
        load_corpus(project.seeds)
    (project.seeds / "005_new.txt").unlink()
    with (project.seeds / "manifest.csv").open("a") as stream:
        stream.write("005,005_gone.txt,en,,someone,missing file,,\n")
    with pytest.raises(BenchError, match=r"manifest.csv:7: manifest names '005_gone.txt', which does not exist"):
        load_corpus(project.seeds)


def test_empty_and_non_utf8_seed_files(project):
    path = project.seeds / "003_d2b4167f36a34aa6.txt"
    path.write_bytes(b"\n\n")
    with pytest.raises(BenchError, match="003_d2b4167f36a34aa6.txt: seed file has no paragraphs"):
        load_corpus(project.seeds)
    path.write_bytes(b"Fine line\nbad \xff byte\n")
    with pytest.raises(BenchError, match=r"003_d2b4167f36a34aa6.txt:2: not valid UTF-8"):
        load_corpus(project.seeds)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(manifest=st.text(alphabet=st.sampled_from('doc,filelanguagestory\n01ennl.txt"-x'), max_size=120),
       seed=st.binary(max_size=120))
def test_any_manifest_and_seed_file_load_or_fail_with_a_place(tmp_path_factory, manifest, seed):
    root = tmp_path_factory.mktemp("seeds")
    (root / "manifest.csv").write_text("doc,file,language,date,story,source\n" + manifest, encoding="utf-8")
    (root / "a.txt").write_bytes(seed)
    try:
        corpus = load_corpus(root)
    except BenchError as error:
        assert error.path and error.path.startswith(str(root))
    else:
        assert all(p.text.strip() == p.text and p.text for p in corpus.paragraphs)
        assert len({p.id for p in corpus.paragraphs}) == len(corpus.paragraphs)

import re

import pytest

from bench.data.schema import parse_schema
from bench.files import BenchError


def test_guidelines_define_the_label_scheme(repo):
    schema = repo.schema()
    assert schema.fields["kind"].labels == ("body", "heading", "caption", "boilerplate")
    assert schema.fields["topic"].labels == ("motivation", "losses", "escape", "asylum_policy", "other")
    for stance in ("stance_war", "stance_defector"):
        assert schema.fields[stance].labels == ("favor", "against", "none")
        assert schema.fields[stance].target
    assert [f.name for f in schema.task_fields] == ["topic", "stance_war", "stance_defector"]
    assert all(schema.fields["topic"].definitions.values())


def quoted_runs(guidelines, corpus, length=5):
    """The runs of LENGTH words of any corpus paragraph that the guidelines repeat."""
    words = re.findall(r"\w+", guidelines.lower())
    runs = {tuple(words[i:i + length]) for i in range(len(words) - length + 1)}
    return {(p.id, " ".join(run)) for p in corpus.paragraphs
            for run in zip(*(re.findall(r"\w+", p.text.lower())[i:] for i in range(length))) if run in runs}


def test_the_guidelines_quote_no_paragraph_of_the_corpus(repo):
    corpus = repo.corpus()
    assert quoted_runs(repo.guidelines.read_text(), corpus) == set()
    # The control: the version 1 guidelines, an answer key, quote many.
    assert len({pid for pid, _ in quoted_runs((repo.labels / "v1" / "GUIDELINES.md").read_text(), corpus)}) >= 30


def test_the_guidelines_name_no_person_or_place_of_the_articles(repo):
    """Proper names: words the corpus only ever writes capitalised. Only the stance target names the war."""
    corpus_words = [w for p in repo.corpus().paragraphs for w in re.findall(r"\w+", p.text)]
    text = "\n".join(line for line in repo.guidelines.read_text().splitlines() if not line.startswith("Target:"))
    lower = {w for w in corpus_words + re.findall(r"\w+", text) if w.islower()}  # a sentence's first word too
    names = {w for w in corpus_words if w[0].isupper() and w.lower() not in lower and len(w) > 2}
    assert names & set(re.findall(r"\w+", text)) == set()
    assert {"Mishov", "Lithuania", "BBC"} <= names  # the control: the check sees the names it must


def test_every_label_has_an_invented_example_in_the_guidelines(repo):
    text = repo.guidelines.read_text()
    examples = text.split("## Label set")[1].split("\n## ", 1)[1]
    for field in repo.schema().fields.values():
        for label in field.labels:
            assert f"**{label}**" in examples or f"`{label}`" in examples or f"→ {label}" in examples, \
                f"{field.name}: {label} has no worked example"


def test_malformed_label_set_names_the_line():
    text = "# G\n\n## Label set\n\n### kind\n- `body`: text.\nstray words\n"
    with pytest.raises(BenchError, match=r"G.md:7: unexpected line"):
        parse_schema(text, "G.md")
    with pytest.raises(BenchError, match="no '## Label set' section"):
        parse_schema("# nothing\n", "G.md")

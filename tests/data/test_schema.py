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


def test_every_label_has_a_corpus_example_in_the_guidelines(repo):
    text = repo.guidelines.read_text()
    examples = text.split("## Label set")[1].split("\n## ", 1)[1]
    for field in repo.schema().fields.values():
        for label in field.labels:
            assert f"**{label}**" in examples, f"{field.name}: {label} has no worked example"


def test_malformed_label_set_names_the_line():
    text = "# G\n\n## Label set\n\n### kind\n- `body`: text.\nstray words\n"
    with pytest.raises(BenchError, match=r"G.md:7: unexpected line"):
        parse_schema(text, "G.md")
    with pytest.raises(BenchError, match="no '## Label set' section"):
        parse_schema("# nothing\n", "G.md")

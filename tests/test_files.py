import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.files import MAX_DEPTH, BenchError, as_text, atomic_write, read_csv, read_jsonl, read_yaml

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.floats(), st.integers(), st.text(max_size=5)),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                           max_leaves=10)
JSON_LINE = st.one_of(
    st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=10)), max_size=3).map(json.dumps),
    JSON_VALUES.map(json.dumps),
    st.integers(0, 2 * MAX_DEPTH).map(lambda depth: '{"a": ' + "[" * depth + "]" * depth + "}"),
    st.text(max_size=30),
)


def lines_in(data: bytes) -> int:
    """Physical lines, counting a lone carriage return as a line end as the csv module does."""
    return len(re.split(rb"\r\n|\r|\n", data))


INPUTS = {
    read_jsonl: st.one_of(st.binary(max_size=300), st.lists(JSON_LINE, max_size=6).map(lambda ls: "\n".join(ls).encode())),
    read_csv: st.one_of(st.binary(max_size=300), st.text(alphabet=st.sampled_from('ab,"\n\r\t é'), max_size=80).map(str.encode)),
}


@pytest.mark.parametrize("reader", list(INPUTS), ids=lambda reader: reader.__name__)
@FUZZ
@given(data=st.data())
def test_readers_yield_rows_or_name_the_file_and_line(tmp_path, reader, data):
    content = data.draw(INPUTS[reader])
    path = tmp_path / "fuzz"
    path.write_bytes(content)
    try:
        rows = list(reader(path))
    except BenchError as error:
        assert error.path == str(path) and 1 <= error.line <= lines_in(content)
    else:
        assert all(isinstance(row, dict) and None not in row and 1 <= line <= lines_in(content) for line, row in rows)


def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "table.md"
    atomic_write(path, "old\n")

    def interrupted(descriptor):
        raise KeyboardInterrupt

    monkeypatch.setattr("os.fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(path, "new, half written\n")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["table.md"]


# Bad input, round three: what the parsers accept silently, or crash on.

def test_a_column_named_twice_in_a_header_is_refused(tmp_path):
    """csv.DictReader would keep the last of the two columns, silently."""
    path = tmp_path / "predictions.csv"
    path.write_text("id,task,label,label\n000-01,topic,loss,other\n")
    with pytest.raises(BenchError, match=r"predictions\.csv:1: column 'label' appears twice in the header"):
        list(read_csv(path))
    path.write_text("id,label,,\n000-01,loss,,\n")  # unnamed columns, as spreadsheets leave at the end, name nothing
    assert list(read_csv(path)) == [(2, {"id": "000-01", "label": "loss", "": ""})]


def test_required_columns_are_checked_before_any_row(tmp_path):
    path = tmp_path / "predictions.csv"
    path.write_text("id,label\n")
    with pytest.raises(BenchError, match=r"predictions\.csv:1: the header lacks column\(s\) task \(it has: 'id', 'label'\)"):
        list(read_csv(path, required=("id", "task", "label")))


@pytest.mark.parametrize("content, message, line", [
    ('{}\n' + "[" * 100_000 + "]" * 100_000 + "\n", f"nested more than {MAX_DEPTH} levels deep", 2),
    ('{"a": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}\n", f"nested more than {MAX_DEPTH} levels deep", 1),
    ('{"label": "loss", "label": "other"}\n', "key 'label' given twice in one object", 1),
    ('{}\n{"n": ' + "1" * 5000 + "}\n", "malformed JSON: a number of more than 4300 digits", 2),
    ('{"text": "\\ud800"}\n', "\\ud800 is half of a surrogate pair, not a character", 1),
])
def test_json_lines_that_json_loads_takes_silently_or_crashes_on_are_refused_at_their_line(tmp_path, content, message,
                                                                                          line):
    path = tmp_path / "rows.jsonl"
    path.write_text(content)
    with pytest.raises(BenchError) as refused:
        list(read_jsonl(path))
    assert (refused.value.message, refused.value.path, refused.value.line) == (message, str(path), line)


def test_brackets_and_escapes_inside_strings_are_text(tmp_path):
    path = tmp_path / "rows.jsonl"
    deep = "[" * (2 * MAX_DEPTH)
    path.write_text(json.dumps({"a": deep + '\\"', "b": "\\ud800", "c": "\U0001f600"}, ensure_ascii=True) + "\n"
                    + json.dumps({"nested": [[[1]]]}) + "\n")
    assert list(read_jsonl(path)) == [(1, {"a": deep + '\\"', "b": "\\ud800", "c": "\U0001f600"}),
                                      (2, {"nested": [[[1]]]})]


ALIAS_BOMB = "model: {name: majority}\nunknown:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n" for previous, name in zip("abcdefgh", "bcdefghi"))


@pytest.mark.parametrize("text, message, line", [
    (ALIAS_BOMB, "YAML aliases (*a) are not allowed; write the value out", 4),
    ("a: &self [*self]\n", "YAML aliases (*self) are not allowed; write the value out", 1),
    ("base: &base {x: 1}\nother:\n  <<: *base\n", "YAML aliases (*base) are not allowed; write the value out", 3),
    ("a:\n  " + "[" * 10_000 + "]" * 10_000 + "\n", f"nested more than {MAX_DEPTH} levels deep", 2),
    ("".join("  " * i + "a:\n" for i in range(MAX_DEPTH + 5)), f"nested more than {MAX_DEPTH} levels deep", MAX_DEPTH + 1),
    ("a: 1\nb: 2020-13-45\n", "invalid YAML value: month must be in 1..12", 2),
    ("a:\n  - " + "9" * 5000 + "\n", "invalid YAML value: Exceeds the limit (4300 digits)", 2),
    ('a: "\\ud800"\n', "\\ud800 is half of a surrogate pair, not a character", 1),
    ("a:\n  1: x\n  0x1: y\n", "key 1 given twice (first on line 2)", 3),
])
def test_yaml_that_would_expand_recurse_or_crash_is_refused_at_its_line(tmp_path, text, message, line):
    """An alias repeats a value without copying it, so nine nested ones make a billion: none is allowed (none of
    the project's files uses one). Every check happens while the document is composed, before it is walked."""
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    with pytest.raises(BenchError) as refused:
        read_yaml(path)
    assert message in refused.value.message and (refused.value.path, refused.value.line) == (str(path), line)


def test_an_anchor_without_alias_and_nesting_up_to_the_bound_are_read(tmp_path):
    path = tmp_path / "exp.yaml"
    path.write_text("a: &anchor [1]\nb: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n")
    node, data = read_yaml(path)
    assert data["a"] == [1] and node.value[0][0].start_mark.line == 0


@pytest.mark.parametrize("value, text", [(1, "1"), (1.0, "1"), (-2.5, "-2.5"), (True, "True"), (None, ""),
                                         (float("nan"), ""), ([1], ""), ({"a": 1}, ""), ("  x ", "  x ")])
def test_values_read_as_the_text_they_stand_for(value, text):
    assert as_text(value) == text

import errno
import json
import os
import re
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bench.files
from bench.files import (
    MAX_DEPTH,
    BenchError,
    append_jsonl,
    as_text,
    atomic_write,
    check_destinations,
    check_inside,
    locked,
    read_csv,
    read_jsonl,
    read_yaml,
)

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


def test_an_atomic_write_on_a_full_disk_names_the_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "record.json"
    atomic_write(path, "old\n")

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("os.fsync", full)
    with pytest.raises(BenchError, match="cannot write: No space left on device") as error:
        atomic_write(path, "new\n")
    assert error.value.path == str(path)
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["record.json"]


def short_writes(monkeypatch, most: int, then_full: bool = False):
    """os.write taking at most `most` bytes a call, and with `then_full` failing as a full disk on the next."""
    write = os.write
    calls = []

    def partial(descriptor, data):
        calls.append(len(data))
        if then_full and len(calls) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return write(descriptor, bytes(data[:most]))

    monkeypatch.setattr("os.write", partial)
    return calls


def test_an_append_writes_every_byte_however_few_each_write_takes(tmp_path, monkeypatch):
    path = tmp_path / "a1.jsonl"
    path.write_text('{"id": "x"}\n')
    calls = short_writes(monkeypatch, 3)
    append_jsonl(path, {"id": "é"}, {"id": "z"})
    monkeypatch.undo()
    assert len(calls) > 2 and [row for _, row in read_jsonl(path)] == [{"id": "x"}, {"id": "é"}, {"id": "z"}]


@pytest.mark.parametrize("existing", [b'{"id": "x"}\n', b'{"id": "x"}', None], ids=["file", "open-last-line", "new"])
def test_an_append_on_a_full_disk_leaves_the_file_exactly_as_it_was(tmp_path, monkeypatch, existing):
    path = tmp_path / "gold.jsonl"
    if existing is not None:
        path.write_bytes(existing)
    short_writes(monkeypatch, 5, then_full=True)
    with pytest.raises(BenchError, match="cannot write: No space left on device") as error:
        append_jsonl(path, {"id": "y", "text": "long enough to need several writes"})
    monkeypatch.undo()
    assert error.value.path == str(path)
    if existing is None:
        assert not path.exists(), "a file the append created is removed again"
    else:
        assert path.read_bytes() == existing


def test_an_append_closes_a_last_line_left_without_its_newline(tmp_path):
    path = tmp_path / "a1.jsonl"
    path.write_text('{"id": "x"}')  # a hand edit
    append_jsonl(path, {"id": "y"})
    append_jsonl(path)  # nothing to append: the file stays as it is
    assert path.read_text() == '{"id": "x"}\n{"id": "y"}\n'


def test_a_write_through_a_symbolic_link_out_of_the_root_is_refused(tmp_path):
    root, elsewhere = tmp_path / "checkout", tmp_path / "elsewhere"
    (root / "labels").mkdir(parents=True)
    elsewhere.mkdir()
    (root / "records").symlink_to(elsewhere)
    (root / "labels" / "a1.jsonl").symlink_to(elsewhere / "a1.jsonl")  # dangling: writing would create it
    (root / "inside").symlink_to(root / "labels")
    check_inside(root / "inside" / "a2.jsonl", root)  # a link that stays in the root is fine
    for path, link in ((root / "records" / "x.json", root / "records"), (root / "labels" / "a1.jsonl", None)):
        with pytest.raises(BenchError, match=f"is a symbolic link to {elsewhere}.*, outside {root}; refusing to "
                                             "write through it") as error:
            check_destinations([path], inside=root)
        assert error.value.path == str(link or path)
    assert list(elsewhere.iterdir()) == []


def test_a_second_writer_waits_for_the_lock_then_writes(tmp_path, monkeypatch):
    path = tmp_path / "gold.jsonl"
    waiting = threading.Event()
    sleep = bench.files.time.sleep

    def wait(seconds):
        waiting.set()
        sleep(seconds)

    def second_writer():
        with locked(path):
            append_jsonl(path, {"id": "second"})

    monkeypatch.setattr(bench.files.time, "sleep", wait)
    with locked(path):
        second = threading.Thread(target=second_writer)
        second.start()
        waiting.wait()  # the second writer found the lock taken
        append_jsonl(path, {"id": "first"})
    second.join()
    assert [row["id"] for _, row in read_jsonl(path)] == ["first", "second"]


def test_a_writer_that_cannot_get_the_lock_fails_naming_the_file(tmp_path, monkeypatch):
    monkeypatch.setattr(bench.files, "LOCK_WAIT", 0)
    path = tmp_path / "gold.jsonl"
    refused = pytest.raises(BenchError, match=f"another bench command is writing in {tmp_path}")
    with locked(path), refused as error, locked(path):
        pass
    assert error.value.path == str(path) and not path.exists()
    with locked(path):  # released
        pass


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


def test_several_problems_are_one_error_in_file_order_each_listed_once():
    first, second, late = BenchError("b", "x.csv", 7), BenchError("a", "x.csv", 2), BenchError("c", "x.csv")
    combined = BenchError.several([first, late, second])
    assert (combined.path, combined.line) == ("x.csv", 2) and combined.parts == (second, first, late)
    assert str(combined) == "x.csv:2: 3 problems:\n  x.csv:2: a\n  x.csv:7: b\n  x.csv: c"
    assert BenchError.several([combined, BenchError("a", "x.csv", 2)]).parts == combined.parts
    assert BenchError.several([first]) is first

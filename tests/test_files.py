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
    BenchError,
    append_jsonl,
    atomic_write,
    check_destinations,
    check_inside,
    locked,
    read_csv,
    read_jsonl,
)

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON_LINE = st.one_of(
    st.dictionaries(st.text(max_size=5), st.one_of(st.none(), st.integers(), st.text(max_size=10)), max_size=3).map(json.dumps),
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

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.files import BenchError, atomic_write, read_csv, read_jsonl

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

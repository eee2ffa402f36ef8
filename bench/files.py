"""Reading and writing the project's files: errors that name the place, writes that never leave half a file."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path


class BenchError(Exception):
    """A problem with the user's input, reported as `file:line: message` with a non-zero exit."""

    def __init__(self, message: str, path: str | os.PathLike | None = None, line: int | None = None):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}" if where else self.message


def sha256_text(text: str) -> str:
    """The hash that ties a label to the exact text of its paragraph."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_files(paths: Iterable[Path]) -> str:
    """One hash over several files, each named, so a rename changes it too."""
    digest = hashlib.sha256()
    for path in sorted(Path(p) for p in paths):
        digest.update(path.name.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def read_text(path: Path, encoding: str = "utf-8") -> str:
    """A file's text; an unreadable or wrongly encoded file is an error naming the line."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise BenchError(f"cannot read: {err.strerror}", path) from None
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        name = "UTF-8" if encoding.lower().replace("-", "").replace("_", "") == "utf8" else encoding
        raise BenchError(f"not valid {name} (byte {err.start})", path, line) from None


def read_jsonl(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line."""
    for number, line in enumerate(read_text(path, encoding).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise BenchError(f"malformed JSON: {err.msg}", path, number) from None
        if not isinstance(row, dict):
            raise BenchError("each line must be a JSON object", path, number)
        yield number, row


def read_csv(path: Path, delimiter: str = ",", encoding: str = "utf-8") -> Iterator[tuple[int, dict]]:
    """Yield (line number, row) for each data row of a CSV (or, with a tab, TSV) file with a header."""
    reader = csv.DictReader(io.StringIO(read_text(path, encoding), newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise BenchError("wrong number of columns", path, reader.line_num)
            yield reader.line_num, row
    except csv.Error as err:
        raise BenchError(f"malformed CSV: {err}", path, reader.line_num) from None


def ensure_writable(folder: Path) -> None:
    """Fail before any work when results could not be saved there."""
    try:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise BenchError(f"cannot write results here: {err.strerror}", folder) from None


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write through a temporary file in the same folder, then rename, so readers never see half a file."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror}", path) from None
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes the file private; results are ordinary files
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def append_jsonl(path: Path, row: dict) -> None:
    """Append one row with a single write, then fsync: a killed process never loses a finished row."""
    line = (json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror}", path) from None
    try:
        os.write(descriptor, line)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def dump_json(value) -> str:
    """Stable JSON: sorted keys, fixed indentation, a final newline."""
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def dump_jsonl(rows: Iterable[dict]) -> str:
    """Stable JSON lines: sorted keys, one object per line."""
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n" for row in rows)

"""Reading and writing the project's files: errors that name the place, writes that never leave half a file."""

from __future__ import annotations

import csv
import errno
import fcntl
import hashlib
import io
import json
import math
import numbers
import os
import re
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

import yaml

BOM = "\ufeff"
PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")
LOCK_WAIT = 10.0  # seconds a writer waits for another bench command to finish writing the same folder
# Levels of nesting a YAML or JSON input may have: the deepest the project reads, a Label Studio export, has
# about ten; the parsers recurse, so a file nested a thousand levels would end in a RecursionError.
MAX_DEPTH = 50
JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)  # a string (skipped) or a bracket
LONE_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
                            r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")
SURROGATE = re.compile("[\ud800-\udfff]")


class BenchError(Exception):
    """A problem with the user's input, reported as `file:line: message` with a non-zero exit."""

    def __init__(self, message: str, path: str | os.PathLike | None = None, line: int | None = None,
                 parts: Sequence[BenchError] = ()):
        self.message = message
        self.path = None if path is None else str(path)
        self.line = line
        self.parts = tuple(parts)  # the problems of an error that reports several (`several`)
        super().__init__(str(self))

    @classmethod
    def several(cls, problems: Sequence[BenchError]) -> BenchError:
        """Every problem in one error, each on a line of its own with its file and line, so that one pass over the
        input fixes them all; a problem found twice is listed once, and a single problem stays as it is."""
        unique: dict[str, BenchError] = {}
        for error in problems:
            for problem in error.parts or (error,):
                unique.setdefault(str(problem), problem)
        found = sorted(unique.values(), key=lambda p: (p.path or "", p.line is None, p.line or 0))  # in file order
        if len(found) == 1:
            return found[0]
        first = found[0]
        return cls(f"{len(found)} problems:\n  " + "\n  ".join(map(str, found)), first.path, first.line, found)

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
    except ValueError:  # a NUL byte in the name
        raise BenchError("cannot read: not a valid file name", repr(str(path))) from None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        name = "UTF-8" if encoding.lower().replace("-", "").replace("_", "") == "utf8" else encoding
        raise BenchError(f"not valid {name} (byte {err.start})", path, line) from None
    return text.removeprefix(BOM)  # Excel's "CSV UTF-8" and some editors start a file with one


def read_jsonl(path: Path, encoding: str = "utf-8") -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for each non-blank line."""
    for number, line in enumerate(read_text(path, encoding).split("\n"), start=1):
        if not line.strip():
            continue
        row = parse_json(line, path, number)
        if not isinstance(row, dict):
            raise BenchError("each line must be a JSON object", path, number)
        yield number, row


def read_json_object(path: Path, what: str) -> dict:
    """A file holding one JSON object (a record, the measured figures), read as every JSON input is; `what` says
    what the object must be when it is something else."""
    value = parse_json(read_text(path), path)
    if not isinstance(value, dict):
        raise BenchError(f"must be a JSON object: {what}", path)
    return value


def parse_json(text: str, path: str | os.PathLike, line: int = 1):
    """A JSON value, refusing what json.loads would accept silently or crash on: nesting deeper than MAX_DEPTH
    (json.loads recurses, and raises RecursionError), a key given twice in one object (it keeps the last), a
    number too long for int(), and half a surrogate pair, which no file can hold. `line`: where `text` starts."""
    _check_json_depth(text, path, line)
    try:
        value = json.loads(text, object_pairs_hook=_object_of_unique_keys)
    except json.JSONDecodeError as err:
        raise BenchError(f"malformed JSON: {err.msg}", path, line + err.lineno - 1) from None
    except _KeyTwice as err:
        raise BenchError(f"key {err.key!r} given twice in one object", path, None if "\n" in text else line) from None
    except ValueError:  # the only other one json.loads raises: int() refusing a number that long
        raise BenchError(f"malformed JSON: a number of more than {sys.get_int_max_str_digits()} digits", path,
                         line) from None
    if half_pair := LONE_SURROGATE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise BenchError(f"{half_pair.group()} is half of a surrogate pair, not a character", path,
                             line + text.count("\n", 0, half_pair.start())) from None
    return value


def _check_json_depth(text: str, path: str | os.PathLike, line: int) -> None:
    """Count brackets outside strings, before json.loads recurses into them."""
    depth = 0
    for token in JSON_TOKEN.finditer(text):
        if token.group() in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                raise BenchError(f"nested more than {MAX_DEPTH} levels deep", path,
                                 line + text.count("\n", 0, token.start()))
        elif token.group() in ("]", "}"):
            depth = max(depth - 1, 0)


class _KeyTwice(Exception):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _object_of_unique_keys(pairs: list[tuple[str, object]]) -> dict:
    found = dict(pairs)
    if len(found) < len(pairs):
        raise _KeyTwice(next(key for key, count in Counter(key for key, _ in pairs).items() if count > 1))
    return found


def as_text(value) -> str:
    """A value of a JSON line, Parquet file or `datasets` row as the text it stands for, so that every reader
    agrees on it: 1 and 1.0 are the same number, "1"; None, NaN, lists and mappings hold no text, "".
    (CSV cells are text already.)"""
    if isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return str(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        if math.isnan(number):
            return ""
        return str(int(number)) if number.is_integer() else repr(number)
    return ""


def read_csv(path: Path, delimiter: str = ",", encoding: str = "utf-8",
             required: Sequence[str] = ()) -> Iterator[tuple[int, dict]]:
    """Yield (line number, row) for each data row of a CSV (or, with a tab, TSV) file with a header, which must
    name each column once (csv.DictReader would keep the last of two) and hold the `required` ones."""
    reader = csv.DictReader(io.StringIO(read_text(path, encoding), newline=""), delimiter=delimiter)
    try:
        header = reader.fieldnames or []
        twice = [name for name, count in Counter(header).items() if count > 1 and name.strip()]
        if twice:
            raise BenchError(f"column {twice[0]!r} appears twice in the header", path, 1)
        missing = [name for name in required if name not in header]
        if missing:
            raise BenchError(f"the header lacks column(s) {', '.join(missing)} (it has: "
                             f"{', '.join(map(repr, header)) or 'nothing'})", path, 1)
        for row in reader:
            if None in row or any(value is None for value in row.values()):
                raise BenchError("wrong number of columns", path, reader.line_num)
            yield reader.line_num, row
    except csv.Error as err:
        raise BenchError(f"malformed CSV: {err}", path, reader.line_num) from None


def read_yaml(path: Path) -> tuple[yaml.Node | None, object]:
    """A YAML file's node graph (whose marks give each value's line) and its data, with no key given twice in
    any mapping (YAML keeps the last). Aliases are refused: a few nested ones repeat a value millions of times,
    and none of the project's files needs one. So is nesting deeper than MAX_DEPTH."""
    loader = _CheckedLoader(read_text(path), path)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
        if node is not None:
            loader.refuse_keys_twice(node)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise BenchError(f"invalid YAML: {getattr(err, 'problem', err)}", path, mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()
    return node, data


class _CheckedLoader(yaml.SafeLoader):
    """yaml's SafeLoader, refusing aliases, deep nesting and half surrogate pairs as it composes, and naming the
    line of a value it cannot construct (a 13th month, an integer of 5000 digits)."""

    def __init__(self, text: str, path: str | os.PathLike):
        super().__init__(text)
        self.path = path
        self.depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            raise BenchError(f"YAML aliases (*{event.anchor}) are not allowed; write the value out", self.path, line)
        if isinstance(event, yaml.ScalarEvent) and (half_pair := SURROGATE.search(event.value)):
            raise BenchError(f"\\u{ord(half_pair.group()):x} is half of a surrogate pair, not a character", self.path,
                             line)
        nested = isinstance(event, yaml.CollectionStartEvent)
        self.depth += nested
        if self.depth > MAX_DEPTH:
            raise BenchError(f"nested more than {MAX_DEPTH} levels deep", self.path, line)
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= nested

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except ValueError as err:  # int(), float() and date() refuse some values YAML's grammar allows
            raise BenchError(f"invalid YAML value: {err}", self.path, node.start_mark.line + 1) from None

    def refuse_keys_twice(self, node: yaml.Node) -> None:
        """Keys compare as the values they stand for, so `1` and `0x1` are the same key."""
        if isinstance(node, yaml.MappingNode):
            seen: dict[object, int] = {}
            for key, value in node.value:
                name = self.construct_object(key) if isinstance(key, yaml.ScalarNode) else id(key)
                if name in seen:
                    raise BenchError(f"key {name!r} given twice (first on line {seen[name]})", self.path,
                                     key.start_mark.line + 1)
                seen[name] = key.start_mark.line + 1
                self.refuse_keys_twice(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self.refuse_keys_twice(item)


def check_name(name: str, what: str, path: str | os.PathLike | None = None, line: int | None = None) -> str:
    """A name that becomes a file name: letters, digits, '_', '-' and '.', not starting with a dot."""
    if not PLAIN_NAME.fullmatch(name):
        raise BenchError(f"{what} {name!r} must be letters, digits, '_', '-' or '.', not starting with a dot "
                         "(it becomes a file name)", path, line)
    return name


def nearest_existing(path: Path) -> Path:
    """The path, or its nearest existing ancestor: where a file below it would be created."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_destinations(paths: Iterable[Path], inside: Path | None = None) -> None:
    """Fail before any work when a file could not be written where it goes; creates and changes nothing.

    Each path must not be a folder, and its nearest existing ancestor must be a folder one can create files in.
    With `inside` (the checkout or the output folder), no path may reach outside it through a symbolic link.
    """
    paths = [Path(p) for p in paths]
    if inside is not None:
        for path in paths:
            check_inside(path, inside)
    for path in paths:
        if path.is_dir():
            raise BenchError("is a folder, but a file must be written here", path)
        folder = nearest_existing(path.parent)
        if not folder.is_dir():
            raise BenchError(f"cannot write {path}: {folder} is a file, not a folder", folder)
        try:
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as err:
            raise BenchError(f"cannot write here: {err.strerror}", folder) from None


def check_inside(path: Path, root: Path) -> None:
    """Refuse to write through a symbolic link that leads out of `root` (the checkout or the output folder): a
    link there must not make a bench command change files nobody asked it to."""
    root = Path(os.path.abspath(root))
    path = Path(os.path.abspath(path))
    if not path.is_relative_to(root):
        raise BenchError(f"is outside {root}; refusing to write there", path)
    real_root = root.resolve()
    current = root
    for part in path.relative_to(root).parts:
        current = current / part
        if not current.is_symlink():
            continue
        try:
            target = current.resolve()
        except (OSError, RuntimeError):
            raise BenchError("is a symbolic link that cannot be followed (a loop?); refusing to write through it",
                             current) from None
        if not target.is_relative_to(real_root):
            raise BenchError(f"is a symbolic link to {target}, outside {root}; refusing to write through it",
                             current)


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the write lock of the folder that holds `path` (creating the folder), so that two bench commands
    writing there at once take turns: each re-reads the files under the lock before deciding what to write.

    A second writer waits up to LOCK_WAIT seconds, then fails naming the file.
    """
    folder = Path(path).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror}", path) from None
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise BenchError(f"another bench command is writing in {folder}; try again once it has "
                                     "finished", path) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(descriptor)  # which releases the lock


def atomic_write(path: Path, content: str | bytes) -> None:
    """Write through a temporary file in the same folder, then rename, so readers never see half a file; a failed
    write (a full disk) removes the temporary file and leaves the old file as it was."""
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
    except OSError as err:
        Path(temporary).unlink(missing_ok=True)
        raise BenchError(f"cannot write: {err.strerror}", path) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def append_jsonl(path: Path, *rows: dict) -> None:
    """Append rows with one all-or-nothing write, then fsync: a killed process never loses a finished row, and a
    failed write (a full disk) leaves the file exactly as it was.

    A last line without its final newline (a hand edit) gets one first, so a new row never joins it.
    """
    if not rows:
        return
    data = dump_jsonl(rows).encode("utf-8")
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, created = _open_for_append(path)
        size = os.fstat(descriptor).st_size
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror}", path) from None
    try:
        if size and os.pread(descriptor, 1, size - 1) != b"\n":
            data = b"\n" + data
        _write_all(descriptor, data)
        os.fsync(descriptor)
    except BaseException as err:
        _undo_append(path, descriptor, size, created)
        if isinstance(err, OSError):
            raise BenchError(f"cannot write: {err.strerror}", path) from None
        raise
    finally:
        os.close(descriptor)


def _open_for_append(path: Path) -> tuple[int, bool]:
    """A descriptor appending to the file, and whether this call created it (so a failure can remove it)."""
    try:
        return os.open(path, os.O_RDWR | os.O_APPEND), False
    except FileNotFoundError:
        return os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644), True


def _write_all(descriptor: int, data: bytes) -> None:
    """Every byte, however many `os.write` takes at a time; a write that makes no progress is a full disk."""
    view = memoryview(data)
    while view:
        written = os.write(descriptor, view)
        if not written:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        view = view[written:]


def _undo_append(path: Path, descriptor: int, size: int, created: bool) -> None:
    """Put the file back as it was before a failed append: cut it to its old size, or remove it if new."""
    with suppress(OSError):  # the append's own error is the one to report
        if created:
            path.unlink(missing_ok=True)
        else:
            os.ftruncate(descriptor, size)


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

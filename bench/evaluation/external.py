"""External data sets: any classification or stance data in CSV, TSV, JSON lines or a `datasets` folder.

A config's `dataset:` block names the file, its format and encoding, and maps its columns onto the
harness's roles, so the same models, settings and metrics run on it as on the benchmark's own corpus.
"""

from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path

from ..data.corpus import WHITESPACE
from ..files import BenchError, as_text, read_csv, read_jsonl, sha256_files
from .tasks import STANCE_POLES, Example, Task

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl"}
ROLES = ("text", "label", "target", "language", "group", "split", "id")
REQUIRED_ROLES = ("text", "label")
NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
SPLITS = {"train": "train", "test": "test", "validation": "validation", "valid": "validation", "val": "validation",
          "dev": "validation"}


@dataclass(frozen=True)
class DatasetSpec:
    """Where a data set is and how its columns map onto the roles; `path` is resolved against the config's folder."""

    path: str
    columns: dict[str, str]
    format: str = ""
    encoding: str = "utf-8"
    name: str = ""
    labels: tuple[str, ...] = ()
    poles: tuple[str, ...] = ()
    language: str = "und"
    definitions: dict[str, str] = field(default_factory=dict)
    languages: tuple[str, ...] = ()  # keep only these languages' rows (empty: all)
    train_languages: tuple[str, ...] = ()  # the given split trains on these languages' train rows (empty: all)
    test_languages: tuple[str, ...] = ()  # and tests these languages' test rows (empty: all)
    report_by: tuple[str, ...] = ()  # roles or columns whose every value gets its own scores beside the pooled ones

    @property
    def task_name(self) -> str:
        return self.name or Path(self.path).stem

    @property
    def kind(self) -> str:
        if self.format:
            return self.format
        return "datasets" if Path(self.path).is_dir() else FORMATS.get(Path(self.path).suffix.lower(), "")


def check_spec(spec: DatasetSpec) -> str | None:
    """What is wrong with a spec before any data is read, or None."""
    kinds = sorted({*FORMATS.values(), "datasets"})
    if spec.kind not in kinds:
        return f"unknown data set format {spec.kind or Path(spec.path).suffix!r} (known: {', '.join(kinds)})"
    unknown = sorted(set(spec.columns) - set(ROLES))
    if unknown:
        return f"unknown column role(s) {', '.join(unknown)} (known: {', '.join(ROLES)})"
    unnamed = [role for role, column in spec.columns.items() if not column.strip()]
    if unnamed:
        return f"the column mapping gives no column name for {', '.join(unnamed)}"
    missing = [role for role in REQUIRED_ROLES if role not in spec.columns]
    if missing:
        return f"the column mapping needs {' and '.join(missing)}"
    try:
        codecs.lookup(spec.encoding)
    except LookupError:
        return f"unknown encoding {spec.encoding!r}"
    if spec.poles and not set(spec.poles) <= set(spec.labels or spec.poles):
        return "'poles' must be among 'labels'"
    return None


def check_languages(spec: DatasetSpec) -> tuple[str, str] | None:
    """The key of the block's languages that is wrong and what is wrong with it, or None: languages need a
    language column, and the training and test languages must be kept by the `languages` filter."""
    named = [key for key in ("languages", "train_languages", "test_languages") if getattr(spec, key)]
    if named and "language" not in spec.columns:
        return named[0], f"'{named[0]}' needs a language column (`columns: {{language: ...}}`)"
    for key in ("train_languages", "test_languages"):
        dropped = [language for language in getattr(spec, key) if spec.languages and language not in spec.languages]
        if dropped:
            return key, f"'{key}' names {', '.join(map(repr, dropped))}, which 'languages' leaves out"
    return None


def raw_rows(spec: DatasetSpec) -> Iterator[tuple[str, int, dict]]:
    """(where, line or row number, row) for every row of the data set."""
    path = Path(spec.path)
    if not path.exists():
        raise BenchError("data set not found", path)
    kind = spec.kind
    if kind in ("csv", "tsv"):
        with open(path, encoding=spec.encoding, errors="replace") as stream:
            header = stream.readline()
        if kind == "csv" and "\t" in header and "," not in header:  # a data set needs two columns: no CSV header
            raise BenchError("the header is separated by tabs, not commas: set `format: tsv` in the `dataset:` "
                             "block", path, 1)
        for line, row in read_csv(path, "\t" if kind == "tsv" else ",", spec.encoding):
            yield str(path), line, row
    elif kind == "jsonl":
        for line, row in read_jsonl(path, spec.encoding):
            yield str(path), line, row
    else:
        yield from _datasets_rows(path)


def _datasets_rows(path: Path) -> Iterator[tuple[str, int, dict]]:
    """Rows of a folder saved by `datasets` (`save_to_disk`) or of data files that `load_dataset` reads."""
    import datasets
    try:
        if (path / "dataset_dict.json").exists() or (path / "dataset_info.json").exists():
            loaded = datasets.load_from_disk(str(path))
        else:
            loaded = datasets.load_dataset(str(path))
    except Exception as err:  # datasets raises many kinds of errors for a folder it cannot read
        raise BenchError(f"datasets cannot load this folder: {err}", path) from None
    splits = loaded.items() if isinstance(loaded, datasets.DatasetDict) else [("", loaded)]
    for split, rows in splits:
        where = f"{path} (split {split})" if split else str(path)
        for number, row in enumerate(rows, start=1):
            yield where, number, ({"__split__": split, **row} if split else row)


def _value(row: dict, column: str, where: str, line: int, role: str, required: bool = True) -> str:
    """The row's value for a role as text (see files.as_text); blank means nothing but white space and invisible
    characters (a zero-width space is no text), and every role but the text loses them around it."""
    if column not in row:
        raise BenchError(f"no column {column!r} for the {role} (columns: {', '.join(map(str, row))})", where, line)
    value = as_text(row[column])
    if required and not value.strip(WHITESPACE):
        raise BenchError(f"empty {role} in column {column!r}", where, line)
    return value if role == "text" else value.strip(WHITESPACE)


def _found_labels(first_seen: dict[str, tuple[str, int]]) -> tuple[str, ...]:
    """The labels of a data set whose config lists none, refusing the ones that are no label: a missing value
    written as NaN, and one number written two ways (`1` and `1.0`), which would become two classes."""
    numbers: dict[Decimal, str] = {}
    for label, (where, line) in first_seen.items():
        if label.lower() == "nan":
            raise BenchError(f"label {label!r} reads as a missing value; list the data set's `labels:` to accept it",
                             where, line)
        if NUMBER.fullmatch(label):
            same = numbers.setdefault(Decimal(label), label)
            if same != label:
                raise BenchError(f"label {label!r} is the number {same!r} written another way (first on line "
                                 f"{first_seen[same][1]}); write each label one way", where, line)
    return tuple(sorted(first_seen))


def load(spec: DatasetSpec) -> tuple[Task, list[Example], dict]:
    """The data set as one task and its examples, with a summary: rows, duplicates and the data's hash.

    Every row is checked; a problem is an error naming the file and line (or split and row).
    """
    columns = dict(spec.columns)
    examples: list[Example] = []
    first_line: dict[str, int] = {}
    label_seen: dict[str, tuple[str, int]] = {}
    left_out = 0
    for number, (where, line, row) in enumerate(raw_rows(spec), start=1):
        if "split" not in columns and "__split__" in row:
            columns["split"] = "__split__"
        text = _value(row, columns["text"], where, line, "text")
        label = _value(row, columns["label"], where, line, "label")
        if spec.labels and label not in spec.labels:
            raise BenchError(f"unknown label {label!r} (known: {', '.join(spec.labels)})", where, line)
        label_seen.setdefault(label, (where, line))
        example_id = _value(row, columns["id"], where, line, "id") if "id" in columns else str(number)
        if example_id in first_line:
            raise BenchError(f"duplicate id {example_id!r} (first on line {first_line[example_id]})", where, line)
        first_line[example_id] = line
        split = ""
        if "split" in columns:
            given = _value(row, columns["split"], where, line, "split")
            if given.lower() not in SPLITS:
                raise BenchError(f"unknown split {given!r} (known: {', '.join(SPLITS)})", where, line)
            split = SPLITS[given.lower()]
        example = Example(
            id=example_id,
            doc=_value(row, columns["group"], where, line, "group") if "group" in columns else example_id,
            language=_value(row, columns["language"], where, line, "language") if "language" in columns
            else spec.language,
            story="",
            target=_value(row, columns["target"], where, line, "target") if "target" in columns else "",
            text=text, label=label, split=split,
        )
        if spec.languages and example.language not in spec.languages:
            left_out += 1
            continue
        examples.append(replace(example, facets=_facets(spec, columns, example, row, where, line)))
    if not examples:
        raise BenchError("the data set has no rows" + (f" in {', '.join(spec.languages)}" if left_out else ""),
                         spec.path)
    _check_languages_found(spec, examples)
    labels = spec.labels or _found_labels(label_seen)
    if len(set(labels)) < 2:
        raise BenchError(f"a classification task needs two labels or more; found only {labels[0]!r}", spec.path)
    absent = sorted(set(spec.poles) - set(labels))
    if absent:
        raise BenchError(f"pole(s) {', '.join(map(repr, absent))} not among the labels found "
                         f"({', '.join(labels)})", spec.path)
    stance = "target" in columns
    poles = spec.poles or (tuple(next(label for label in labels if label.lower() == pole) for pole in STANCE_POLES)
                           if stance and {label.lower() for label in labels} >= set(STANCE_POLES) else ())
    task = Task(spec.task_name, tuple(labels), spec.definitions or {label: label for label in labels},
                "" if stance else None, tuple(poles), poles_present_only=False)
    found = summary(spec, examples)
    return task, examples, found | ({"rows_of_other_languages": left_out} if spec.languages else {})


FACET_ROLES = {"language": "language", "target": "target", "group": "doc", "split": "split"}  # role: Example field


def _facets(spec: DatasetSpec, columns: dict[str, str], example: Example, row: dict, where: str,
            line: int) -> tuple[tuple[str, str], ...]:
    """The row's value of each `report_by` entry: a role's value where the mapping names that role, else the
    value of the data's column of that name."""
    return tuple((name, getattr(example, FACET_ROLES[name]) if name in FACET_ROLES and name in columns
                  else _value(row, name, where, line, f"report_by value {name!r}")) for name in spec.report_by)


def _check_languages_found(spec: DatasetSpec, examples: list[Example]) -> None:
    """Every language the block names has rows: a misspelt one would leave a side of the split empty unannounced."""
    found = {e.language for e in examples}
    for key in ("languages", "train_languages", "test_languages"):
        absent = [language for language in getattr(spec, key) if language not in found]
        if absent:
            raise BenchError(f"dataset.{key}: no row of language {', '.join(map(repr, absent))} (the data's "
                             f"languages: {', '.join(sorted(found))})", spec.path)


def summary(spec: DatasetSpec, examples: list[Example]) -> dict:
    """What a record says of its data: size, duplicate texts, texts on both sides of the given split, groups
    that cross_lingual puts on both sides because they hold several languages, and the hash."""
    counts = Counter(e.text for e in examples)
    train = {e.text for e in examples if e.split == "train"}
    languages: dict[str, set[str]] = {}
    for e in examples:
        languages.setdefault(e.doc, set()).add(e.language)
    path = Path(spec.path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return {
        "rows": len(examples),
        "duplicate_texts": sum(1 for n in counts.values() if n > 1),
        "texts_in_train_and_test": len(train & {e.text for e in examples if e.split == "test"}),
        "groups_in_several_languages": sum(1 for found in languages.values() if len(found) > 1),
        "sha256": sha256_files(files),
    }

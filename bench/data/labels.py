"""Label files: the annotators' append-only passes and the adjudicated gold, read and checked against the corpus."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..files import BenchError, read_jsonl
from .corpus import Corpus
from .schema import Schema

ANNOTATIONS = "annotations"
GOLD = "gold.jsonl"
REQUIRED_KEYS = ("id", "sha256")
OPTIONAL_KEYS = ("note", "reasons")


@dataclass(frozen=True)
class LabelRow:
    """One labelled paragraph of a label file, with its line for messages."""
    id: str
    sha256: str
    labels: dict[str, str]
    line: int
    note: str = ""
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class LabelFile:
    """A label file's valid rows, its problems, and every id it mentions (valid or not)."""
    path: Path
    rows: list[LabelRow]
    problems: list[BenchError]
    mentioned: set[str]

    def by_id(self) -> dict[str, LabelRow]:
        return {row.id: row for row in self.rows}


def parse_row(raw: dict, schema: Schema, path: Path, line: int) -> LabelRow:
    """One labelled paragraph; every problem with its keys or values is an error naming the line."""
    expected = set(REQUIRED_KEYS) | set(schema.label_fields)
    missing = sorted(expected - raw.keys())
    if missing:
        raise BenchError(f"missing key(s): {', '.join(missing)}", path, line)
    unknown = sorted(raw.keys() - expected - set(OPTIONAL_KEYS))
    if unknown:
        raise BenchError(f"unknown key(s): {', '.join(unknown)}", path, line)
    for key in REQUIRED_KEYS:
        if not isinstance(raw[key], str) or not raw[key]:
            raise BenchError(f"{key!r} must be a non-empty string", path, line)
    labels = {}
    for name, spec in schema.fields.items():
        value = raw[name]
        if value not in spec.labels:
            raise BenchError(
                f"unknown label {value!r} for {name} (allowed: {', '.join(spec.labels)})", path, line)
        labels[name] = value
    reasons = raw.get("reasons", {})
    if not isinstance(reasons, dict) or not set(reasons) <= set(schema.label_fields) or not all(
            isinstance(v, str) and v for v in reasons.values()):
        raise BenchError("'reasons' must map label fields to non-empty strings", path, line)
    note = raw.get("note", "")
    if not isinstance(note, str):
        raise BenchError("'note' must be a string", path, line)
    return LabelRow(raw["id"], raw["sha256"], labels, line, note, reasons)


def read_label_file(path: Path, schema: Schema, corpus: Corpus, revisions: bool = False) -> LabelFile:
    """Read one JSON-lines label file and check each row against the schema and the corpus.

    Annotation files are append-only logs (`revisions=True`): a later row for a paragraph replaces an
    earlier one. In gold every paragraph appears once.
    """
    paragraphs = corpus.by_id()
    rows: dict[str, LabelRow] = {}
    stale: dict[str, BenchError] = {}
    problems: list[BenchError] = []
    mentioned: set[str] = set()
    first_line: dict[str, int] = {}
    for line, raw in read_jsonl(path):
        if isinstance(raw.get("id"), str):
            mentioned.add(raw["id"])
        try:
            row = parse_row(raw, schema, path, line)
        except BenchError as err:
            problems.append(err)
            continue
        if row.id in first_line and not revisions:
            problems.append(BenchError(f"duplicate id {row.id!r} (first on line {first_line[row.id]})", path, line))
            continue
        first_line[row.id] = line
        paragraph = paragraphs.get(row.id)
        if paragraph is None:
            problems.append(BenchError(f"unknown paragraph id {row.id!r}: stale label of a removed paragraph?",
                                       path, line))
            continue
        if paragraph.sha256 != row.sha256:
            stale[row.id] = BenchError(
                f"stale label for {row.id}: the paragraph's text changed "
                f"({corpus.seed_file(row.id)}:{paragraph.line}); relabel it", path, line)
            continue
        stale.pop(row.id, None)  # a fresh label replaces a stale one
        rows[row.id] = row
    return LabelFile(path, list(rows.values()), problems + list(stale.values()), mentioned)


def annotation_paths(labels_dir: Path) -> list[Path]:
    """Every annotator's file; the file name is the annotator id."""
    return sorted((labels_dir / ANNOTATIONS).glob("*.jsonl"))


def load_gold(labels_dir: Path, schema: Schema, corpus: Corpus) -> dict[str, LabelRow]:
    """Gold labels by paragraph id, possibly not yet covering every paragraph; raises on the first problem."""
    path = labels_dir / GOLD
    if not path.exists():
        return {}
    gold = read_label_file(path, schema, corpus)
    if gold.problems:
        raise gold.problems[0]
    return gold.by_id()


def validate(labels_dir: Path, schema: Schema, corpus: Corpus) -> list[BenchError]:
    """Every problem in gold and the annotation passes; gold must label every paragraph exactly once."""
    gold_path = labels_dir / GOLD
    if not gold_path.exists():
        return [BenchError("gold labels not found", gold_path)]
    problems: list[BenchError] = []
    try:
        gold = read_label_file(gold_path, schema, corpus)
    except BenchError as err:
        problems.append(err)
    else:
        problems.extend(gold.problems)
        for paragraph in corpus.paragraphs:
            if paragraph.id not in gold.mentioned:
                problems.append(BenchError(
                    f"paragraph {paragraph.id} ({corpus.seed_file(paragraph.id)}:{paragraph.line}) has no gold label",
                    gold_path))
    for path in annotation_paths(labels_dir):
        try:
            problems.extend(read_label_file(path, schema, corpus, revisions=True).problems)
        except BenchError as err:
            problems.append(err)
    return problems


def load_annotations(labels_dir: Path, schema: Schema, corpus: Corpus) -> dict[str, dict[str, LabelRow]]:
    """Each annotator's labels by paragraph id, keyed by annotator id (the file name)."""
    passes = {}
    for path in annotation_paths(labels_dir):
        label_file = read_label_file(path, schema, corpus, revisions=True)
        if label_file.problems:
            raise label_file.problems[0]
        passes[path.stem] = label_file.by_id()
    return passes

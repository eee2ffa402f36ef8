"""Label files: the annotators' append-only passes and the adjudicated gold, read and checked against the corpus."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..files import BenchError, read_jsonl
from .corpus import Corpus
from .schema import Schema, load_schema

ANNOTATIONS = "annotations"
GOLD = "gold.jsonl"
GUIDELINES = "GUIDELINES.md"
EARLIER_ROUND = re.compile(r"v(\d+)\Z")
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


def label_rounds(labels_dir: Path) -> dict[str, Path]:
    """Each round of labels by version, newest first: the current one in labels/ (the version after the earlier
    ones), then every earlier one, kept with its own guidelines, passes and gold in labels/vN/ so that its
    numbers stay reproducible."""
    earlier = [path for path in labels_dir.iterdir() if path.is_dir() and EARLIER_ROUND.match(path.name)] \
        if labels_dir.is_dir() else []
    earlier.sort(key=lambda path: int(path.name[1:]), reverse=True)
    current = int(earlier[0].name[1:]) + 1 if earlier else 1
    return {f"v{current}": labels_dir, **{path.name: path for path in earlier}}


@dataclass(frozen=True)
class GoldChange:
    """A gold label that differs from the previous round's, with the adjudicator's reason."""
    id: str
    field: str
    before: str
    after: str
    reason: str
    line: int


def gold_changes(previous: dict[str, LabelRow], current: dict[str, LabelRow]) -> list[GoldChange]:
    """Every field of every paragraph whose gold label changed from the previous round, in id order."""
    return [GoldChange(row.id, name, previous[row.id].labels[name], label, row.reasons.get(name, ""), row.line)
            for row in sorted(current.values(), key=lambda row: row.id) if row.id in previous
            for name, label in row.labels.items() if previous[row.id].labels.get(name, label) != label]


def changes_from_previous(labels_dir: Path, schema: Schema, corpus: Corpus) -> tuple[str, list[GoldChange]]:
    """The previous round's version and every gold label changed since; ("", []) where there is none."""
    rounds = list(label_rounds(labels_dir).values())
    if len(rounds) < 2 or not (rounds[1] / GOLD).exists():
        return "", []
    previous = load_gold(rounds[1], load_schema(rounds[1] / GUIDELINES), corpus)
    return rounds[1].name, gold_changes(previous, load_gold(labels_dir, schema, corpus))


def unexplained_changes(labels_dir: Path, schema: Schema, corpus: Corpus) -> list[BenchError]:
    """A change of gold from the previous round must carry its reason (`reasons`) in the current gold."""
    previous, changes = changes_from_previous(labels_dir, schema, corpus)
    return [BenchError(f"{change.id} {change.field} changed from {change.before!r} (round {previous}) to "
                       f"{change.after!r} without a reason in 'reasons'", labels_dir / GOLD, change.line)
            for change in changes if not change.reason]


def validate(labels_dir: Path, schema: Schema, corpus: Corpus) -> list[BenchError]:
    """Every problem in the gold and the passes of every round; the current gold must label every paragraph
    exactly once and give a reason for each change from the previous round. An earlier round covers the corpus
    as it was then, so it may lack paragraphs added since."""
    problems = validate_round(labels_dir, schema, corpus)
    for path in list(label_rounds(labels_dir).values())[1:]:
        try:
            problems += validate_round(path, load_schema(path / GUIDELINES), corpus, complete=False)
        except BenchError as err:
            problems.append(err)
    return problems or unexplained_changes(labels_dir, schema, corpus)


def validate_round(labels_dir: Path, schema: Schema, corpus: Corpus, complete: bool = True) -> list[BenchError]:
    """Every problem in one round's gold and annotation passes; gold must label every paragraph (where
    `complete`) exactly once."""
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
        for paragraph in corpus.paragraphs if complete else ():
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

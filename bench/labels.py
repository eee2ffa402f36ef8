"""Labels: annotators' passes and the adjudicated gold, their validation against the corpus, and agreement."""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .corpus import Corpus
from .files import BenchError, read_jsonl
from .schema import Schema

ANNOTATIONS = "annotations"
GOLD = "gold.jsonl"
REQUIRED_KEYS = ("id", "sha256")
OPTIONAL_KEYS = ("note", "reasons")


@dataclass(frozen=True)
class LabelRow:
    id: str
    sha256: str
    labels: dict[str, str]
    line: int
    note: str = ""
    reasons: dict[str, str] = field(default_factory=dict)


@dataclass
class LabelFile:
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


def read_label_file(path: Path, schema: Schema, corpus: Corpus) -> LabelFile:
    """Read one JSON-lines label file and check each row against the schema and the corpus."""
    paragraphs = corpus.by_id()
    rows: list[LabelRow] = []
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
        if row.id in first_line:
            problems.append(BenchError(f"duplicate id {row.id!r} (first on line {first_line[row.id]})", path, line))
            continue
        first_line[row.id] = line
        paragraph = paragraphs.get(row.id)
        if paragraph is None:
            problems.append(BenchError(f"unknown paragraph id {row.id!r}: stale label of a removed paragraph?",
                                       path, line))
            continue
        if paragraph.sha256 != row.sha256:
            problems.append(BenchError(
                f"stale label for {row.id}: the paragraph's text changed "
                f"({corpus.seed_file(row.id)}:{paragraph.line}); relabel it", path, line))
            continue
        rows.append(row)
    return LabelFile(path, rows, problems, mentioned)


def annotation_paths(labels_dir: Path) -> list[Path]:
    return sorted((labels_dir / ANNOTATIONS).glob("*.jsonl"))


def load_gold(labels_dir: Path, schema: Schema, corpus: Corpus) -> dict[str, LabelRow]:
    """Gold labels by paragraph id; raises on the first problem, since experiments need clean gold."""
    gold = read_label_file(labels_dir / GOLD, schema, corpus)
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
            problems.extend(read_label_file(path, schema, corpus).problems)
        except BenchError as err:
            problems.append(err)
    return problems


def load_annotations(labels_dir: Path, schema: Schema, corpus: Corpus) -> dict[str, dict[str, LabelRow]]:
    """Each annotator's labels by paragraph id, keyed by annotator id (the file name)."""
    passes = {}
    for path in annotation_paths(labels_dir):
        label_file = read_label_file(path, schema, corpus)
        if label_file.problems:
            raise label_file.problems[0]
        passes[path.stem] = label_file.by_id()
    return passes


def agreement(passes: dict[str, dict[str, LabelRow]], schema: Schema) -> dict:
    """Per field: pairwise raw agreement and Cohen's kappa, and Krippendorff's alpha over all annotators."""
    import krippendorff
    from sklearn.metrics import cohen_kappa_score

    annotators = sorted(passes)
    units = sorted(set().union(*(p.keys() for p in passes.values()))) if passes else []
    result = {}
    for name, spec in schema.fields.items():
        code = {label: i for i, label in enumerate(spec.labels)}
        matrix = np.array([[code[passes[a][u].labels[name]] if u in passes[a] else np.nan for u in units]
                           for a in annotators], dtype=float)
        pairs = []
        for left, right in itertools.combinations(range(len(annotators)), 2):
            shared = ~np.isnan(matrix[left]) & ~np.isnan(matrix[right])
            a, b = matrix[left][shared], matrix[right][shared]
            with warnings.catch_warnings():  # kappa is undefined (nan, shown as n/a) when both use one label
                warnings.simplefilter("ignore")
                kappa = float(cohen_kappa_score(a, b, labels=list(code.values()))) if len(a) else float("nan")
            pairs.append({"annotators": [annotators[left], annotators[right]], "units": int(shared.sum()),
                          "raw_agreement": float(np.mean(a == b)) if len(a) else float("nan"), "cohen_kappa": kappa})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                alpha = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal",
                                                 value_domain=list(range(len(spec.labels)))))
        except (ValueError, ZeroDivisionError):
            alpha = float("nan")
        result[name] = {"pairs": pairs, "krippendorff_alpha": alpha}
    return result

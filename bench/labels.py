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
            confusion = np.zeros((len(spec.labels), len(spec.labels)), dtype=int)
            np.add.at(confusion, (a.astype(int), b.astype(int)), 1)
            pairs.append({"annotators": [annotators[left], annotators[right]], "units": int(shared.sum()),
                          "raw_agreement": float(np.mean(a == b)) if len(a) else float("nan"), "cohen_kappa": kappa,
                          "confusion": confusion.tolist()})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                alpha = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal",
                                                 value_domain=list(range(len(spec.labels)))))
        except (ValueError, ZeroDivisionError):
            alpha = float("nan")
        result[name] = {"pairs": pairs, "krippendorff_alpha": alpha}
    return result


def labels_given(passes: dict[str, dict[str, LabelRow]], paragraph_id: str,
                 schema: Schema) -> dict[str, dict[str, str]]:
    """Per field, the label each annotator who labelled the paragraph gave it."""
    rows = {a: p[paragraph_id] for a, p in sorted(passes.items()) if paragraph_id in p}
    return {name: {annotator: row.labels[name] for annotator, row in rows.items()} for name in schema.label_fields}


def disputes(passes: dict[str, dict[str, LabelRow]], schema: Schema, corpus: Corpus) -> list[dict]:
    """Paragraphs and fields on which the annotators who labelled them disagree, in corpus order."""
    found = []
    for paragraph in corpus.paragraphs:
        for name, given in labels_given(passes, paragraph.id, schema).items():
            if len(set(given.values())) > 1:
                found.append({"id": paragraph.id, "field": name, "labels": given})
    return found


def adjudicate(passes: dict[str, dict[str, LabelRow]], gold_ids: set[str], schema: Schema, corpus: Corpus,
               min_annotators: int = 2) -> tuple[list[dict], list[dict]]:
    """Gold rows where enough annotators agree on every field, and the conflicts a person must resolve.

    Paragraphs already in gold are never proposed again, so a resolved gold label is never overwritten.
    """
    proposed, conflicts = [], []
    for paragraph in corpus.paragraphs:
        if paragraph.id in gold_ids:
            continue
        given_per_field = labels_given(passes, paragraph.id, schema)
        if len(next(iter(given_per_field.values()))) < min_annotators:
            continue
        agreed, disputed = {}, {}
        for name, given in given_per_field.items():
            if len(set(given.values())) == 1:
                agreed[name] = next(iter(given.values()))
            else:
                disputed[name] = given
        if disputed:
            conflicts.append({"id": paragraph.id, "sha256": paragraph.sha256, "agreed": agreed, "disputed": disputed})
        else:
            proposed.append({"id": paragraph.id, "sha256": paragraph.sha256, **agreed})
    return proposed, conflicts


def resolve(conflict: dict, choices: dict[str, str], reason: str, schema: Schema) -> dict:
    """The gold row for one conflict: the agreed labels, a person's choice for each disputed field, and why."""
    missing = sorted(set(conflict["disputed"]) - set(choices))
    if missing:
        raise BenchError(f"{conflict['id']}: choose a label for {', '.join(missing)}")
    unknown = sorted(set(choices) - set(conflict["disputed"]))
    if unknown:
        raise BenchError(f"{conflict['id']}: {', '.join(unknown)} not in dispute")
    for name, label in choices.items():
        if label not in schema.fields[name].labels:
            raise BenchError(f"{conflict['id']}: unknown label {label!r} for {name} "
                             f"(allowed: {', '.join(schema.fields[name].labels)})")
    if not reason.strip():
        raise BenchError(f"{conflict['id']}: give a one-line reason for the decision")
    return {"id": conflict["id"], "sha256": conflict["sha256"], **conflict["agreed"], **choices,
            "reasons": {name: reason.strip() for name in choices}}

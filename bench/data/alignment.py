"""The alignments: which paragraphs of two articles of one story tell the same content, the Dutch against the
English articles and the two English ones against each other. Made by reading, like the labels (see
GUIDELINES.md, "Alignment")."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..files import BenchError, read_jsonl
from .corpus import Corpus

ALIGNMENTS = "alignment"  # in labels/: one folder per alignment
LINKS = "links.jsonl"  # the adjudicated links, in an alignment's folder
PASSES = "passes"  # the independent passes, one file per annotator
ADJUDICATION = "adjudication.jsonl"  # the adjudicated disputes, with reasons
CROSS_LANGUAGE = "cross_language"  # the alignment whose links the cross-lingual consistency is measured on
RELATIONS = ("equivalent", "partial")
# A row names its two paragraphs by language (a Dutch and an English article) or as left and right (two
# articles in one language, left from the lower document number).
SIDES = (("nl", "en"), ("left", "right"))
KEYS = ("relation", "note", "reason")


@dataclass(frozen=True)
class Link:
    """Two paragraphs that tell the same content; `right` is None for "no counterpart"."""

    left: str
    right: str | None
    relation: str
    line: int


@dataclass(frozen=True)
class Alignment:
    """One alignment: its adjudicated links (without "no counterpart" rows) and each blind pass by annotator."""

    name: str
    links: list[Link]
    passes: dict[str, list[Link]] = field(default_factory=dict)


def row_sides(row: dict, path: Path, line: int) -> tuple[str, str]:
    """The pair of keys a row names its paragraphs by; anything else is an error naming the line."""
    for sides in SIDES:
        if sides[0] in row:
            unknown = sorted(set(row) - set(sides) - set(KEYS))
            if unknown:
                raise BenchError(f"unknown key(s): {', '.join(unknown)}", path, line)
            return sides
    raise BenchError(f"a link names its paragraphs as {' or '.join(' and '.join(s) for s in SIDES)}", path, line)


def check_paragraph(value: object, key: str, corpus: Corpus, path: Path, line: int) -> str:
    """A linked paragraph's id, which must be in the corpus and, under a language key, in that language."""
    paragraphs = corpus.by_id()
    if not isinstance(value, str) or value not in paragraphs:
        raise BenchError(f"{key!r} must name a paragraph of the corpus, not {value!r}", path, line)
    if key in SIDES[0] and paragraphs[value].language != key:
        raise BenchError(f"{value} is not a {key} paragraph", path, line)
    return value


def read_alignment(path: Path, corpus: Corpus) -> list[Link]:
    """Every row of an alignment file, each checked against the corpus; a problem is an error naming the line."""
    paragraphs = corpus.by_id()
    links: list[Link] = []
    seen: dict[tuple[str, str | None], int] = {}
    for line, row in read_jsonl(path):
        left_key, right_key = row_sides(row, path, line)
        left = check_paragraph(row.get(left_key), left_key, corpus, path, line)
        right = None if row.get(right_key) is None else check_paragraph(row[right_key], right_key, corpus, path,
                                                                         line)
        if right is not None and paragraphs[left].story != paragraphs[right].story:
            raise BenchError(f"{left} and {right} tell different stories", path, line)
        if right is not None and paragraphs[left].doc >= paragraphs[right].doc and left_key == "left":
            raise BenchError(f"'left' ({left}) must come from a lower document number than 'right' ({right})",
                             path, line)
        relation = row.get("relation", "")
        if right is not None and relation not in RELATIONS:
            raise BenchError(f"relation {relation!r} is not one of {', '.join(RELATIONS)}", path, line)
        if (left, right) in seen:
            raise BenchError(f"{left} and {right} are linked twice (first on line {seen[(left, right)]})", path, line)
        seen[(left, right)] = line
        links.append(Link(left, right, relation if right is not None else "", line))
    return links


def load_alignments(labels_dir: Path, corpus: Corpus) -> dict[str, Alignment]:
    """Every alignment in labels/alignment/ by name; none where the folder is absent."""
    found = {}
    for folder in sorted((labels_dir / ALIGNMENTS).glob(f"*/{LINKS}")):
        folder = folder.parent
        links = [link for link in read_alignment(folder / LINKS, corpus) if link.right is not None]
        passes = {path.stem: read_alignment(path, corpus) for path in sorted((folder / PASSES).glob("*.jsonl"))}
        found[folder.name] = Alignment(folder.name, links, passes)
    return found

"""The cross-language alignment: which paragraphs of the Dutch and the English articles of one story tell the
same content. Made by reading, like the labels (see GUIDELINES.md, "Cross-language alignment")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..files import BenchError, read_jsonl
from .corpus import Corpus

ALIGNMENT = "alignment.jsonl"  # the adjudicated alignment, in labels/
PASSES = Path("alignment") / "passes"  # the independent passes, in labels/
RELATIONS = ("equivalent", "partial")
KEYS = ("nl", "en", "relation", "note", "reason")


@dataclass(frozen=True)
class Link:
    """A Dutch paragraph and an English one that tell the same content; `en` is None for "no counterpart"."""

    nl: str
    en: str | None
    relation: str
    line: int


def read_alignment(path: Path, corpus: Corpus) -> list[Link]:
    """Every row of an alignment file, each checked against the corpus; a problem is an error naming the line."""
    paragraphs = corpus.by_id()
    links: list[Link] = []
    seen: dict[tuple[str, str | None], int] = {}
    for line, row in read_jsonl(path):
        unknown = sorted(set(row) - set(KEYS))
        if unknown:
            raise BenchError(f"unknown key(s): {', '.join(unknown)}", path, line)
        nl, en = row.get("nl"), row.get("en")
        for language, value in (("nl", nl), ("en", en)):
            if value is None and language == "en":
                continue
            if not isinstance(value, str) or value not in paragraphs:
                raise BenchError(f"{language!r} must name a paragraph of the corpus, not {value!r}", path, line)
            if paragraphs[value].language != language:
                raise BenchError(f"{value} is not a {language} paragraph", path, line)
        relation = row.get("relation", "")
        if en is not None and relation not in RELATIONS:
            raise BenchError(f"relation {relation!r} is not one of {', '.join(RELATIONS)}", path, line)
        assert isinstance(nl, str) and (en is None or isinstance(en, str))
        if (nl, en) in seen:
            raise BenchError(f"{nl} and {en} are linked twice (first on line {seen[(nl, en)]})", path, line)
        seen[(nl, en)] = line
        links.append(Link(nl, en, relation if en is not None else "", line))
    return links


def load_alignment(labels_dir: Path, corpus: Corpus) -> list[Link]:
    """The adjudicated alignment's links (without "no counterpart" rows); none where the file is absent."""
    path = labels_dir / ALIGNMENT
    return [link for link in read_alignment(path, corpus) if link.en is not None] if path.exists() else []


def load_alignment_passes(labels_dir: Path, corpus: Corpus) -> dict[str, list[Link]]:
    """Each alignment pass by its annotator id (the file name)."""
    return {path.stem: read_alignment(path, corpus) for path in sorted((labels_dir / PASSES).glob("*.jsonl"))}

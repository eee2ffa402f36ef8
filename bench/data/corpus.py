"""Seeds to corpus: the manifest, the documents and their paragraphs."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..files import BenchError, check_name, read_csv, read_text, sha256_text

MANIFEST = "manifest.csv"
MANIFEST_COLUMNS = ("doc", "file", "language", "date", "story", "source")
# Optional: who published each article and where, for the dataset card and the export's rebuild script; a manifest
# without them (an older one, or a synthetic corpus's) leaves them empty.
SOURCE_COLUMNS = ("publisher", "url")
LANGUAGES = ("en", "nl")

# Some sources glue a metadata prefix such as " date 2023-06 " to the first paragraph.
METADATA_PREFIX = re.compile(r"\A\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\s+")
DATE = re.compile(r"\A\d{4}-\d{2}(?:-\d{2})?\Z")
URL = re.compile(r"\Ahttps?://\S+\Z")
# Every character Python counts as white space (str.isspace), and the invisible ones it does not: zero-width
# spaces and joiners, the word joiner and a stray byte-order mark. A line of nothing else is a blank line.
WHITESPACE = ("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007"
              "\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000" "\u200b\u200c\u200d\u2060\ufeff")
SEED_SUFFIX = ".txt"


@dataclass(frozen=True)
class Document:
    """One row of the manifest: a seed article and where it comes from (its publisher and address, where known)."""
    doc: str
    file: str
    language: str
    date: str
    story: str
    source: str
    publisher: str = ""
    url: str = ""


@dataclass(frozen=True)
class Paragraph:
    """A block of a seed file; its id is the document id and its position, its hash ties labels to its text."""
    id: str
    doc: str
    position: int
    language: str
    story: str
    text: str
    sha256: str
    line: int


@dataclass(frozen=True)
class Corpus:
    """The documents of the manifest and all their paragraphs, in manifest order."""
    root: Path
    documents: tuple[Document, ...]
    paragraphs: tuple[Paragraph, ...]

    def by_id(self) -> dict[str, Paragraph]:
        return {p.id: p for p in self.paragraphs}

    def seed_file(self, paragraph_id: str) -> Path:
        """The seed file a paragraph comes from, for messages that point a person at the text."""
        doc = paragraph_id.split("-")[0]
        return self.root / next(d.file for d in self.documents if d.doc == doc)

    def duplicates(self) -> list[list[str]]:
        """Groups of paragraph ids whose texts are identical."""
        groups: dict[str, list[str]] = defaultdict(list)
        for p in self.paragraphs:
            groups[p.sha256].append(p.id)
        return [ids for ids in groups.values() if len(ids) > 1]


def seed_text(raw: str) -> str:
    """A seed file's text as it is split and hashed: without a leading byte-order mark, every line ending `\\n`."""
    return raw.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def split_paragraphs(text: str) -> list[tuple[int, str]]:
    """Blocks separated by blank lines, as (first line number, text without surrounding white space)."""
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip(WHITESPACE):
            if current:
                blocks.append((start, "\n".join(current).strip(WHITESPACE)))
                current = []
        else:
            if not current:
                start = number
            current.append(line)
    if current:
        blocks.append((start, "\n".join(current).strip(WHITESPACE)))
    return blocks


def strip_metadata(text: str) -> tuple[dict[str, str], str]:
    """Split a leading metadata prefix from the text; the rest stays byte for byte."""
    match = METADATA_PREFIX.match(text)
    if not match:
        return {}, text
    return {"date": match.group(1)}, text[match.end():]


def read_manifest(root: Path) -> list[tuple[int, Document]]:
    """The manifest's documents with their line numbers, each row checked."""
    path = root / MANIFEST
    if not path.exists():
        raise BenchError("manifest not found", path)
    rows = list(read_csv(path))
    documents: list[tuple[int, Document]] = []
    seen: dict[str, int] = {}
    files: dict[str, int] = {}
    for line, row in rows:
        missing = [c for c in MANIFEST_COLUMNS if c not in row]
        if missing:
            raise BenchError(f"manifest lacks column(s) {', '.join(missing)}", path, 1)
        doc = Document(**{c: row.get(c, "").strip() for c in (*MANIFEST_COLUMNS, *SOURCE_COLUMNS)})
        if not doc.doc or "-" in doc.doc:
            raise BenchError(f"document id {doc.doc!r} must be non-empty and without '-'", path, line)
        if doc.doc in seen:
            raise BenchError(f"document id {doc.doc!r} already used on line {seen[doc.doc]}", path, line)
        if not check_name(doc.file, "file", path, line).endswith(SEED_SUFFIX):
            raise BenchError(f"file {doc.file!r} must be the name of a {SEED_SUFFIX} file", path, line)
        if doc.file in files:
            raise BenchError(f"file {doc.file!r} already named on line {files[doc.file]}", path, line)
        files[doc.file] = line
        if doc.language not in LANGUAGES:
            raise BenchError(f"language {doc.language!r} is not one of {', '.join(LANGUAGES)}", path, line)
        if doc.date and not DATE.match(doc.date):
            raise BenchError(f"date {doc.date!r} is not YYYY-MM or YYYY-MM-DD", path, line)
        if not doc.story:
            raise BenchError("story is empty", path, line)
        if doc.url and not URL.match(doc.url):
            raise BenchError(f"url {doc.url!r} is not an http(s) address", path, line)
        seen[doc.doc] = line
        documents.append((line, doc))
    return documents


def load_corpus(root: Path) -> Corpus:
    """Read the manifest and every seed file it names; any mismatch is an error naming the file and line."""
    root = Path(root)
    manifest_path = root / MANIFEST
    documents = read_manifest(root)
    listed = {doc.file for _, doc in documents}
    for path in sorted(root.iterdir()):
        if path.name.endswith(SEED_SUFFIX) and path.name not in listed:
            raise BenchError("seed file has no row in the manifest", path)
        if path.name != MANIFEST and path.name not in listed:
            raise BenchError(f"the seeds folder holds only {MANIFEST} and the {SEED_SUFFIX} files it names; move this "
                             "elsewhere", path)
    paragraphs: list[Paragraph] = []
    for line, doc in documents:
        path = root / doc.file
        if not path.is_file():
            raise BenchError(f"manifest names {doc.file!r}, which does not exist" if not path.exists() else
                             f"manifest names {doc.file!r}, which is not a file", manifest_path, line)
        text = seed_text(read_text(path))
        metadata, body = strip_metadata(text)
        if metadata.get("date") and doc.date and metadata["date"] != doc.date:
            raise BenchError(
                f"manifest date {doc.date!r} differs from the file's metadata date {metadata['date']!r}",
                manifest_path, line,
            )
        offset = text[: len(text) - len(body)].count("\n")
        blocks = split_paragraphs(body)
        if not blocks:
            raise BenchError("seed file has no paragraphs", path)
        for position, (first_line, block) in enumerate(blocks, start=1):
            paragraphs.append(Paragraph(
                id=f"{doc.doc}-{position:02d}", doc=doc.doc, position=position, language=doc.language,
                story=doc.story, text=block, sha256=sha256_text(block), line=first_line + offset,
            ))
    return Corpus(root, tuple(d for _, d in documents), tuple(paragraphs))


def seed_files(corpus: Corpus) -> list[Path]:
    """The files the corpus is read from: the manifest and the seed files it names."""
    return [corpus.root / MANIFEST, *(corpus.root / d.file for d in corpus.documents)]

"""Fill the texts back into a text-free deserter-bench export from your own copies of the articles.

Usage: python rebuild_texts.py EXPORT_FOLDER ARTICLES_FOLDER

ARTICLES_FOLDER holds the articles as UTF-8 text files, named as below. Every paragraph's SHA-256 is
checked against the export. Needs the `datasets` package. Run it without arguments to see where each
article was published.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import datasets

from ..data.corpus import seed_text, split_paragraphs, strip_metadata  # the export writes out their source

FILES: dict[str, str] = {}  # each document's article file: the export writes the corpus's
SOURCES: dict[str, list[str]] = {}  # each document's publisher and address, where known: the export writes them


def sources() -> str:
    """Where each article was published, so that one can get one's own copy of it."""
    return "".join(f"  {FILES[doc]}: {publisher or 'publisher not named in the text'}, "
                   f"{url or 'no address known'}\n" for doc, (publisher, url) in SOURCES.items())


def paragraph_texts(articles: Path) -> dict[str, str]:
    """Every paragraph's text by id, split from the articles as the benchmark splits its seed files."""
    texts = {}
    for doc, name in FILES.items():
        raw = seed_text((articles / name).read_text(encoding="utf-8"))
        for position, (_, block) in enumerate(split_paragraphs(strip_metadata(raw)[1]), start=1):
            texts[f"{doc}-{position:02d}"] = block
    return texts


def check_hashes(export: Path, texts: dict[str, str]) -> None:
    """Stop at the first paragraph that is missing from the copies or differs from the one that was labelled."""
    hashes: dict[str, str] = {}
    for path in sorted(export.glob("paragraphs/*.parquet")):
        rows = datasets.Dataset.from_parquet(str(path))
        hashes.update(zip(rows["id"], rows["sha256"]))
    for paragraph, expected in hashes.items():
        if paragraph not in texts:
            sys.exit(f"paragraph {paragraph} is not in your copies of the articles")
        if hashlib.sha256(texts[paragraph].encode("utf-8")).hexdigest() != expected:
            sys.exit(f"your copy of paragraph {paragraph} differs from the one that was labelled")


def main(export: Path, articles: Path) -> None:
    missing = [name for name in FILES.values() if not (articles / name).is_file()]
    if missing:
        sys.exit(f"{articles} lacks {', '.join(missing)}; the articles were published at:\n{sources()}")
    texts = paragraph_texts(articles)
    check_hashes(export, texts)
    for path in sorted(export.glob("*/*.parquet")):  # every text checked: now fill them in
        rows = datasets.Dataset.from_parquet(str(path))
        if "text" in rows.column_names:
            rows.remove_columns("text").add_column("text", [texts[i] for i in rows["id"]]).to_parquet(str(path))
            print(f"{path}: {len(rows)} texts filled in")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(f"{__doc__}\nThe articles were published at:\n{sources()}")
    main(Path(sys.argv[1]), Path(sys.argv[2]))

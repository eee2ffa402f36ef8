"""Generated blocks of the project's Markdown pages (the README, docs/performance.md): the text between
`<!-- name:start -->` and `<!-- name:end -->`, rewritten from the records or the measurements, never by hand."""

from __future__ import annotations

from pathlib import Path

from ..annotation.agreement import RoundAgreement
from ..files import atomic_write, read_text
from .tables import agreement_table


def update_readme(readme: Path, section: str, block: str) -> bool:
    """Replace the text between `<!-- section:start -->` and `<!-- section:end -->`; else leave the page alone."""
    if not readme.exists():
        return False
    text = read_text(readme)
    start_marker, end_marker = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        return False
    updated = text[: start + len(start_marker)] + "\n" + block + text[end:]
    if updated != text:
        atomic_write(readme, updated)
    return True


def results_block(tables: str, agreements: dict[str, RoundAgreement]) -> str:
    """The README's results block: the headline tables, then the agreement of each round's annotation passes."""
    if not agreements:
        return tables
    return (tables + "\n**Annotator agreement** (the blind passes of each version of the guidelines, before "
            "adjudication)\n\n" + agreement_table(agreements))

"""The documentation: a README that stays a front door, and no link in it or in docs/ that leads nowhere."""

import re
from collections import Counter
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
README_LIMIT = 25_000  # bytes: past this the README is a manual again, and its details belong in docs/
PARSER = MarkdownIt("commonmark").enable("table")


def tokens(page: Path) -> list:
    """The page's inline tokens and their children: where the links and the heading texts are."""
    found = []
    for token in PARSER.parse(page.read_text(encoding="utf-8")):
        found += [token, *(token.children or [])]
    return found


def links(page: Path) -> list[str]:
    return [token.attrs["href"] for token in tokens(page) if token.type == "link_open"]


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor, a repeated one numbered as GitHub numbers it (`-1`, `-2`)."""
    parsed = PARSER.parse(page.read_text(encoding="utf-8"))
    headings = [slug("".join(child.content for child in after.children or [] if child.type in ("text", "code_inline")))
                for before, after in zip(parsed, parsed[1:]) if before.type == "heading_open"]
    seen: Counter = Counter()
    found = set()
    for name in headings:
        found.add(f"{name}-{seen[name]}" if seen[name] else name)
        seen[name] += 1
    return found


def test_the_slug_is_github_s():
    assert slug("Changes that move a number: make run") == "changes-that-move-a-number-make-run"
    assert slug("topic: macro-F1 over the classes in the test gold") == "topic-macro-f1-over-the-classes-in-the-test-gold"
    assert slug("lm-evaluation-harness and inspect-ai") == "lm-evaluation-harness-and-inspect-ai"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_and_its_anchor_to_a_heading(page):
    broken = []
    for href in links(page):
        target = urlsplit(href)
        if target.scheme or target.netloc:
            continue  # a web address: not checked offline
        path = (page.parent / unquote(target.path)).resolve() if target.path else page
        if not path.exists():
            broken.append(f"{href}: no such file")
        elif target.fragment and (path.suffix != ".md" or target.fragment not in anchors(path)):
            broken.append(f"{href}: no heading with this anchor")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def test_the_readme_is_a_front_door():
    readme = ROOT / "README.md"
    assert readme.stat().st_size <= README_LIMIT
    first = "".join(readme.read_text(encoding="utf-8").splitlines(keepends=True)[:60])
    assert "make run" in first and "make test" in first, "the two commands come first"
    linked = {(readme.parent / urlsplit(href).path).resolve() for href in links(readme) if href.startswith("docs/")}
    assert linked == {page.resolve() for page in PAGES if page.parent.name == "docs"}, "every page of docs/ is linked"


def test_each_generated_block_has_its_markers_once():
    """The generators rewrite the text between the markers: a block without them, or with two, is never updated."""
    blocks = {"README.md": ("summary", "results"), "docs/performance.md": ("performance",)}
    for name, sections in blocks.items():
        text = (ROOT / name).read_text(encoding="utf-8")
        for section in sections:
            start, end = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
            assert text.count(start) == text.count(end) == 1 and text.index(start) < text.index(end), (name, section)


def test_the_readme_cites_the_release_as_its_card_does():
    from bench import __version__
    from bench.publishing.card import citation

    assert f"```bibtex\n{citation(__version__)[0]}\n```" in (ROOT / "README.md").read_text(encoding="utf-8")

"""The commands that read the corpus and the labels: list the corpus, validate the labels.

Kept light: they import no model library.
"""

from __future__ import annotations

import sys

from ..data import labels
from ..data.alignment import load_alignments
from ..data.corpus import Corpus
from ..files import BenchError
from .project import Project


def corpus(project: Project) -> int:
    """Print the documents, their paragraph counts and the duplicate paragraphs."""
    found = project.corpus()
    print("| doc | file | language | date | story | paragraphs |\n|---|---|---|---|---|---|")
    for d in found.documents:
        count = sum(p.doc == d.doc for p in found.paragraphs)
        print(f"| {d.doc} | {d.file} | {d.language} | {d.date or 'n/a'} | {d.story} | {count} |")
    print(f"\n{len(found.paragraphs)} paragraphs in {len(found.documents)} documents")
    report_duplicates(found)
    return 0


def report_duplicates(found: Corpus) -> None:
    """Name the paragraphs that share a text: a model may see one in training and one in test."""
    for group in found.duplicates():
        print(f"duplicate: paragraphs {', '.join(group)} have identical text")


def validate(project: Project) -> int:
    """Print every problem of gold, the annotation passes of every round and the alignments; exit 1 if there is
    one."""
    found = project.corpus()
    problems = labels.validate(project.labels, project.schema(), found)
    try:
        load_alignments(project.labels, found)
    except BenchError as err:
        problems.append(err)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    report_duplicates(found)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 1
    print(f"ok: {len(found.paragraphs)} paragraphs, gold, annotations and alignments valid")
    return 0

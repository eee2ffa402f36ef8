"""Interactive labelling in the terminal: one key per label, every finished paragraph saved at once."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..data.corpus import Corpus, Paragraph
from ..data.schema import Field, Schema
from ..files import append_jsonl, locked

HELP, BACK, SKIP, QUIT = "?", "b", "s", "q"
KEEP = ("\n", "\r")  # Enter keeps the answer given before; "\r" where the terminal does not translate it
MIN_WIDTH = 40  # narrower terminals still get lines this long, so that the indents leave room for words
CONTEXT_LINES = 3  # lines shown of each neighbouring paragraph; the rest is cut at a word


@dataclass
class Session:
    """Walks an annotator through paragraphs; `read_key` yields key presses and `write` shows text.

    `given` holds this session's answers by paragraph id: going back shows them as defaults, and the summary
    counts from them and from `relabelled` (the paragraphs whose answers were changed after going back)."""

    corpus: Corpus
    schema: Schema
    path: Path
    read_key: Iterator[str]
    write: Callable[[str], None]
    done: set[str] = field(default_factory=set)
    given: dict[str, dict[str, str]] = field(default_factory=dict)
    relabelled: set[str] = field(default_factory=set)

    def queue(self, docs: Sequence[str] | None = None) -> list[Paragraph]:
        """The paragraphs still to label, in corpus order, optionally of some documents only."""
        return [p for p in self.corpus.paragraphs if p.id not in self.done and (not docs or p.doc in docs)]

    def run(self, docs: Sequence[str] | None = None) -> None:
        """Label until the queue is empty or the annotator quits. The queue is fixed at the start, so a
        paragraph keeps its number however often the annotator goes back to it."""
        queue = self.queue(docs)
        position = 0
        while position < len(queue):
            answer = self.ask(queue[position], position + 1, len(queue))
            if answer is None:
                self.write("\nQuit. Every finished paragraph is saved; the next session resumes here.\n")
                return
            if answer == BACK:
                position -= 1
                continue
            if isinstance(answer, dict):
                self.save(queue[position], answer)
            position += 1
        self.write("\nNothing left to label.\n")

    def summary(self) -> str:
        """How many paragraphs this session labelled, and how many of them it labelled again."""
        return f"{len(self.given)} labelled, {len(self.relabelled)} relabelled"

    def ask(self, paragraph: Paragraph, number: int, total: int) -> dict[str, str] | str | None:
        """The labels of one paragraph (this session's earlier ones as defaults), or BACK, SKIP, or None to quit."""
        self.show(paragraph, number, total)
        fields = list(self.schema.fields.values())
        answers = dict(self.given.get(paragraph.id, {}))
        index = 0
        while index < len(fields):
            spec = fields[index]
            keys = {str(i): label for i, label in enumerate(spec.labels, start=1)}
            key = self.prompt(spec, keys, answers.get(spec.name))
            if key in keys:
                answers[spec.name] = keys[key]
                index += 1
            elif key in KEEP and spec.name in answers:
                index += 1
            elif key == HELP:
                self.write(self.guideline(spec.name))
                self.show(paragraph, number, total)
            elif key == BACK:
                if index > 0:
                    index -= 1
                elif number > 1:
                    return BACK
                else:
                    self.write("  (this is the first paragraph of the session)\n")
            elif key == SKIP:
                return SKIP
            elif key == QUIT:
                return None
            else:
                self.write("  (no earlier answer to keep)\n" if key in KEEP else f"  unknown key {key!r}\n")
        return answers

    def prompt(self, spec: Field, keys: dict[str, str], default: str | None) -> str:
        """Show one field's choices, and the earlier answer that Enter keeps, and read one key."""
        choices = "  ".join(f"[{key}] {label}" for key, label in keys.items())
        target = f" toward {spec.target.rstrip('.')}" if spec.target else ""
        keep = f"  [Enter] keep {default}" if default else ""
        self.write(f"\n{spec.name}{target}:\n  {choices}\n"
                   f"  [{HELP}] guideline  [{BACK}] back  [{SKIP}] skip  [{QUIT}] quit{keep} > ")
        key = next(self.read_key, QUIT)
        self.write(("" if key in KEEP else key) + "\n")
        return key

    def show(self, paragraph: Paragraph, number: int, total: int) -> None:
        """The paragraph with its article's title and its neighbours, which some labels depend on, wrapped at
        words to the terminal's width."""
        width = max(shutil.get_terminal_size().columns, MIN_WIDTH)
        siblings = [p for p in self.corpus.paragraphs if p.doc == paragraph.doc]
        document = next(d for d in self.corpus.documents if d.doc == paragraph.doc)
        index = siblings.index(paragraph)
        lines = ["", "=" * width,
                 f"[{number}/{total}] {paragraph.id}  ({document.language}, {document.date or 'undated'}, "
                 f"story {document.story})",
                 textwrap.shorten(f"Article: {siblings[0].text}", width, placeholder=" …")]
        if index > 0:
            lines += ["", *context_lines("before", siblings[index - 1].text, width)]
        lines += ["", textwrap.fill(paragraph.text, width, initial_indent="  >> ", subsequent_indent="     ")]
        if index + 1 < len(siblings):
            lines += ["", *context_lines("after", siblings[index + 1].text, width)]
        self.write("\n".join(lines) + "\n")

    def guideline(self, field_name: str) -> str:
        """The field's label definitions and its section of GUIDELINES.md."""
        spec = self.schema.fields[field_name]
        definitions = "".join(f"  {label}: {text}\n" for label, text in spec.definitions.items())
        return f"\n--- {field_name} ---\n{definitions}\n{spec.guidance}\n---\n"

    def save(self, paragraph: Paragraph, answers: dict[str, str]) -> None:
        """Append the paragraph's labels at once, so a killed session loses nothing finished; under the lock, so
        another command writing the same file (a second session, an import) never interleaves with it. Answers
        kept unchanged after going back are not written again."""
        earlier = self.given.get(paragraph.id)
        if earlier == answers:
            return
        with locked(self.path):
            append_jsonl(self.path, {"id": paragraph.id, "sha256": paragraph.sha256, **answers})
        if earlier is not None:
            self.relabelled.add(paragraph.id)
        self.given[paragraph.id] = answers


def context_lines(label: str, text: str, width: int) -> list[str]:
    """A neighbouring paragraph after its label, wrapped at words to `width` and cut after CONTEXT_LINES lines."""
    return textwrap.wrap(" ".join(text.split()), width, initial_indent=f"  {label}: ",
                         subsequent_indent=" " * (len(label) + 4), max_lines=CONTEXT_LINES, placeholder=" …")


def terminal_keys(stream=None) -> Iterator[str]:
    """Single key presses from a terminal; from a pipe, the characters of each line."""
    stream = stream or sys.stdin
    if not stream.isatty():
        for line in stream:
            yield from line.strip()
        return
    import termios
    import tty
    descriptor = stream.fileno()
    saved = termios.tcgetattr(descriptor)
    tty.setcbreak(descriptor)
    try:
        while key := os.read(descriptor, 1).decode("utf-8", errors="replace"):
            yield key
    finally:
        termios.tcsetattr(descriptor, termios.TCSADRAIN, saved)

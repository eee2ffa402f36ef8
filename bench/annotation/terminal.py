"""Interactive labelling in the terminal: one key per label, every finished paragraph saved at once."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..data.corpus import Corpus, Paragraph
from ..data.schema import Schema
from ..files import append_jsonl, locked

HELP, BACK, SKIP, QUIT = "?", "b", "s", "q"
WIDTH = 100


@dataclass
class Session:
    """Walks an annotator through paragraphs; `read_key` yields key presses and `write` shows text."""

    corpus: Corpus
    schema: Schema
    path: Path
    read_key: Iterator[str]
    write: Callable[[str], None]
    done: set[str] = field(default_factory=set)

    def queue(self, docs: Sequence[str] | None = None) -> list[Paragraph]:
        """The paragraphs still to label, in corpus order, optionally of some documents only."""
        return [p for p in self.corpus.paragraphs if p.id not in self.done and (not docs or p.doc in docs)]

    def run(self, docs: Sequence[str] | None = None) -> int:
        """Label until the queue is empty or the annotator quits; returns how many paragraphs were saved."""
        queue = self.queue(docs)
        history: list[Paragraph] = []
        saved = 0
        position = 0
        while position < len(queue):
            paragraph = queue[position]
            answer = self.ask(paragraph, position + 1, len(queue), can_go_back=bool(history))
            if answer is None:
                self.write("\nQuit. Every finished paragraph is saved; the next session resumes here.\n")
                return saved
            if answer == BACK:
                queue.insert(position, history.pop())
                continue
            if answer != SKIP:
                self.save(paragraph, answer)
                history.append(paragraph)
                saved += 1
            position += 1
        self.write("\nNothing left to label.\n")
        return saved

    def ask(self, paragraph: Paragraph, number: int, total: int, can_go_back: bool):
        """The four labels of one paragraph, or BACK, SKIP, or None to quit."""
        self.show(paragraph, number, total)
        fields = list(self.schema.fields.values())
        answers: dict[str, str] = {}
        index = 0
        while index < len(fields):
            spec = fields[index]
            keys = {str(i): label for i, label in enumerate(spec.labels, start=1)}
            choices = "  ".join(f"[{key}] {label}" for key, label in keys.items())
            target = f" toward {spec.target.rstrip('.')}" if spec.target else ""
            self.write(f"\n{spec.name}{target}:\n  {choices}\n"
                       f"  [{HELP}] guideline  [{BACK}] back  [{SKIP}] skip  [{QUIT}] quit > ")
            key = next(self.read_key, QUIT)
            self.write(key + "\n")
            if key in keys:
                answers[spec.name] = keys[key]
                index += 1
            elif key == HELP:
                self.write(self.guideline(spec.name))
            elif key == BACK:
                if index > 0:
                    index -= 1
                elif can_go_back:
                    return BACK
                else:
                    self.write("  (this is the first paragraph of the session)\n")
            elif key == SKIP:
                return SKIP
            elif key == QUIT:
                return None
            else:
                self.write(f"  unknown key {key!r}\n")
        return answers

    def show(self, paragraph: Paragraph, number: int, total: int) -> None:
        """The paragraph with its article's title and its neighbours, which some labels depend on."""
        siblings = [p for p in self.corpus.paragraphs if p.doc == paragraph.doc]
        document = next(d for d in self.corpus.documents if d.doc == paragraph.doc)
        index = siblings.index(paragraph)
        lines = ["", "=" * WIDTH,
                 f"[{number}/{total}] {paragraph.id}  ({document.language}, {document.date or 'undated'}, "
                 f"story {document.story})",
                 f"Article: {_clip(siblings[0].text, WIDTH - 9)}"]
        if index > 0:
            lines += ["", "  before: " + _clip(siblings[index - 1].text, 3 * WIDTH)]
        lines += ["", textwrap.fill(paragraph.text, WIDTH, initial_indent="  >> ", subsequent_indent="     ")]
        if index + 1 < len(siblings):
            lines += ["", "  after: " + _clip(siblings[index + 1].text, 3 * WIDTH)]
        self.write("\n".join(lines) + "\n")

    def guideline(self, field_name: str) -> str:
        """The field's label definitions and its section of GUIDELINES.md."""
        spec = self.schema.fields[field_name]
        definitions = "".join(f"  {label}: {text}\n" for label, text in spec.definitions.items())
        return f"\n--- {field_name} ---\n{definitions}\n{spec.guidance}\n---\n"

    def save(self, paragraph: Paragraph, answers: dict[str, str]) -> None:
        """Append the paragraph's labels at once, so a killed session loses nothing finished; under the lock, so
        another command writing the same file (a second session, an import) never interleaves with it."""
        with locked(self.path):
            append_jsonl(self.path, {"id": paragraph.id, "sha256": paragraph.sha256, **answers})
        self.done.add(paragraph.id)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


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

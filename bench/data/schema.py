"""The label scheme, read from the "Label set" section of labels/GUIDELINES.md: the one place label names live."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from ..files import BenchError, read_text

SECTION = "## Label set"
FIELD_HEADING = re.compile(r"###\s+(\w+)\s*\Z")
TARGET_LINE = re.compile(r"Target:\s*(.+?)\s*\Z")
LABEL_LINE = re.compile(r"-\s+`(\w+)`:\s*(.+?)\s*\Z")
KIND_FIELD = "kind"


@dataclass(frozen=True)
class Field:
    """A label field: its labels with their definitions, and for stance its target."""
    name: str
    labels: tuple[str, ...]
    definitions: dict[str, str]
    target: str | None = None
    guidance: str = ""  # the field's section of the guidelines, for annotators who ask for it


@dataclass(frozen=True)
class Schema:
    """Every label field of the guidelines, in their order; kind comes first."""
    fields: dict[str, Field]

    @property
    def label_fields(self) -> tuple[str, ...]:
        return tuple(self.fields)

    @property
    def task_fields(self) -> tuple[Field, ...]:
        """Every field but kind is a task; kind only selects which paragraphs are evaluated."""
        return tuple(f for name, f in self.fields.items() if name != KIND_FIELD)


def parse_schema(text: str, path: Path | str = "GUIDELINES.md") -> Schema:
    """The label set section of the guidelines as a Schema; any malformed line is an error naming it."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == SECTION)
    except StopIteration:
        raise BenchError(f"no '{SECTION}' section", path) from None
    fields: dict[str, Field] = {}
    name: str | None = None
    target: str | None = None
    labels: dict[str, str] = {}

    def close() -> None:
        if name is not None:
            if not labels:
                raise BenchError(f"field {name!r} lists no labels", path)
            fields[name] = Field(name, tuple(labels), dict(labels), target)

    for number, raw in enumerate(lines[start + 1:], start=start + 2):
        line = raw.strip()
        if line.startswith("## "):
            break
        if heading := FIELD_HEADING.match(line):
            close()
            name, target, labels = heading.group(1), None, {}
        elif name and (match := TARGET_LINE.match(line)):
            target = match.group(1)
        elif name and (match := LABEL_LINE.match(line)):
            if match.group(1) in labels:
                raise BenchError(f"label {match.group(1)!r} listed twice", path, number)
            labels[match.group(1)] = match.group(2)
        elif line:
            raise BenchError(f"unexpected line in '{SECTION}': {line[:60]!r}", path, number)
    close()
    if KIND_FIELD not in fields:
        raise BenchError(f"'{SECTION}' has no '{KIND_FIELD}' field", path)
    sections = guideline_sections(lines)
    return Schema({name: replace(field, guidance=sections.get(name, sections.get(name.split("_")[0], "")))
                   for name, field in fields.items()})


def guideline_sections(lines: list[str]) -> dict[str, str]:
    """The body of every `## Title` section, keyed by its title in lower case with `_` for spaces.

    A field's guidance is the section named like the field or like its first part (stance_war: `## Stance`).
    """
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines:
        if line.startswith("## "):
            current = sections.setdefault(line[3:].strip().lower().replace(" ", "_"), [])
        elif current is not None:
            current.append(line)
    return {title: "\n".join(body).strip("\n").rstrip() for title, body in sections.items()}


def load_schema(path: Path) -> Schema:
    """The schema of a GUIDELINES.md file."""
    return parse_schema(read_text(path), path)

"""Tasks and settings: which labelled examples a task has, and how documents are split into train and test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from .corpus import Corpus
from .files import BenchError
from .labels import LabelRow
from .schema import Schema


@dataclass(frozen=True)
class Task:
    """A classification task over one label field; stance tasks carry the description of their target."""

    name: str
    labels: tuple[str, ...]
    definitions: dict[str, str]
    target: str | None

    @property
    def is_stance(self) -> bool:
        return self.target is not None


@dataclass(frozen=True)
class Example:
    id: str
    doc: str
    language: str
    story: str
    kind: str
    target: str
    text: str
    label: str


@dataclass(frozen=True)
class Fold:
    train_docs: tuple[str, ...]
    test_docs: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    """One cell of the results table: a setting, a train and a test language, and its folds."""

    setting: str
    train_language: str
    test_language: str
    folds: tuple[Fold, ...]

    @property
    def name(self) -> str:
        if self.train_language == self.test_language:
            return f"{self.setting}:{self.test_language}"
        return f"{self.setting}:{self.train_language}>{self.test_language}"


def tasks_from_schema(schema: Schema) -> dict[str, Task]:
    return {f.name: Task(f.name, f.labels, f.definitions, f.target) for f in schema.task_fields}


def build_examples(task: Task, corpus: Corpus, gold: dict[str, LabelRow], kinds: Sequence[str]) -> list[Example]:
    """The task's rows, one per labelled paragraph of the chosen kinds, in corpus order."""
    examples = []
    for p in corpus.paragraphs:
        row = gold.get(p.id)
        if row is not None and row.labels["kind"] in kinds:
            examples.append(Example(p.id, p.doc, p.language, p.story, row.labels["kind"], task.target or "",
                                    p.text, row.labels[task.name]))
    return examples


def leave_one_out(docs: Sequence[str]) -> tuple[Fold, ...]:
    return tuple(Fold(tuple(d for d in docs if d != held), (held,)) for held in docs)


def in_language(docs_by_language: dict[str, list[str]]) -> list[Evaluation]:
    """Leave one document out inside each language that has at least two documents."""
    return [Evaluation("in_language", language, language, leave_one_out(docs))
            for language, docs in sorted(docs_by_language.items()) if len(docs) >= 2]


def cross_lingual(docs_by_language: dict[str, list[str]]) -> list[Evaluation]:
    """Train on every document of one language, test on every document of another."""
    return [Evaluation("cross_lingual", source, target, (Fold(tuple(docs_by_language[source]),
                                                               tuple(docs_by_language[target])),))
            for source in sorted(docs_by_language) for target in sorted(docs_by_language) if source != target]


def multilingual(docs_by_language: dict[str, list[str]]) -> list[Evaluation]:
    """Leave one document out over all languages together."""
    docs = sorted(d for docs in docs_by_language.values() for d in docs)
    return [Evaluation("multilingual", "all", "all", leave_one_out(docs))] if len(docs) >= 2 else []


SETTINGS: dict[str, Callable[[dict[str, list[str]]], list[Evaluation]]] = {
    "in_language": in_language,
    "cross_lingual": cross_lingual,
    "multilingual": multilingual,
}


def evaluations(setting: str, examples: Sequence[Example]) -> list[Evaluation]:
    if setting not in SETTINGS:
        raise BenchError(f"unknown setting {setting!r} (known: {', '.join(SETTINGS)})")
    docs_by_language: dict[str, list[str]] = {}
    for example in examples:
        docs = docs_by_language.setdefault(example.language, [])
        if example.doc not in docs:
            docs.append(example.doc)
    return SETTINGS[setting](docs_by_language)


def split(examples: Sequence[Example], fold: Fold) -> tuple[list[Example], list[Example]]:
    train = [e for e in examples if e.doc in fold.train_docs]
    test = [e for e in examples if e.doc in fold.test_docs]
    return train, test

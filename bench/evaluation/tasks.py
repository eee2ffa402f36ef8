"""Tasks: which labelled examples a task has, built from the label scheme and the gold labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..data.corpus import Corpus
from ..data.labels import LabelRow
from ..data.schema import KIND_FIELD, Schema

STANCE_POLES = ("favor", "against")


@dataclass(frozen=True)
class Task:
    """A classification task over one label field; stance tasks carry the description of their target.

    `poles` are the stance labels whose mean F1 is F_avg; an external stance data set has a target per row,
    so its task's `target` is "".
    """

    name: str
    labels: tuple[str, ...]
    definitions: dict[str, str]
    target: str | None
    poles: tuple[str, ...] = ()
    # F_avg over the poles that occur in the pooled test gold (the benchmark), or over all configured poles
    # as in SemEval-2016 (external data sets, to compare with published tables).
    poles_present_only: bool = True


@dataclass(frozen=True)
class Example:
    """One row of a task: a paragraph (and target) with its gold label and what groups it."""
    id: str
    doc: str
    language: str
    story: str
    target: str
    text: str
    label: str
    split: str = ""  # a data set's own train/test split, where it has one
    # (column, value) for each column an external data set's scores are also reported by (`report_by`)
    facets: tuple[tuple[str, str], ...] = ()


def tasks_from_schema(schema: Schema) -> dict[str, Task]:
    """One task per label field of the guidelines but kind: the task registry is GUIDELINES.md's label set."""
    return {f.name: Task(f.name, f.labels, f.definitions, f.target, STANCE_POLES if f.target is not None else ())
            for f in schema.task_fields}


def build_examples(task: Task, corpus: Corpus, gold: dict[str, LabelRow], kinds: Sequence[str]) -> list[Example]:
    """The task's rows, one per labelled paragraph of the chosen kinds, in corpus order."""
    examples = []
    for p in corpus.paragraphs:
        row = gold.get(p.id)
        if row is not None and row.labels[KIND_FIELD] in kinds:
            examples.append(Example(p.id, p.doc, p.language, p.story, task.target or "", p.text,
                                    row.labels[task.name]))
    return examples


def frame(rows: Sequence[Example]):
    """What a model sees: the paragraph texts and the stance target's description, and the paragraph ids (for
    models that look predictions up)."""
    import pandas as pd
    return pd.DataFrame({"text": [e.text for e in rows], "target": [e.target for e in rows],
                         "id": [e.id for e in rows]})

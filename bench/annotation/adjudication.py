"""Adjudication: gold rows where the annotators agree, and a person's resolution of each conflict."""

from __future__ import annotations

from collections.abc import Sequence

from ..data.corpus import Corpus
from ..data.labels import LabelRow
from ..data.schema import Schema
from ..files import BenchError
from .agreement import labels_given


def adjudicate(passes: dict[str, dict[str, LabelRow]], gold_ids: set[str], schema: Schema, corpus: Corpus,
               min_annotators: int = 2) -> tuple[list[dict], list[dict]]:
    """Gold rows where enough annotators agree on every field, and the conflicts a person must resolve.

    Paragraphs already in gold are never proposed again, so a resolved gold label is never overwritten.
    """
    proposed, conflicts = [], []
    for paragraph in corpus.paragraphs:
        if paragraph.id in gold_ids:
            continue
        given_per_field = labels_given(passes, paragraph.id, schema)
        if len(next(iter(given_per_field.values()))) < min_annotators:
            continue
        agreed, disputed = {}, {}
        for name, given in given_per_field.items():
            if len(set(given.values())) == 1:
                agreed[name] = next(iter(given.values()))
            else:
                disputed[name] = given
        if disputed:
            conflicts.append({"id": paragraph.id, "sha256": paragraph.sha256, "agreed": agreed, "disputed": disputed})
        else:
            proposed.append({"id": paragraph.id, "sha256": paragraph.sha256, **agreed})
    return proposed, conflicts


def resolve(conflict: dict, choices: dict[str, str], reason: str, schema: Schema) -> dict:
    """The gold row for one conflict: the agreed labels, a person's choice for each disputed field, and why."""
    missing = sorted(set(conflict["disputed"]) - set(choices))
    if missing:
        raise BenchError(f"{conflict['id']}: choose a label for {', '.join(missing)}")
    unknown = sorted(set(choices) - set(conflict["disputed"]))
    if unknown:
        raise BenchError(f"{conflict['id']}: {', '.join(unknown)} not in dispute")
    for name, label in choices.items():
        if label not in schema.fields[name].labels:
            raise BenchError(f"{conflict['id']}: unknown label {label!r} for {name} "
                             f"(allowed: {', '.join(schema.fields[name].labels)})")
    if not reason.strip():
        raise BenchError(f"{conflict['id']}: give a one-line reason for the decision")
    return {"id": conflict["id"], "sha256": conflict["sha256"], **conflict["agreed"], **choices,
            "reasons": {name: reason.strip() for name in choices}}


def parse_choices(choices: Sequence[str]) -> dict[str, str]:
    """`FIELD=LABEL` arguments as a mapping; anything else is an error naming the argument."""
    malformed = [choice for choice in choices if "=" not in choice]
    if malformed:
        raise BenchError(f"--set takes FIELD=LABEL, not {malformed[0]!r}")
    return dict(choice.split("=", 1) for choice in choices)

"""Agreement between annotation passes: raw agreement, Cohen's kappa, Krippendorff's alpha and the disputes."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..data.corpus import Corpus
from ..data.labels import GUIDELINES, LabelRow, label_rounds, load_annotations, load_gold
from ..data.schema import KIND_FIELD, Schema, load_schema

# A pass that labels fewer than this share of its round's body paragraphs (a trial, or a pass still under way) is
# left out of the published agreement: its few paragraphs would speak for the whole round.
MIN_COVERAGE = 0.5


def cohen_kappa(left: Sequence, right: Sequence, labels: Sequence | None = None) -> float:
    """Cohen's kappa; nan (shown as n/a) where it is undefined: no shared units, or both sides use one label."""
    from sklearn.metrics import cohen_kappa_score

    if not len(left):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(cohen_kappa_score(left, right, labels=None if labels is None else list(labels)))


def agreement(passes: dict[str, dict[str, LabelRow]], schema: Schema) -> dict:
    """Per field: pairwise raw agreement and Cohen's kappa, and Krippendorff's alpha over all annotators."""
    import krippendorff

    annotators = sorted(passes)
    units = sorted(set().union(*(p.keys() for p in passes.values()))) if passes else []
    result = {}
    for name, spec in schema.fields.items():
        code = {label: i for i, label in enumerate(spec.labels)}
        matrix = np.array([[code[passes[a][u].labels[name]] if u in passes[a] else np.nan for u in units]
                           for a in annotators], dtype=float)
        pairs = []
        for left, right in itertools.combinations(range(len(annotators)), 2):
            shared = ~np.isnan(matrix[left]) & ~np.isnan(matrix[right])
            a, b = matrix[left][shared], matrix[right][shared]
            kappa = cohen_kappa(a, b, list(code.values()))
            confusion = np.zeros((len(spec.labels), len(spec.labels)), dtype=int)
            np.add.at(confusion, (a.astype(int), b.astype(int)), 1)
            pairs.append({"annotators": [annotators[left], annotators[right]], "units": int(shared.sum()),
                          "raw_agreement": float(np.mean(a == b)) if len(a) else float("nan"), "cohen_kappa": kappa,
                          "confusion": confusion.tolist()})
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                alpha = float(krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal",
                                                 value_domain=list(range(len(spec.labels)))))
        except (ValueError, ZeroDivisionError):
            alpha = float("nan")
        result[name] = {"pairs": pairs, "krippendorff_alpha": alpha}
    return result


def labels_given(passes: dict[str, dict[str, LabelRow]], paragraph_id: str,
                 schema: Schema) -> dict[str, dict[str, str]]:
    """Per field, the label each annotator who labelled the paragraph gave it."""
    rows = {a: p[paragraph_id] for a, p in sorted(passes.items()) if paragraph_id in p}
    return {name: {annotator: row.labels[name] for annotator, row in rows.items()} for name in schema.label_fields}


def disputes(passes: dict[str, dict[str, LabelRow]], schema: Schema, corpus: Corpus) -> list[dict]:
    """Paragraphs and fields on which the annotators who labelled them disagree, in corpus order."""
    found = []
    for paragraph in corpus.paragraphs:
        for name, given in labels_given(passes, paragraph.id, schema).items():
            if len(set(given.values())) > 1:
                found.append({"id": paragraph.id, "field": name, "labels": given})
    return found


@dataclass(frozen=True)
class RoundAgreement:
    """One round's agreement per field (empty with fewer than two passes that cover the round), and the passes
    left out: how many of the round's `body` paragraphs each labels."""

    fields: dict[str, dict]
    body: int
    left_out: dict[str, int] = field(default_factory=dict)


def body_paragraphs(gold: dict[str, LabelRow], corpus: Corpus) -> set[str]:
    """The paragraphs a pass's coverage is measured on: those gold labels body, or, before there is any gold,
    every paragraph of the corpus."""
    if not gold:
        return {paragraph.id for paragraph in corpus.paragraphs}
    return {i for i, row in gold.items() if row.labels[KIND_FIELD] == "body"}


def covering_passes(passes: dict[str, dict[str, LabelRow]],
                    body: set[str]) -> tuple[dict[str, dict[str, LabelRow]], dict[str, int]]:
    """The passes that label at least MIN_COVERAGE of the body paragraphs, and how many of them each other pass
    labels."""
    labelled = {annotator: len(body & set(rows)) for annotator, rows in passes.items()}
    kept = {a: rows for a, rows in passes.items() if labelled[a] >= MIN_COVERAGE * len(body)}
    return kept, {a: count for a, count in labelled.items() if a not in kept}


def round_agreements(labels_dir: Path, corpus: Corpus) -> dict[str, RoundAgreement]:
    """The agreement of each round of labels that has two or more passes, by version, newest first; each round
    is read with its own guidelines and gold, and a pass that covers too little of it is left out."""
    found = {}
    for version, folder in label_rounds(labels_dir).items():
        schema = load_schema(folder / GUIDELINES)
        passes = load_annotations(folder, schema, corpus)
        if len(passes) >= 2:
            body = body_paragraphs(load_gold(folder, schema, corpus), corpus)
            kept, left_out = covering_passes(passes, body)
            found[version] = RoundAgreement(agreement(kept, schema) if len(kept) >= 2 else {}, len(body), left_out)
    return found

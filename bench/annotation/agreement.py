"""Agreement between annotation passes: raw agreement, Cohen's kappa, Krippendorff's alpha and the disputes."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..data.corpus import Corpus
from ..data.labels import GUIDELINES, LabelRow, label_rounds, load_annotations
from ..data.schema import Schema, load_schema


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


def round_agreements(labels_dir: Path, corpus: Corpus) -> dict[str, dict]:
    """The agreement of each round of labels that has two or more passes, by version, newest first; each round
    is read with its own guidelines."""
    found = {}
    for version, folder in label_rounds(labels_dir).items():
        schema = load_schema(folder / GUIDELINES)
        passes = load_annotations(folder, schema, corpus)
        if len(passes) >= 2:
            found[version] = agreement(passes, schema)
    return found

"""Scores: macro-F1, accuracy, per-class scores and F_avg, from scikit-learn's metrics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support


def present_labels(gold: Sequence[str], labels: Sequence[str]) -> list[str]:
    """The classes that occur in the test gold, in the scheme's order: macro-F1 averages over these."""
    seen = set(gold)
    return [label for label in labels if label in seen]


def point_scores(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], poles: Sequence[str] = ()) -> dict:
    """Macro-F1 and accuracy; for stance, F_avg, the mean F1 of the two poles (favor and against)."""
    present = present_labels(gold, labels)
    scores = {
        "macro_f1": float(f1_score(gold, pred, labels=present, average="macro", zero_division=0)),
        "accuracy": float(accuracy_score(gold, pred)),
    }
    if poles:
        scores["f_avg"] = float(np.mean(f1_score(gold, pred, labels=list(poles), average=None,
                                                 zero_division=0)))
    return scores


def per_class(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of every label of the scheme."""
    precision, recall, f1, support = precision_recall_fscore_support(gold, pred, labels=list(labels),
                                                                     zero_division=0)
    return {label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)}


def transfer_ratio(cross_lingual: float, in_language: float) -> float | None:
    """How much of the in-language score survives the change of language; None where undefined."""
    return cross_lingual / in_language if in_language > 0 else None

"""Scores: macro-F1, accuracy, per-class scores and F_avg, from scikit-learn's metrics."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support


def present_labels(gold: Sequence[str], labels: Sequence[str]) -> list[str]:
    """The classes that occur in the test gold, in the scheme's order: macro-F1 averages over these."""
    found = set(gold)
    return [label for label in labels if label in found]


def macro_f1(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> float:
    """Macro-F1 over the given classes; 0 where there is none to average over."""
    if not labels:
        return 0.0
    return float(f1_score(gold, pred, labels=list(labels), average="macro", zero_division=0))


def point_scores(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str], poles: Sequence[str] = (),
                 seen: Sequence[str] | None = None) -> dict:
    """Macro-F1 over the classes in the test gold and accuracy; with `seen`, macro-F1 over the classes that
    are also in `seen` (those the training side had); with `poles`, F_avg, the mean F1 of the poles."""
    present = present_labels(gold, labels)
    scores = {"macro_f1": macro_f1(gold, pred, present), "accuracy": float(accuracy_score(gold, pred))}
    if seen is not None:
        scores["macro_f1_seen"] = macro_f1(gold, pred, [label for label in present if label in seen])
    if poles:
        scores["f_avg"] = float(np.mean(f1_score(gold, pred, labels=list(poles), average=None, zero_division=0)))
    return scores


def per_class(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support of every label of the scheme."""
    precision, recall, f1, support = precision_recall_fscore_support(gold, pred, labels=list(labels),
                                                                     zero_division=0)
    return {label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)}

"""A linear SVM on n-grams: the classic baseline of stance detection shared tasks."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from .registry import register
from .tfidf import ngram_features


@register("svm", rank=4)
def svm() -> BaseEstimator:
    """Word and character n-grams (ranges, weighting and C settable from the config) into LinearSVC."""
    return Pipeline([("features", ngram_features()),
                     ("classifier", LinearSVC(C=1.0, class_weight="balanced", max_iter=10_000))])

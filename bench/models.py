"""Models: scikit-learn estimators that fit on a frame of texts (and targets) and predict labels.

Every model takes a pandas DataFrame with the columns `text` and `target` (the stance target's
description, empty for topic), so a model may use the target or ignore it.
"""

from __future__ import annotations

from typing import Callable

from sklearn.base import BaseEstimator, clone
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .files import BenchError


def majority() -> BaseEstimator:
    return DummyClassifier(strategy="most_frequent")


def stratified() -> BaseEstimator:
    """Random labels drawn with the training distribution: the chance level a model must beat."""
    return DummyClassifier(strategy="stratified")


def tfidf() -> BaseEstimator:
    """Word and character n-grams of the paragraph, weighted by TF-IDF, into a linear classifier."""
    features = ColumnTransformer([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1), "text"),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1), "text"),
    ])
    classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    return Pipeline([("features", features), ("classifier", classifier)])


MODELS: dict[str, Callable[[], BaseEstimator]] = {
    "majority": majority,
    "stratified": stratified,
    "tfidf": tfidf,
}


def build_model(name: str, params: dict | None = None) -> BaseEstimator:
    """A fresh estimator by registered name, with parameters set the scikit-learn way (`step__param`)."""
    if name not in MODELS:
        raise BenchError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    model = MODELS[name]()
    try:
        return model.set_params(**(params or {}))
    except ValueError as err:
        raise BenchError(f"model {name!r}: {err}") from None


def with_seed(model: BaseEstimator, seed: int) -> BaseEstimator:
    """A clone with every `random_state` inside it set to the seed."""
    model = clone(model)
    seeds = {key: seed for key in model.get_params(deep=True) if key.split("__")[-1] == "random_state"}
    return model.set_params(**seeds)

"""Models: scikit-learn estimators that fit on a frame of texts (and targets) and predict labels.

Every model takes a pandas DataFrame with the columns `text` and `target` (the stance target's
description, empty for topic), so a model may use the target or ignore it.
"""

from __future__ import annotations

import importlib.util
from typing import Callable

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
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


def embed(encoder: str, texts) -> np.ndarray:
    """The named encoder's (cached) embeddings; imported on use, so the light models never load torch."""
    from .encoders import load_encoder
    return load_encoder(encoder).encode(list(texts))


class EncoderClassifier(ClassifierMixin, BaseEstimator):
    """Frozen sentence embeddings into a logistic regression: the MTEB classification protocol."""

    def __init__(self, encoder: str = "multilingual-e5-small", C: float = 1.0, max_iter: int = 1000,
                 class_weight: str | None = "balanced", random_state: int | None = None):
        self.encoder = encoder
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.random_state = random_state

    def fit(self, X, y):
        self.classifier_ = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight=self.class_weight,
                                              random_state=self.random_state).fit(embed(self.encoder, X["text"]), y)
        self.classes_ = self.classifier_.classes_
        return self

    def predict(self, X):
        return self.classifier_.predict(embed(self.encoder, X["text"]))


class ZeroShotClassifier(ClassifierMixin, BaseEstimator):
    """Nearest label definition in embedding space; needs no training example, so it can predict any class.

    `label_definitions` maps each label to its definition; the harness fills it from GUIDELINES.md.
    """

    def __init__(self, encoder: str = "multilingual-e5-small", label_definitions: dict | None = None):
        self.encoder = encoder
        self.label_definitions = label_definitions

    def fit(self, X=None, y=None):
        if not self.label_definitions:
            raise ValueError("ZeroShotClassifier needs label_definitions")
        self.classes_ = np.array(list(self.label_definitions))
        self.label_vectors_ = embed(self.encoder, self.label_definitions.values())
        return self

    def predict(self, X):
        return self.classes_[np.argmax(embed(self.encoder, X["text"]) @ self.label_vectors_.T, axis=1)]


def fine_tuned() -> BaseEstimator:
    from .finetuning import FineTunedClassifier
    return FineTunedClassifier()


MODELS: dict[str, Callable[[], BaseEstimator]] = {
    "majority": majority,
    "stratified": stratified,
    "tfidf": tfidf,
    "encoder_logreg": EncoderClassifier,
    "zero_shot": ZeroShotClassifier,
    "fine_tuned": fine_tuned,
}


NEEDS_MODELS_EXTRA = ("encoder_logreg", "zero_shot", "fine_tuned")


def build_model(name: str, params: dict | None = None) -> BaseEstimator:
    """A fresh estimator by registered name, with parameters set the scikit-learn way (`step__param`)."""
    if name not in MODELS:
        raise BenchError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    if name in NEEDS_MODELS_EXTRA and importlib.util.find_spec("torch") is None:
        raise BenchError(f"model {name!r} needs the optional transformer dependencies: "
                         "pip install torch==2.13.0 && pip install -e '.[models]'")
    model = MODELS[name]()
    try:
        return model.set_params(**(params or {}))
    except ValueError as err:
        raise BenchError(f"model {name!r}: {err}") from None


def configured(model: BaseEstimator, seed: int, label_definitions: dict[str, str] | None = None) -> BaseEstimator:
    """A clone with every `random_state` set to the seed and, where a model takes them, the task's label definitions."""
    model = clone(model)
    params = {}
    for key in model.get_params(deep=True):
        name = key.split("__")[-1]
        if name == "random_state":
            params[key] = seed
        elif name == "label_definitions" and label_definitions is not None:
            params[key] = dict(label_definitions)
    return model.set_params(**params)

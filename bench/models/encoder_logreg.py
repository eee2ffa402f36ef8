"""Frozen sentence embeddings into a logistic regression: the MTEB classification protocol."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression

from .encoding.encoders import ENCODERS, OfflineWeights, embed
from .registry import BALANCED, POSITIVE_INTEGER, POSITIVE_NUMBER, SEED, register


@register("encoder_logreg", rank=7, needs_torch=True)
class EncoderClassifier(OfflineWeights, ClassifierMixin, BaseEstimator):
    """A logistic regression on the paragraphs' embeddings; the encoder itself is never trained.

    Parameters
    ----------
    encoder : str
        A named offline encoder (`multilingual-e5-small`, `all-MiniLM-L6-v2`, `use-multilingual`) or a
        Hugging Face checkpoint name or path.
    C : float
        Inverse regularisation strength of the logistic regression.
    max_iter : int
        Iterations of the solver.
    class_weight : "balanced" or None
        Class weighting of the logistic regression; balanced by default, as in every baseline.
    random_state : int or None
        Seed of the logistic regression.
    target_features : bool
        Whether the stance target is an input too: each (target, text) pair is embedded as one input,
        "target: text", so one joint model serves every target.
    """

    weights_parameter = "encoder"
    offline_models = ENCODERS
    _parameter_constraints = {"encoder": [str], "C": POSITIVE_NUMBER, "max_iter": POSITIVE_INTEGER,
                              "class_weight": BALANCED, "random_state": SEED, "target_features": ["boolean"]}

    def __init__(self, encoder: str = "multilingual-e5-small", C: float = 1.0, max_iter: int = 1000,
                 class_weight: str | None = "balanced", random_state: int | None = None,
                 target_features: bool = False):
        self.encoder = encoder
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.random_state = random_state
        self.target_features = target_features

    def _features(self, X) -> np.ndarray:
        if not self.target_features:
            return embed(self.encoder, X["text"])
        return embed(self.encoder, [f"{target}: {text}" for target, text in zip(X["target"], X["text"])])

    def fit(self, X, y):
        self.classifier_ = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight=self.class_weight,
                                              random_state=self.random_state).fit(self._features(X), y)
        self.classes_ = self.classifier_.classes_
        return self

    def predict(self, X):
        return self.classifier_.predict(self._features(X))

"""Zero-shot classification: the label whose definition is nearest to the paragraph in embedding space."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .encoding.encoders import ENCODERS, OfflineWeights, embed
from .registry import register


@register("zero_shot", rank=6, learns=False, needs_torch=True)
class ZeroShotClassifier(OfflineWeights, ClassifierMixin, BaseEstimator):
    """Nearest label definition in embedding space; needs no training example, so it can predict any class.

    Parameters
    ----------
    encoder : str
        The encoder that embeds both the definitions and the paragraphs (named as for `encoder_logreg`).
    label_definitions : dict of str to str
        Each label's definition; the harness fills it from the task (GUIDELINES.md for the benchmark). A
        definition may name `{target}`, which is filled with each row's stance target, so that the labels
        are described toward that target.
    """

    weights_parameter = "encoder"
    offline_models = ENCODERS
    _parameter_constraints = {"encoder": [str], "label_definitions": [dict, None]}

    def __init__(self, encoder: str = "multilingual-e5-small", label_definitions: dict | None = None):
        self.encoder = encoder
        self.label_definitions = label_definitions

    def fit(self, X=None, y=None):
        if not self.label_definitions:
            raise ValueError("ZeroShotClassifier needs label_definitions")
        self.classes_ = np.array(list(self.label_definitions))
        return self

    def predict(self, X):
        assert self.label_definitions, "fit first"
        texts = embed(self.encoder, X["text"])
        targets = np.asarray(X["target"]) if "target" in X else np.full(len(X), "")
        predicted = np.empty(len(X), dtype=object)
        for target in dict.fromkeys(targets):
            rows = targets == target
            definitions = [text.replace("{target}", str(target)) for text in self.label_definitions.values()]
            predicted[rows] = self.classes_[np.argmax(texts[rows] @ embed(self.encoder, definitions).T, axis=1)]
        return predicted

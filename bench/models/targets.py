"""Models for data with several stance targets: one model per target, or target-conditioned features.

Stance toward one target says little about stance toward another, so a model that ignores the target
cannot tell "favor" toward one from "favor" toward another.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.utils._param_validation import HasMethods


class PerTarget(ClassifierMixin, BaseEstimator):
    """One clone of `estimator` per target, the convention of multi-target stance shared tasks.

    Parameters
    ----------
    estimator : estimator
        Any classifier of the harness; each target's copy is fitted on that target's rows only.
    fallback : bool
        What to do with a target absent from the training data: False raises an error naming it; True
        predicts it with a target-blind copy fitted on every training row.
    """

    _parameter_constraints = {"estimator": [HasMethods(["fit", "predict"]), None], "fallback": ["boolean"]}

    def __init__(self, estimator: BaseEstimator | None = None, fallback: bool = False):
        self.estimator = estimator
        self.fallback = fallback

    def fit(self, X, y):
        if self.estimator is None:
            raise ValueError("PerTarget needs an estimator")
        y = np.asarray(y)
        targets = np.asarray(X["target"])
        self.classes_ = np.unique(y)
        self.models_ = {}
        for target in dict.fromkeys(targets):
            rows = targets == target
            self.models_[target] = clone(self.estimator).fit(X[rows], y[rows])
        self.blind_ = clone(self.estimator).fit(X, y) if self.fallback else None
        return self

    def predict(self, X):
        targets = np.asarray(X["target"])
        unknown = sorted(set(targets) - set(self.models_))
        if unknown and self.blind_ is None:
            raise ValueError(f"target(s) absent from the training data: {', '.join(map(repr, unknown))}")
        predicted = np.empty(len(X), dtype=object)
        for target in dict.fromkeys(targets):
            rows = targets == target
            model = self.models_.get(target, self.blind_)
            assert model is not None
            predicted[rows] = model.predict(X[rows])
        return predicted


class TargetConditioned(TransformerMixin, BaseEstimator):
    """The features of `features`, then one copy of them per target, non-zero only on that target's rows.

    A linear model on top learns shared weights and, for each target, weights of its own: the n-gram
    features crossed with the target.

    Parameters
    ----------
    features : transformer
        Turns the frame (text and target columns) into a feature matrix, such as the TF-IDF n-grams.
    """

    _parameter_constraints = {"features": [HasMethods(["fit", "transform"]), None]}

    def __init__(self, features: TransformerMixin | None = None):
        self.features = features

    def fit(self, X, y=None):
        self.features_ = clone(self.features).fit(X, y)
        self.targets_ = list(dict.fromkeys(np.asarray(X["target"])))
        return self

    def transform(self, X):
        shared = sp.csr_matrix(self.features_.transform(X))
        targets = np.asarray(X["target"])
        blocks = [shared] + [sp.diags((targets == target).astype(float)) @ shared for target in self.targets_]
        return sp.hstack(blocks, format="csr")

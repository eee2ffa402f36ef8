"""Models for data with several stance targets: one model per target, or target-conditioned features.

Stance toward one target says little about stance toward another, so a model that ignores the target
cannot tell "favor" toward one from "favor" toward another.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.utils._param_validation import HasMethods


class PerTarget(ClassifierMixin, BaseEstimator):
    """One clone of `estimator` per target, the convention of multi-target stance shared tasks.

    Parameters
    ----------
    estimator : estimator
        Any classifier of the harness; each target's copy is fitted on that target's rows only. A target whose
        training rows hold a single class predicts that class (most classifiers cannot be fitted on one).
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
            model = clone(self.estimator) if len(set(y[rows])) > 1 else DummyClassifier(strategy="most_frequent")
            self.models_[target] = model.fit(X[rows], y[rows])
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
    """The features of `features`, then, for each training target, a copy of them non-zero only on that target's
    rows: a linear model on top learns shared weights and, for each target, weights of its own (the n-gram
    features crossed with the target).

    A target's copy keeps only the columns its training rows use. A crossed column that is zero on every
    training row only meets the penalty, so an L2-penalised linear model gives it weight zero: leaving it out
    changes no prediction, and bounds the width by the shared columns plus the training matrix's non-zeros
    rather than by the shared columns times the targets (10,000 rows on 200 targets would need billions).

    Parameters
    ----------
    features : transformer
        Turns the frame (text and target columns) into a feature matrix, such as the TF-IDF n-grams.
    """

    _parameter_constraints = {"features": [HasMethods(["fit", "transform"]), None]}

    def __init__(self, features: TransformerMixin | None = None):
        self.features = features

    def fit(self, X, y=None):
        self.fit_transform(X, y)
        return self

    def fit_transform(self, X, y=None):
        self.features_ = clone(self.features)
        shared = sp.csr_matrix(self.features_.fit_transform(X, y))
        targets = np.asarray(X["target"])
        self.targets_ = list(dict.fromkeys(targets))
        self.columns_ = [np.unique(shared[np.flatnonzero(targets == target)].indices) for target in self.targets_]
        return self._crossed(shared, targets)

    def transform(self, X):
        return self._crossed(sp.csr_matrix(self.features_.transform(X)), np.asarray(X["target"]))

    def _crossed(self, shared: sp.csr_matrix, targets: np.ndarray) -> sp.csr_matrix:
        """The shared block, then each training target's block: its rows' values in the columns it kept."""
        rows, columns, values = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, shared.dtype)]
        offset = 0
        for target, kept_columns in zip(self.targets_, self.columns_):
            chosen = np.flatnonzero(targets == target)
            part = shared[chosen].tocoo()
            position = np.searchsorted(kept_columns, part.col)
            kept = position < len(kept_columns)
            kept[kept] = kept_columns[position[kept]] == part.col[kept]
            rows.append(chosen[part.row[kept]])
            columns.append(offset + position[kept])
            values.append(part.data[kept])
            offset += len(kept_columns)
        crossed = sp.csr_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(columns))),
                                shape=(shared.shape[0], offset))
        return sp.hstack([shared, crossed], format="csr")

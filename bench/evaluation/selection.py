"""Nested model selection: hyperparameters chosen by grouped cross-validation inside one outer fold's training side.

The test side of the outer fold is never seen. Inner groups are stories, so no inner split puts one story on
both sides; a training side that tells a single story (in one document or several) leaves nothing to
validate on without splitting it, so the config's fixed parameters apply there and the record says so.
Data that declares no stories (an external data set) is grouped by document.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.dummy import DummyClassifier
from sklearn.model_selection import GroupKFold, LeaveOneGroupOut, ParameterGrid
from sklearn.pipeline import Pipeline

from ..models.protocol import Staged
from .statistics import Scorer
from .tasks import frame


def inner_groups(train: Sequence) -> tuple[str, list[str]] | None:
    """("story" or "doc", each example's group), or None where the training side tells a single story (or, for
    data without stories, holds a single document): inner folds never put one story on both sides."""
    stories = [e.story for e in train]
    if all(stories):
        return ("story", stories) if len(set(stories)) >= 2 else None
    docs = [e.doc for e in train]
    return ("doc", docs) if all(docs) and len(set(docs)) >= 2 else None


def select(model: BaseEstimator, grid: Sequence[dict], train: Sequence, max_folds: int) -> tuple[dict, dict]:
    """The grid point with the best mean inner macro-F1 (over the classes in each inner fold's gold), and what
    the record says of the choice.

    Ties go to the first grid point in the config's order; inner folds that cannot be scored (a training
    side with a single class) are left out of the mean.
    """
    found = inner_groups(train)
    if found is None:
        single = "tells one story" if all(e.story for e in train) else "holds one document"
        return {}, {"by": f"fixed: the training side {single}", "chosen": {}}
    unit, groups = found
    splitter = LeaveOneGroupOut() if len(set(groups)) <= max_folds else GroupKFold(n_splits=max_folds)
    X, y = frame(train), np.array([e.label for e in train])
    candidates = list(ParameterGrid(list(grid)))
    splits = list(splitter.split(X, y, groups))
    scores = np.full((len(candidates), len(splits)), np.nan)
    for column, (fit_rows, score_rows) in enumerate(splits):
        scores[:, column] = score_split(model, candidates, X, y, fit_rows, score_rows)
    means = np.array([np.nanmean(row) if not np.all(np.isnan(row)) else -np.inf for row in scores])
    best = int(np.argmax(means))
    chosen = {name: _plain(value) for name, value in candidates[best].items()}
    majority = [score_split(DummyClassifier(strategy="most_frequent"), [{}], X, y, *rows)[0] for rows in splits]
    return candidates[best], {"by": unit, "inner_folds": len(splits), "chosen": chosen,
                              "inner_macro_f1": float(means[best]) if np.isfinite(means[best]) else None,
                              "inner_majority_macro_f1": float(np.nanmean(majority)),
                              "grid": [{"params": {k: _plain(v) for k, v in c.items()},
                                        "inner_macro_f1": float(m) if np.isfinite(m) else None}
                                       for c, m in zip(candidates, means)]}


def score_split(model: BaseEstimator, candidates: list[dict], X, y: np.ndarray, fit_rows: np.ndarray,
                score_rows: np.ndarray) -> list[float]:
    """Each candidate's score on one inner split.

    For a Pipeline, the steps before the last are fitted once per distinct setting of their parameters, and
    the last step per candidate, warm-started from the previous candidate where it supports that (a sweep
    of C along the grid's order): the text analysis that dominates the TF-IDF model's fit runs once.
    """
    prefix = model.steps[-1][0] + "__" if isinstance(model, Pipeline) else None
    prepared: dict[str, tuple] = {}
    staged = staged_predictions(model, candidates, X.iloc[fit_rows], y[fit_rows], X.iloc[score_rows])
    gold = [str(label) for label in y[score_rows]]
    scorer = Scorer(gold, sorted(set(y)))
    scores = []
    for params in candidates:
        try:
            if staged is not None:
                predicted = staged[repr(sorted(params.items()))]  # missing where the fit failed: a KeyError
            elif prefix is None:
                fitted = clone(model).set_params(**params).fit(X.iloc[fit_rows], y[fit_rows])
                predicted = fitted.predict(X.iloc[score_rows])
            else:
                head = {k: v for k, v in params.items() if not k.startswith(prefix)}
                key = repr(sorted(head.items()))
                if key not in prepared:
                    steps = clone(model).set_params(**head)[:-1]
                    final = clone(model.steps[-1][1])
                    if "warm_start" in final.get_params():
                        final.set_params(warm_start=True)
                    prepared[key] = (steps.fit_transform(X.iloc[fit_rows], y[fit_rows]),
                                     steps.transform(X.iloc[score_rows]), final)
                train_features, score_features, final = prepared[key]
                final.set_params(**{k[len(prefix):]: v for k, v in params.items() if k.startswith(prefix)})
                predicted = final.fit(train_features, y[fit_rows]).predict(score_features)
        except (ValueError, KeyError):  # a training side with a single class cannot be fitted
            scores.append(np.nan)
            continue
        values = scorer.scores(scorer.gold[None, :], scorer.encode([str(p) for p in predicted])[None, :])
        scores.append(float(values["macro_f1"][0]))
    return scores


def staged_predictions(model: BaseEstimator, candidates: list[dict], X_fit, y_fit, X_score) -> dict[str, list] | None:
    """Every candidate's predictions from one fit per setting of the other parameters, for a model whose
    `staged_parameter` (a number of epochs) the grid varies: the fit runs to the largest value and
    `staged_predict` gives the model at each smaller one. None for any other model.
    """
    stage = model.staged_parameter if isinstance(model, Staged) else None
    if stage is None or not any(stage in c for c in candidates):
        return None
    found: dict[str, list] = {}
    groups: dict[str, list[dict]] = {}
    for params in candidates:
        groups.setdefault(repr(sorted((k, v) for k, v in params.items() if k != stage)), []).append(params)
    for group in groups.values():
        longest = max(params.get(stage, model.get_params()[stage]) for params in group)
        try:
            fitted = clone(model).set_params(**{**group[0], stage: longest}).fit(X_fit, y_fit)
        except ValueError:
            continue
        stages = list(fitted.staged_predict(X_score))
        for params in group:
            found[repr(sorted(params.items()))] = stages[params.get(stage, longest) - 1]
    return found


def _plain(value):
    """A JSON-friendly copy of a chosen value (numbers, strings, lists)."""
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value

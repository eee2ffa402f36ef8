"""The model registry: every model family registers itself here under the name that configs use.

A family is a module of this package that calls `register`; the package imports each such module, so
adding a family is adding one file.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real

from sklearn.base import BaseEstimator, clone
from sklearn.utils._param_validation import Interval, StrOptions  # what scikit-learn's own estimators declare with

from ..files import BenchError
from .protocol import INJECTED_PARAMETERS, ChecksLoadable, DeclaresConstraints, Injected


@dataclass(frozen=True)
class Family:
    """A registered model: how to build it and what the harness and the tables need to know of it.

    `rank` orders the tables' rows (baselines first); `learns` is False for models whose predictions do
    not depend on the training data's text or language (so a transfer heatmap of them means nothing);
    `needs_torch` marks models that need the optional transformer dependencies, and `extra` names the
    package extra that installs them (`gpu` for SetFit, which only the GPU configs use).
    """

    name: str
    build: Callable[[], BaseEstimator]
    rank: int
    learns: bool = True
    needs_torch: bool = False
    extra: str = "models"


EXTRA_MODULES = {"models": "torch", "gpu": "setfit"}  # a module each extra installs, to tell whether it is there


MODELS: dict[str, Family] = {}

# Parameter constraints the harness's own estimators share, in scikit-learn's `_parameter_constraints` form.
MAX_SEED = 2**32 - 1  # numpy's legacy generators, which scikit-learn uses, and torch take no larger seed
SEED = [Interval(Integral, 0, MAX_SEED, closed="both"), None]
POSITIVE_INTEGER = [Interval(Integral, 1, None, closed="left")]
POSITIVE_NUMBER = [Interval(Real, 0, None, closed="neither")]
NON_NEGATIVE_INTEGER = [Interval(Integral, 0, None, closed="left")]
NON_NEGATIVE_NUMBER = [Interval(Real, 0, None, closed="left")]
PROBABILITY = [Interval(Real, 0, 1, closed="left")]
BALANCED = [StrOptions({"balanced"}), None]


def register(name: str, rank: int, learns: bool = True, needs_torch: bool = False, extra: str = "models"):
    """Decorator: register a function or estimator class that builds the model with its defaults."""
    def decorate(build):
        if name in MODELS:
            raise ValueError(f"model {name!r} is registered twice")
        MODELS[name] = Family(name, build, rank, learns, needs_torch, extra)
        return build
    return decorate


@contextmanager
def model_errors(name: str) -> Iterator[None]:
    """What scikit-learn raises on bad parameters, as a BenchError naming the model."""
    try:
        yield
    except (ValueError, TypeError) as err:
        raise BenchError(f"model {name!r}: {err}") from None
    except AttributeError:  # a parameter of a step the same params set to None or to a plain value
        raise BenchError(f"model {name!r}: a parameter names a step inside a step the params replace with a "
                         "plain value") from None


def build_model(name: str, params: dict | None = None) -> BaseEstimator:
    """A fresh estimator by registered name, with parameters set the scikit-learn way (`step__param`)."""
    if name not in MODELS:
        raise BenchError(f"unknown model {name!r} (known: {', '.join(sorted(MODELS))})")
    family = MODELS[name]
    if family.needs_torch and any(importlib.util.find_spec(module) is None
                                  for module in {"torch", EXTRA_MODULES[family.extra]}):
        raise BenchError(f"model {name!r} needs the optional `{family.extra}` dependencies: "
                         f"pip install torch==2.13.0 && pip install -e '.[{family.extra}]'")
    with model_errors(name):
        return checked(family.build().set_params(**as_parameters(params or {})))


def checked(model: BaseEstimator) -> BaseEstimator:
    """The model, once it and every estimator inside it accept their parameters' types and ranges.

    scikit-learn's estimators and the harness's own declare `_parameter_constraints`; checking them here,
    before any experiment runs, stops a bad value from failing a run half-way. Raises ValueError or TypeError.
    """
    inner = [value for value in model.get_params(deep=True).values() if isinstance(value, BaseEstimator)]
    for estimator in (model, *inner):
        if isinstance(estimator, DeclaresConstraints):
            estimator._validate_params()
    return model


def rehearse(name: str, model: BaseEstimator) -> None:
    """Fit a model that needs no transformer library on a tiny made-up sample, so that settings which only
    clash at fitting time (an n-gram range backwards, a solver without that penalty) fail before any run."""
    import warnings

    import pandas as pd

    if MODELS[name].needs_torch:  # loading weights to rehearse would cost too much: check they can be loaded
        try:
            if isinstance(model, ChecksLoadable):
                model.check_loadable()
        except ValueError as err:
            raise BenchError(f"model {name!r}: {err}") from None
        return
    words = ["alpha beta", "gamma delta", "alpha gamma", "beta delta", "alpha delta", "beta gamma"]
    sample = pd.DataFrame({"text": words, "target": ["war", "defector"] * 3, "id": [f"x-{i}" for i in range(6)]})
    with model_errors(name), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clone(model).fit(sample, ["a", "b", "a", "b", "a", "b"])


def as_parameters(params: dict) -> dict:
    """Config values as scikit-learn expects them: YAML has no tuples, so an n-gram range given as a list becomes one."""
    return {key: tuple(value) if str(key).endswith("ngram_range") and isinstance(value, list) else value
            for key, value in params.items()}


def fold_name(evaluation: str, number: int | str) -> str:
    """How a fold is named to a model that takes one: its evaluation and its number, as in the release's folds."""
    return f"{evaluation}/{number}"


def configured(model: BaseEstimator, seed: int, label_definitions: dict[str, str] | None = None,
               task: str | None = None, fold: str | None = None) -> BaseEstimator:
    """A clone with every `random_state` set to the seed and, where a model takes them, the task's label
    definitions, the task's name and the fold's name: the parameters `protocol.Injected` declares."""
    model = clone(model)
    given: dict[str, object] = dict(Injected(
        random_state=seed, label_definitions=dict(label_definitions) if label_definitions else None, task=task,
        fold=fold))
    params: dict[str, object] = {}
    for key in model.get_params(deep=True):
        name = key.split("__")[-1]
        if name in INJECTED_PARAMETERS and (given[name] is not None or name == "random_state"):
            params[key] = given[name]
    return model.set_params(**params)

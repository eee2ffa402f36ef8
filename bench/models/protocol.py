"""The model contract: what the harness calls on every model, and each optional hook it looks for.

A model is a scikit-learn estimator (`get_params`, `set_params`, `clone` work on it) with `fit` and
`predict`. Everything else here is optional: the harness checks `isinstance(model, Hook)` and calls the
hook only on a model that has it, so a new model offers a hook by defining it, with no registration.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, TypedDict, runtime_checkable


@runtime_checkable
class Model(Protocol):
    """The base contract. `X` is a pandas DataFrame with the columns `text`, `target` (the stance target's
    description, empty for topic) and `id`; `y` the labels, as strings."""

    def fit(self, X: Any, y: Sequence[str]) -> Any:
        """Called once per fold and seed on the fold's training rows; returns the fitted model."""

    def predict(self, X: Any) -> Any:
        """Called on the fold's test rows (and by model selection on inner folds): one label per row."""


@runtime_checkable
class ReportsLoss(Protocol):
    """A model trained by gradient descent (evaluation/runner.py): after each seed's fit, the record keeps
    `loss_history_`, its training loss per epoch (or step). Set by `fit`, so only a fitted model has it."""

    loss_history_: Sequence[float]


@runtime_checkable
class ChecksData(Protocol):
    """A model that reads its predictions from a file (evaluation/runner.plan): checked against the
    experiment's data before anything runs, so a missing or unknown row fails at once."""

    def check(self, task: str, labels: Sequence[str], ids: Sequence[str], folds: Mapping[str, Sequence[str]],
              tasks: Sequence[str]) -> None:
        """Raise BenchError unless every task (`tasks`: those of the data), label and id the model would give
        exists and every test id of every fold (`folds`: fold name, `evaluation/number`, to its test ids) has a
        prediction."""


@runtime_checkable
class Staged(Protocol):
    """A model whose fit passes through every smaller value of one parameter, such as a number of epochs
    (evaluation/selection.py): every grid point that differs only in that parameter is scored from one fit."""

    staged_parameter: str  # the parameter's name; its values are counted from 1

    def staged_predict(self, X: Any) -> Iterator[Any]:
        """Predictions at value 1, 2, ... up to the fitted value, leaving the fitted model as it was."""


@runtime_checkable
class ChecksLoadable(Protocol):
    """A model with weights to load (models/registry.rehearse): before any run, instead of a rehearsal fit
    that would load them, it checks that they can be loaded offline (see `encoding.encoders.OfflineWeights`)."""

    def check_loadable(self) -> None:
        """Raise ValueError unless the weights can be loaded without the network."""


@runtime_checkable
class FoldSpecific(Protocol):
    """A model whose predictions were made elsewhere (publishing/records.marks): its table rows are marked as
    coming from a predictions file, and as "per fold" where the predictions depend on the fold."""

    def fold_specific(self) -> bool:
        """Whether any prediction depends on the fold it is tested in (so the model that made it trained)."""


@runtime_checkable
class DeclaresConstraints(Protocol):
    """A model that declares its parameters' types and ranges the scikit-learn way (models/registry.checked):
    they are validated when the model is built from a config, before any run. scikit-learn's own estimators
    and the harness's declare them; an estimator that declares none is not checked."""

    _parameter_constraints: dict

    def _validate_params(self) -> None:
        """scikit-learn's check of the parameters against `_parameter_constraints` (BaseEstimator gives it)."""


class Injected(TypedDict):
    """The parameters the harness sets by name before each fit (models/registry.configured), in the model and
    in every estimator inside it (`classifier__random_state` too): a model that wants one takes a parameter
    of that name. All but `random_state` are set only where the harness has a value."""

    random_state: int | None  # each of the config's seeds in turn
    label_definitions: dict[str, str] | None  # the task's label definitions (the codebook's, or the config's)
    task: str | None  # the task's name
    fold: str | None  # the fold's name, `evaluation/number`, for predictions made per fold


INJECTED_PARAMETERS = tuple(Injected.__annotations__)

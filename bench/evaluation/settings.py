"""Settings: how a task's examples are split into training and test folds, one registry of them all.

No document (or, for an external data set, no group) is ever on both sides of a split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sklearn.model_selection import GroupKFold

from ..files import BenchError
from .tasks import Example

DEFAULT_FOLDS = 10


@dataclass(frozen=True)
class Fold:
    """Which examples train and which test: those whose `by` attribute (a document, or a given split) is listed,
    and, where a side names a language, only that language's examples (an external data set's groups may
    hold several languages)."""

    train: tuple[str, ...]
    test: tuple[str, ...]
    by: str = "doc"
    train_language: str = ""
    test_language: str = ""


@dataclass(frozen=True)
class Evaluation:
    """One cell of the results table: a setting, a train and a test language, and its folds."""

    setting: str
    train_language: str
    test_language: str
    folds: tuple[Fold, ...]

    @property
    def name(self) -> str:
        if self.train_language == self.test_language:
            return f"{self.setting}:{self.test_language}"
        return f"{self.setting}:{self.train_language}>{self.test_language}"


def grouped_folds(examples: Sequence[Example], max_folds: int, language: str = "") -> tuple[Fold, ...]:
    """Leave one document out, or, with more documents than `max_folds`, scikit-learn's GroupKFold over documents."""
    docs = list(dict.fromkeys(e.doc for e in examples))
    if len(docs) <= max_folds:
        return tuple(Fold(tuple(d for d in docs if d != held), (held,), "doc", language, language) for held in docs)
    groups = [e.doc for e in examples]
    folds = []
    for train, test in GroupKFold(n_splits=max_folds).split(groups, groups=groups):
        folds.append(Fold(tuple(dict.fromkeys(groups[i] for i in train)), tuple(dict.fromkeys(groups[i] for i in test)),
                          "doc", language, language))
    return tuple(folds)


def by_language(examples: Sequence[Example]) -> dict[str, list[Example]]:
    """The examples of each language, languages in sorted order."""
    languages: dict[str, list[Example]] = {}
    for example in examples:
        languages.setdefault(example.language, []).append(example)
    return dict(sorted(languages.items()))


def in_language(examples: Sequence[Example], max_folds: int) -> list[Evaluation]:
    """Grouped cross-validation over the documents inside each language that has at least two of them."""
    return [Evaluation("in_language", language, language, grouped_folds(rows, max_folds, language))
            for language, rows in by_language(examples).items() if len({e.doc for e in rows}) >= 2]


def cross_lingual(examples: Sequence[Example], max_folds: int) -> list[Evaluation]:
    """Train on every document of one language, test on every document of another."""
    docs = {language: tuple(dict.fromkeys(e.doc for e in rows)) for language, rows in by_language(examples).items()}
    return [Evaluation("cross_lingual", source, target, (Fold(docs[source], docs[target], "doc", source, target),))
            for source in docs for target in docs if source != target]


def multilingual(examples: Sequence[Example], max_folds: int) -> list[Evaluation]:
    """Grouped cross-validation over the documents of all languages together."""
    if len({e.doc for e in examples}) < 2:
        return []
    return [Evaluation("multilingual", "all", "all", grouped_folds(examples, max_folds))]


def given_split(examples: Sequence[Example], max_folds: int) -> list[Evaluation]:
    """The data set's own split: train on its train rows, test on its test rows (validation rows are not used)."""
    if not {"train", "test"} <= {e.split for e in examples}:
        return []
    return [Evaluation("given_split", "all", "all", (Fold(("train",), ("test",), by="split"),))]


@dataclass(frozen=True)
class Setting:
    """A registered setting: the function that builds its evaluations, and what the data needs for it."""

    name: str
    build: Callable[[Sequence[Example], int], list[Evaluation]]
    needs: str


# Every setting, in the order of the tables' columns; a new setting is one entry here.
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("in_language", in_language, "a language with two groups or more"),
    Setting("cross_lingual", cross_lingual, "two languages"),
    Setting("multilingual", multilingual, "two groups or more"),
    Setting("given_split", given_split, "a split column with train and test rows"),
)}


def evaluations(setting: str, examples: Sequence[Example], max_folds: int = DEFAULT_FOLDS) -> list[Evaluation]:
    """The setting's evaluations; a setting the data cannot support is an error, not an empty table."""
    if setting not in SETTINGS:
        raise BenchError(f"unknown setting {setting!r} (known: {', '.join(SETTINGS)})")
    found = SETTINGS[setting].build(examples, max_folds)
    if not found:
        raise BenchError(f"setting {setting!r} needs {SETTINGS[setting].needs}")
    return found


def split(examples: Sequence[Example], fold: Fold) -> tuple[list[Example], list[Example]]:
    """The fold's training and test examples."""
    def side(values: tuple[str, ...], language: str) -> list[Example]:
        chosen = set(values)
        return [e for e in examples if getattr(e, fold.by) in chosen and language in ("", e.language)]
    return side(fold.train, fold.train_language), side(fold.test, fold.test_language)

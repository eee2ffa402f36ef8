"""Settings: how a task's examples are split into training and test folds, one registry of them all.

No document (or, for an external data set, no group) is ever on both sides of a split, and wherever the
data allows it no story is either: each evaluation records whether it is story-disjoint. Where the data has
its own split (an external data set's split column), every setting trains on its train rows only and tests
its test rows only, as a published benchmark's numbers must; validation rows are never used. The given split
may also train on some languages and test on others (X-Stance's protocol); no other setting takes languages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypedDict

from sklearn.model_selection import GroupKFold

from ..files import BenchError
from .tasks import Example

DEFAULT_FOLDS = 10


@dataclass(frozen=True)
class Languages:
    """The languages the given split trains on and tests on; empty: every language. An evaluation is named by
    them (`given_split:de+fr>it`), so a cross-lingual score never shares a column with a pooled one."""

    train: tuple[str, ...] = ()
    test: tuple[str, ...] = ()

    @property
    def chosen(self) -> bool:
        return bool(self.train or self.test)

    @property
    def train_name(self) -> str:
        return "+".join(self.train) or "all"

    @property
    def test_name(self) -> str:
        return "+".join(self.test) or "all"


@dataclass(frozen=True)
class Fold:
    """Which examples train and which test: those whose `by` attribute (a story, a document, or a given split)
    is listed, and, where a side names a language, only that language's examples (an external data set's
    groups may hold several languages), and where it names a part of the data's own split, only that part's.
    `train_languages` and `test_languages`, where given, keep each side to those languages (the given split's)."""

    train: tuple[str, ...]
    test: tuple[str, ...]
    by: str = "doc"
    train_language: str = ""
    test_language: str = ""
    train_split: str = ""
    test_split: str = ""
    train_languages: tuple[str, ...] = ()
    test_languages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    """One cell of the results table: a setting, a train and a test language, and its folds.

    `story_disjoint` is True when no story has examples on both sides of any fold, False when one has, and
    None when the data declares no stories (an external data set).
    """

    setting: str
    train_language: str
    test_language: str
    folds: tuple[Fold, ...]
    story_disjoint: bool | None = None

    @property
    def name(self) -> str:
        if self.train_language == self.test_language:
            return f"{self.setting}:{self.test_language}"
        return f"{self.setting}:{self.train_language}>{self.test_language}"


def unique(values) -> list[str]:
    return list(dict.fromkeys(values))


def has_stories(examples: Sequence[Example]) -> bool:
    return bool(examples) and all(e.story for e in examples)


def group_unit(examples: Sequence[Example]) -> str:
    """Stories where the examples hold two or more of them, else documents (or an external data set's groups)."""
    return "story" if has_stories(examples) and len({e.story for e in examples}) >= 2 else "doc"


class OfficialSides(TypedDict, total=False):
    """A fold's parts of the data's own split, as keyword arguments of Fold."""

    train_split: str
    test_split: str


def official_sides(examples: Sequence[Example]) -> OfficialSides:
    """The parts of the data's own split that a fold trains and tests on: train and test where it has one."""
    return {"train_split": "train", "test_split": "test"} if any(e.split for e in examples) else {}


def evaluation(setting: str, train_language: str, test_language: str, folds: Sequence[Fold],
               examples: Sequence[Example]) -> Evaluation:
    """An evaluation of the folds that have rows on both sides (under the data's own split a held-out group may
    have no test rows), with its story-disjointness read off them, so a flag can never claim what is not so."""
    sides = [(fold, *split(examples, fold)) for fold in folds]
    kept = [(fold, train, test) for fold, train, test in sides if train and test]
    disjoint = None
    if has_stories(examples):
        disjoint = all(not ({e.story for e in train} & {e.story for e in test}) for _, train, test in kept)
    return Evaluation(setting, train_language, test_language, tuple(fold for fold, _, _ in kept), disjoint)


def grouped_folds(examples: Sequence[Example], max_folds: int, language: str = "") -> tuple[Fold, ...]:
    """Leave one group out, or, with more groups than `max_folds`, scikit-learn's GroupKFold; groups are stories
    where there are two or more, else documents."""
    by = group_unit(examples)
    groups = [getattr(e, by) for e in examples]
    held_out = unique(groups)
    sides = official_sides(examples)
    if len(held_out) <= max_folds:
        return tuple(Fold(tuple(g for g in held_out if g != held), (held,), by, language, language, **sides)
                     for held in held_out)
    return tuple(Fold(tuple(unique(groups[i] for i in train)), tuple(unique(groups[i] for i in test)), by, language,
                      language, **sides)
                 for train, test in GroupKFold(n_splits=max_folds).split(groups, groups=groups))


def by_language(examples: Sequence[Example]) -> dict[str, list[Example]]:
    """The examples of each language, languages in sorted order."""
    languages: dict[str, list[Example]] = {}
    for example in examples:
        languages.setdefault(example.language, []).append(example)
    return dict(sorted(languages.items()))


def in_language(examples: Sequence[Example], max_folds: int) -> list[Evaluation]:
    """Grouped cross-validation inside each language that has two documents or more: leave one story out where
    the language has two stories or more, else one document (then the same story is on both sides)."""
    return [evaluation("in_language", language, language, grouped_folds(rows, max_folds, language), rows)
            for language, rows in by_language(examples).items() if len({e.doc for e in rows}) >= 2]


def cross_lingual(examples: Sequence[Example], max_folds: int) -> list[Evaluation]:
    """Train on one language, test on another, never with a story (or group) on both sides.

    Test groups the training language lacks are tested by one model trained on all of it; a test group the
    training language shares is tested by a model trained on the training language without that group. So
    en>nl trains on all English and tests the Dutch stories English lacks, and nl>en tests the English
    stories with a model trained on the other Dutch stories.
    """
    languages = by_language(examples)
    by = "story" if has_stories(examples) else "doc"
    sides = official_sides(examples)
    found = []
    for source, source_rows in languages.items():
        source_groups = unique(getattr(e, by) for e in source_rows)
        for target, target_rows in languages.items():
            if source == target:
                continue
            target_groups = unique(getattr(e, by) for e in target_rows)
            fresh = tuple(g for g in target_groups if g not in source_groups)
            folds = [Fold(tuple(source_groups), fresh, by, source, target, **sides)] if fresh else []
            folds += [Fold(tuple(g for g in source_groups if g != shared), (shared,), by, source, target, **sides)
                      for shared in target_groups if shared in source_groups and len(source_groups) > 1]
            if folds:
                found.append(evaluation("cross_lingual", source, target, folds, examples))
    return found


def cross_lingual_same_story(examples: Sequence[Example], max_folds: int) -> list[Evaluation]:
    """Train on all of one language, test on the stories of another language that the training side also tells.

    Not story-disjoint by design: beside `cross_lingual` it shows how much of the transfer is the story.
    """
    if not has_stories(examples):
        return []
    languages = by_language(examples)
    found = []
    for source, source_rows in languages.items():
        stories = unique(e.story for e in source_rows)
        for target, target_rows in languages.items():
            shared = tuple(s for s in unique(e.story for e in target_rows) if s in stories)
            if source != target and shared:
                found.append(evaluation("cross_lingual_same_story", source, target,
                                        [Fold(tuple(stories), shared, "story", source, target,
                                              **official_sides(examples))], examples))
    return found


def leave_one_story_out(examples: Sequence[Example], max_folds: int) -> list[Evaluation]:
    """Grouped cross-validation over all languages together: leave one story out (or one document, where the
    data has a single story)."""
    if len({e.doc for e in examples}) < 2:
        return []
    return [evaluation("leave_one_story_out", "all", "all", grouped_folds(examples, max_folds), examples)]


def given_split(examples: Sequence[Example], max_folds: int, languages: Languages | None = None) -> list[Evaluation]:
    """The data set's own split: train on its train rows, test on its test rows (validation rows are not used);
    where `languages` names them, train on those languages' train rows and test on those languages' test rows."""
    if not {"train", "test"} <= {e.split for e in examples}:
        return []
    languages = languages or Languages()
    fold = Fold(("train",), ("test",), by="split", train_languages=languages.train, test_languages=languages.test)
    return [evaluation("given_split", languages.train_name, languages.test_name, (fold,), examples)]


@dataclass(frozen=True)
class Setting:
    """A registered setting: the function that builds its evaluations, and what the data needs for it."""

    name: str
    build: Callable[..., list[Evaluation]]
    needs: str
    takes_languages: bool = False  # whether the training and test languages can be chosen


# Every setting, in the order of the tables' columns; a new setting is one entry here.
SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("in_language", in_language, "a language with two groups or more"),
    Setting("cross_lingual", cross_lingual, "two languages"),
    Setting("cross_lingual_same_story", cross_lingual_same_story, "two languages that tell a story in common"),
    Setting("leave_one_story_out", leave_one_story_out, "two groups or more"),
    Setting("given_split", given_split, "a split column with train and test rows", takes_languages=True),
)}


def evaluations(setting: str, examples: Sequence[Example], max_folds: int = DEFAULT_FOLDS,
                languages: Languages | None = None) -> list[Evaluation]:
    """The setting's evaluations, each with a fold to run; a setting the data cannot support is an error, not an
    empty table, and so are chosen languages for a setting that cannot keep to them."""
    if setting not in SETTINGS:
        raise BenchError(f"unknown setting {setting!r} (known: {', '.join(SETTINGS)})")
    entry, languages = SETTINGS[setting], languages or Languages()
    if languages.chosen and not entry.takes_languages:
        raise BenchError(f"setting {setting!r} chooses its own languages; training and test languages apply to "
                         f"{', '.join(s.name for s in SETTINGS.values() if s.takes_languages)} only")
    found = [e for e in (entry.build(examples, max_folds, languages) if entry.takes_languages
                         else entry.build(examples, max_folds)) if e.folds]
    if not found:
        own = ("; under the data's own split a fold also needs train rows to train on and test rows to test"
               if official_sides(examples) else "")
        if languages.chosen and official_sides(examples):
            own += (f" (train rows in {languages.train_name}, test rows in {languages.test_name}; the data's "
                    f"languages: {', '.join(by_language(examples))})")
        raise BenchError(f"setting {setting!r} needs {entry.needs}{own}")
    return found


def split(examples: Sequence[Example], fold: Fold) -> tuple[list[Example], list[Example]]:
    """The fold's training and test examples."""
    def side(values: tuple[str, ...], language: str, part: str, languages: tuple[str, ...]) -> list[Example]:
        chosen = set(values)
        return [e for e in examples
                if getattr(e, fold.by) in chosen and language in ("", e.language) and part in ("", e.split)
                and (not languages or e.language in languages)]
    return (side(fold.train, fold.train_language, fold.train_split, fold.train_languages),
            side(fold.test, fold.test_language, fold.test_split, fold.test_languages))

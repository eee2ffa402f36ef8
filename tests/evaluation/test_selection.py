import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from bench.evaluation.config import Config
from bench.evaluation.selection import inner_groups, select
from bench.evaluation.settings import evaluations, split
from bench.evaluation.tasks import Example, Task


class Spy(ClassifierMixin, BaseEstimator):
    """Predicts the majority class; remembers every text it was fitted on, and what it predicted for."""

    calls: list = []

    def __init__(self, bias: float = 0.0):
        self.bias = bias

    def fit(self, X, y):
        Spy.calls.append(("fit", set(X["text"]), self.bias))
        values, counts = np.unique(y, return_counts=True)
        self.classes_ = values
        self.majority_ = values[np.argmax(counts)] if self.bias <= 0 else values[0]
        return self

    def predict(self, X):
        Spy.calls.append(("predict", set(X["text"]), self.bias))
        return np.array([self.majority_] * len(X))


def corpus() -> list[Example]:
    """Three stories in two languages, several documents each, two classes everywhere."""
    rows = []
    for doc, language, story in (("a1", "en", "A"), ("a2", "nl", "A"), ("b1", "en", "B"), ("b2", "nl", "B"),
                                 ("c1", "en", "C"), ("c2", "nl", "C")):
        for i in range(6):
            rows.append(Example(f"{doc}-{i}", doc, language, story, "", f"{doc} text {i}", "x" if i % 3 else "y"))
    return rows


def test_inner_groups_are_stories_and_a_single_story_is_never_split():
    rows = corpus()
    assert inner_groups([e for e in rows if e.story in ("A", "B")])[0] == "story"
    assert inner_groups([e for e in rows if e.story == "A"]) is None, "two documents of one story"
    assert inner_groups([e for e in rows if e.doc == "a1"]) is None
    storyless = [Example(e.id, e.doc, e.language, "", "", e.text, e.label) for e in rows if e.story == "A"]
    assert inner_groups(storyless)[0] == "doc", "data without stories is grouped by document"


def one_story_language() -> list[Example]:
    """The benchmark's shape: English tells one story in two documents, Dutch three stories."""
    rows = []
    for doc, language, story in (("e1", "en", "A"), ("e2", "en", "A"), ("n1", "nl", "A"), ("n2", "nl", "B"),
                                 ("n3", "nl", "C")):
        for i in range(6):
            rows.append(Example(f"{doc}-{i}", doc, language, story, "", f"{doc} text {i}", "x" if i % 3 else "y"))
    return rows


@pytest.mark.parametrize("setting", ["in_language", "cross_lingual", "cross_lingual_same_story",
                                     "leave_one_story_out"])
def test_no_inner_split_puts_one_story_on_both_sides(setting):
    """Every inner fit and the predictions scored against it come from different stories, in every fold of
    every setting; a training side of one story keeps the fixed parameters and says so."""
    rows = one_story_language()
    story = {e.text: e.story for e in rows}
    for evaluation in evaluations(setting, rows):
        for fold in evaluation.folds:
            train, _ = split(rows, fold)
            Spy.calls = []
            chosen, record = select(Spy(), [{"bias": [0.0, 1.0]}], train, max_folds=10)
            if len({e.story for e in train}) < 2:
                assert chosen == {} and record["by"] == "fixed: the training side tells one story" and not Spy.calls
                continue
            assert record["by"] == "story"
            fits = [texts for kind, texts, _ in Spy.calls if kind == "fit"]
            scored = [texts for kind, texts, _ in Spy.calls if kind == "predict"]
            assert len(fits) == len(scored) > 0
            for fitted, predicted in zip(fits, scored):
                assert not {story[t] for t in fitted} & {story[t] for t in predicted}, (evaluation.name, fold)


def test_selection_picks_from_the_grid_and_sees_only_the_training_side():
    rows = corpus()
    train = [e for e in rows if e.story != "C"]
    Spy.calls = []
    chosen, record = select(Spy(), [{"bias": [0.0, 1.0]}], train, max_folds=10)
    assert chosen in ({"bias": 0.0}, {"bias": 1.0}) and record["by"] == "story" and record["inner_folds"] == 2
    seen = set().union(*(texts for _, texts, _ in Spy.calls))
    assert seen <= {e.text for e in train} and seen == {e.text for e in train}


def test_nested_selection_never_sees_a_test_document(monkeypatch, evaluate):
    """Run a whole evaluation with the spy as the model: every fit and every prediction made while choosing
    the hyperparameters of a fold touches only that fold's training side."""
    import bench.evaluation.runner as runner
    monkeypatch.setattr(runner, "build_model", lambda name, params: Spy())
    rows = corpus()
    task = Task("t", ("x", "y"), {"x": "x", "y": "y"}, None)
    config = Config("spy", "spy", grid=({"bias": [0.0, 1.0]},))
    for evaluation in evaluations("leave_one_story_out", rows) + evaluations("cross_lingual", rows):
        Spy.calls = []
        result = evaluate(config, task, rows, evaluation)
        calls = iter(Spy.calls)
        for fold in evaluation.folds:
            train, test = split(rows, fold)
            train_texts, test_texts = {e.text for e in train}, {e.text for e in test}
            for kind, texts, _ in calls:
                if kind == "predict" and texts == test_texts:
                    break  # the final model of this fold predicts its test side
                assert texts <= train_texts, (evaluation.name, kind)
        assert all(f.selection["chosen"] in ({"bias": 0.0}, {"bias": 1.0}) or f.selection["by"].startswith(
            "fixed") for f in result.folds)


def test_a_training_side_of_one_document_keeps_the_fixed_parameters():
    rows = [e for e in corpus() if e.doc == "a1"]
    chosen, record = select(Spy(), [{"bias": [1.0]}], rows, max_folds=10)
    assert chosen == {} and record["by"].startswith("fixed")


class StagedSpy(ClassifierMixin, BaseEstimator):
    """A model trained in epochs: after epoch k it predicts the k-th class in sorted order for every row."""

    staged_parameter = "epochs"
    fits: list = []

    def __init__(self, epochs: int = 1, rate: float = 0.0):
        self.epochs = epochs
        self.rate = rate

    def fit(self, X, y):
        StagedSpy.fits.append((self.epochs, self.rate, set(X["text"])))
        self.classes_ = np.unique(y)
        return self

    def staged_predict(self, X):
        for epoch in range(1, self.epochs + 1):
            yield np.array([self.classes_[min(epoch, len(self.classes_)) - 1]] * len(X))

    def predict(self, X):
        return list(self.staged_predict(X))[-1]


def test_a_staged_model_is_fitted_once_per_setting_of_its_other_parameters():
    """Selection reads every epoch count of the grid off one fit that runs to the largest, per learning rate."""
    rows = corpus()
    train = [e for e in rows if e.story != "C"]
    StagedSpy.fits = []
    chosen, record = select(StagedSpy(), [{"epochs": [1, 2, 3], "rate": [0.1, 0.2]}], train, max_folds=10)
    assert sorted((epochs, rate) for epochs, rate, _ in StagedSpy.fits) == [(3, 0.1), (3, 0.1), (3, 0.2), (3, 0.2)]
    assert all(texts <= {e.text for e in train} for _, _, texts in StagedSpy.fits)
    # Epoch 1 predicts "x" (the majority, macro-F1 0.4 on each inner fold), epoch 2 the minority "y" (0.25),
    # epoch 3 "y" again: the grid's scores say so, and the first best point wins.
    assert [round(point["inner_macro_f1"], 3) for point in record["grid"]] == [0.4, 0.4, 0.25, 0.25, 0.25, 0.25]
    assert chosen == {"epochs": 1, "rate": 0.1}
    assert record["inner_majority_macro_f1"] == pytest.approx(0.4)


def test_a_repeated_selection_or_fit_is_computed_once():
    import dataclasses

    from bench.evaluation.runner import remembered
    calls = []
    def count(model, rows, value):
        calls.append(value)
        return len(calls)
    rows = corpus()
    first = remembered(count, Spy(bias=0.5), rows[:4], 1)
    assert remembered(count, Spy(bias=0.5), list(rows[:4]), 1) == first
    assert remembered(count, Spy(bias=0.6), rows[:4], 1) != first
    assert remembered(count, Spy(bias=0.5), rows[:5], 1) != first
    relabelled = [rows[0].__class__(**{**rows[0].__dict__, "label": "y" if rows[0].label == "x" else "x"})] + rows[1:4]
    assert remembered(count, Spy(bias=0.5), relabelled, 1) != first
    retexted = [dataclasses.replace(rows[0], text=rows[0].text + " (another data set)")] + rows[1:4]
    assert remembered(count, Spy(bias=0.5), retexted, 1) != first, "same ids and labels, other texts"
    assert len(calls) == 5

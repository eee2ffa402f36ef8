from dataclasses import replace

import pytest

from bench.evaluation.results import Fold
from bench.publishing import figures
from bench.publishing.outputs import best_cells
from bench.publishing.records import HEADLINE, Results

GOLD = ["a", "b", "c"] * 4


@pytest.fixture
def records(build) -> Results:
    """A learning model in the headline evaluation and on both sides of a same-story transfer, and a baseline."""
    losses = Fold("story", ["s1"], ["s2"], 4, 2, ["a"], [], loss={"0": [0.9, 0.5, 0.2]})
    return Results([
        build.record("majority", [build.result(HEADLINE, GOLD, [["a"] * len(GOLD)])]),
        build.record("tfidf", [build.result(HEADLINE, GOLD, [GOLD], folds=[losses]),
                               build.result("in_language:nl", GOLD, [GOLD]),
                               build.result("in_language:en", GOLD, [GOLD]),
                               build.result("cross_lingual_same_story:en>nl", GOLD, [GOLD], story_disjoint=False)])])


def titles(figure) -> list[str]:
    return [axis.get_title() for axis in figure.axes if axis.axison]


def test_a_confusion_matrix_per_evaluation_marks_the_same_story(records):
    figure = figures.confusion_matrices(records, best_cells(records))
    assert f"topic\n{HEADLINE}\ntfidf" in titles(figure)
    assert "topic\ncross_lingual_same_story:en>nl (same story)\ntfidf" in titles(figure)
    assert len(figure.axes) == len(records.evaluations)


def test_the_transfer_heatmap_needs_a_model_that_learns(records, build):
    figure = figures.transfer_heatmap(records)
    assert titles(figure) == ["topic: tfidf"], "the best learning model, never the baseline"
    baselines = Results([build.record("majority", [build.result(HEADLINE, GOLD, [GOLD])])])
    assert figures.transfer_heatmap(baselines) is None


def test_training_loss_draws_only_models_that_report_one(records):
    figure = figures.training_loss(records)
    assert titles(figure) == ["tfidf: topic"]
    line = figure.axes[0].get_lines()[0]
    assert list(line.get_ydata()) == [0.9, 0.5, 0.2]
    assert figures.training_loss(Results([records.records[0]])) is None


def test_a_learning_curve_has_a_panel_per_task(build):
    points = [replace(build.result(HEADLINE, GOLD, [GOLD], task=task), train_size=size)
              for task in ("topic", "stance_war") for size in (0.5, 0.25)]
    figure = figures.learning_curve(Results([build.record("curve", points)]))
    assert titles(figure) == [f"topic ({HEADLINE})", f"stance_war ({HEADLINE})"]
    assert list(figure.axes[0].get_lines()[0].get_xdata()) == [0.25, 0.5]


def test_figures_are_saved_as_png_and_pdf(records, tmp_path):
    written = figures.save(figures.transfer_heatmap(records), tmp_path, "heatmap")
    assert [p.name for p in written] == ["heatmap.png", "heatmap.pdf"]
    assert written[0].read_bytes().startswith(b"\x89PNG") and written[1].read_bytes().startswith(b"%PDF")

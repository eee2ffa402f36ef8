from dataclasses import replace

import matplotlib.text
import numpy as np
import pytest

from bench.evaluation.results import Bootstrap, Fold
from bench.evaluation.statistics import summarize
from bench.publishing import figures
from bench.publishing.records import HEADLINE, Results

GOLD = ["a", "b", "c"] * 4
GOLD_WITHOUT_C = ["a", "b"] * 6
STANCE = ("favor", "against", "none")
STANCE_GOLD = ["against", "none", "none"] * 4  # no paragraph in favour: F_avg over "against" alone


@pytest.fixture
def records(build) -> Results:
    """The chance levels, a learning model and a corpus-informed one on a topic and a stance task, in the headline
    evaluation and on both sides of a same-story transfer."""
    losses = Fold("story", ["s1"], ["s2"], 4, 2, ["a"], [], loss={"0": [0.9, 0.5, 0.2]})

    def results(topic: list[str], stance: list[str], **kwargs) -> list:
        scored = summarize(STANCE_GOLD, [stance], STANCE, Bootstrap(200, 0), poles=["against"], seen=STANCE)
        return [build.result(HEADLINE, GOLD, [topic], **kwargs),
                replace(build.result(HEADLINE, STANCE_GOLD, [stance], task="stance_war", labels=STANCE),
                        scores=scored, f_avg_poles=["against"])]

    uniform = [["a", "b", "c", "c"] * 3, ["favor", "against", "none"] * 4]
    return Results([
        build.record("majority", results(["a"] * len(GOLD), ["none"] * len(GOLD))),
        build.record("uniform", results(*uniform)),
        build.record("tfidf", [*results(GOLD, STANCE_GOLD, folds=[losses]),
                               build.result("in_language:nl", GOLD_WITHOUT_C, [GOLD_WITHOUT_C]),
                               build.result("in_language:en", GOLD, [GOLD]),
                               build.result("cross_lingual_same_story:en>nl", GOLD, [GOLD], story_disjoint=False)]),
        build.record("codebook", results(GOLD, STANCE_GOLD), marks=["corpus-informed"])])


def titles(figure) -> list[str]:
    return [axis.get_title() for axis in figure.axes if axis.axison and axis.get_title()]


def small_texts(figure) -> list[tuple[str, float]]:
    """Every visible text of the drawn figure under the minimum size."""
    figure.canvas.draw()
    return [(text.get_text(), text.get_fontsize()) for text in figure.findobj(matplotlib.text.Text)
            if text.get_visible() and text.get_text() and text.get_fontsize() < figures.MIN_FONT]


def test_the_forest_plot_has_a_panel_per_task_and_headline_evaluation(records):
    figure = figures.forest_plot(records)
    panels = [axis for axis in figure.axes if axis.axison]
    assert len(panels) == len(records.tasks) * len(records.headline_evaluations)
    assert [axis.get_xlabel() for axis in panels] == ["macro-F1"] * 3 + ["F_avg"] * 3
    assert all(axis.get_xlim() == (0, 1) for axis in panels)


def test_the_forest_plot_draws_majority_and_uniform_levels(records):
    figure = figures.forest_plot(records)
    panel = figure.axes[len(records.headline_evaluations) - 1]  # topic, in the headline evaluation
    levels = {line.get_label(): line.get_xdata()[0] for line in panel.get_lines() if "level" in line.get_label()}
    expected = {f"{name} level (mean)": records.headline(name, "topic").scores["macro_f1"].mean
                for name in ("majority", "uniform")}
    assert levels == pytest.approx(expected)


def test_the_forest_plot_sets_the_corpus_informed_apart(records):
    panel = figures.forest_plot(records).axes[0]
    names = [label.get_text() for label in panel.get_yticklabels()]
    assert names == ["majority", "uniform", "tfidf", figures.INFORMED_GROUP, "codebook"], "ranked first, in order"
    ticks = dict(zip(names, panel.get_yticks()))
    separators = [line.get_ydata()[0] for line in panel.get_lines() if list(line.get_xdata()) == [0, 1]]
    assert len(separators) == 1 and ticks["tfidf"] < separators[0] < ticks[figures.INFORMED_GROUP]
    grey = {label.get_text() for label in panel.get_yticklabels() if label.get_color() != "black"}
    assert grey == {figures.INFORMED_GROUP, "codebook"}


def test_a_point_spans_its_interval(records):
    figure = figures.forest_plot(records)
    panel = figure.axes[len(records.headline_evaluations) - 1]
    score = records.headline("uniform", "topic").scores["macro_f1"]  # the second row
    assert score.ci_low < score.mean < score.ci_high
    bars = [segment.tolist() for collection in panel.collections for segment in collection.get_segments()]
    assert [[pytest.approx(score.ci_low), 1], [pytest.approx(score.ci_high), 1]] in bars


def test_confusion_rows_sum_to_one_and_a_class_without_paragraphs_is_masked(records):
    result = records.cell("tfidf", "topic", "in_language:nl")
    counts = figures.confusion_counts(result)
    assert counts.tolist() == [[6, 0, 0], [0, 6, 0], [0, 0, 0]]
    shares = figures.row_shares(counts)
    assert shares.sum(axis=1)[:2].tolist() == [1, 1]
    assert shares.mask[2].all() and not shares.mask[:2].any()


def test_confusion_counts_add_every_seed(build):
    result = build.result(HEADLINE, ["a", "b"], [["a", "a"], ["a", "b"]])
    counts = figures.confusion_counts(result)
    assert counts.tolist() == [[2, 0, 0], [1, 1, 0], [0, 0, 0]]
    np.testing.assert_allclose(figures.row_shares(counts)[:2], [[1, 0, 0], [0.5, 0.5, 0]])


def test_a_confusion_figure_per_task_marks_the_class_without_paragraphs(records):
    figure = figures.confusion_figure(records, "topic")
    assert titles(figure) == [f"{e}\ntfidf (1 seed)" for e in records.headline_evaluations], "the best ranked"
    panel = figure.axes[records.headline_evaluations.index("in_language:nl")]
    assert [label.get_text() for label in panel.get_yticklabels()] == ["a\n(6 in test)", "b\n(6 in test)",
                                                                     "c\n(0 in test)"]
    assert [patch.get_hatch() for patch in panel.patches] == ["///"]
    assert "nan" not in {text.get_text() for text in panel.texts}
    assert figures.confusion_figure(records, "stance_defector") is None


def test_the_stance_confusion_marks_the_missing_pole(records):
    panel = figures.confusion_figure(records, "stance_war").axes[0]
    assert panel.get_yticklabels()[0].get_text() == "favor\n(0 in test)"
    assert "best point estimate (F_avg)" in panel.figure.get_suptitle()


def test_the_transfer_heatmap_needs_a_model_that_learns(records, build):
    figure = figures.transfer_heatmap(records)
    assert titles(figure)[0] == "topic: macro-F1\ntfidf", "the best learning model, never the baseline"
    assert len(figure.axes) == len(records.tasks) + 1, "a colour bar"
    baselines = Results([build.record("majority", [build.result(HEADLINE, GOLD, [GOLD])])])
    assert figures.transfer_heatmap(baselines) is None


def test_training_loss_draws_only_models_that_report_one(records):
    figure = figures.training_loss(records)
    assert titles(figure) == ["tfidf: topic", "tfidf: stance_war"]
    line = figure.axes[0].get_lines()[0]
    assert list(line.get_ydata()) == [0.9, 0.5, 0.2]
    assert figures.training_loss(Results([records.records[0]])) is None


def test_a_learning_curve_has_a_panel_per_task(build):
    points = [replace(build.result(HEADLINE, GOLD, [GOLD], task=task), train_size=size)
              for task in ("topic", "stance_war") for size in (0.5, 0.25)]
    figure = figures.learning_curve(Results([build.record("curve", points)]))
    assert titles(figure) == ["topic", "stance_war"]
    assert HEADLINE in figure.get_suptitle()
    assert list(figure.axes[0].get_lines()[0].get_xdata()) == [0.25, 0.5]


def every_figure(records, build):
    curve = Results([build.record("curve", [replace(build.result(HEADLINE, GOLD, [GOLD]), train_size=0.5)])])
    rows = [{"language": language, "kind": "body", "topic": label} for language in ("en", "nl") for label in GOLD]
    return {"forest": figures.forest_plot(records), "confusion": figures.confusion_figure(records, "topic"),
            "transfer": figures.transfer_heatmap(records), "loss": figures.training_loss(records),
            "curve": figures.learning_curve(curve),
            "labels": figures.label_distribution(rows, {"kind": ("body",), "topic": ("a", "b", "c")})}


def test_no_figure_has_text_under_the_minimum_size_or_is_wider_than_a_page(records, build, tmp_path):
    for name, figure in every_figure(records, build).items():
        assert small_texts(figure) == [], name
        png = figures.save(figure, tmp_path, name)[0].read_bytes()
        assert int.from_bytes(png[16:20], "big") <= figures.PAGE_WIDTH * figures.DPI, f"{name} is wider than a page"


def test_figures_are_saved_as_png_and_pdf_with_the_same_bytes_each_time(records, build, tmp_path):
    first = figures.save(figures.forest_plot(records), tmp_path / "first", "forest")
    again = figures.save(figures.forest_plot(records), tmp_path / "again", "forest")
    assert [p.name for p in first] == ["forest.png", "forest.pdf"]
    assert first[0].read_bytes().startswith(b"\x89PNG") and first[1].read_bytes().startswith(b"%PDF")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in again]

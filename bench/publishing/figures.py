"""Figures for papers and the results page, drawn with matplotlib from the records and the gold labels.

Every figure is at most a page wide (PAGE_WIDTH inches) with no text under 9 pt, so it stays readable when a
paper scales it to its text width.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np

from ..evaluation.config import Config
from ..evaluation.results import Record, Result
from ..files import atomic_write
from .records import HEADLINE, Results

PAGE_WIDTH = 7.0  # inches: the widest a saved figure is, about a paper's text width
DPI = 150
PAD = 0.1  # inches of margin a saved figure gets on every side
WIDTH = PAGE_WIDTH - 2 * PAD  # the width every figure is drawn at
MIN_FONT = 9  # points, at the size the figure is saved
METRIC_NAMES = {"macro_f1": "macro-F1", "f_avg": "F_avg", "accuracy": "accuracy", "macro_f1_seen": "macro-F1 (seen)"}
F_AVG_NOTE = "F_avg: mean F1 of the stance poles present in the test gold"
CHANCE_LINES = {"majority": ("tab:red", "--"), "uniform": ("tab:orange", ":")}  # the levels a forest plot marks
INFORMED_GROUP = "corpus-informed,\nnot ranked"
# The benchmark's tasks, one confusion figure each: named before the records are read, so that a publication
# can check every file it may write before it writes any.
CONFUSION_TASKS: tuple[str, ...] = Config.tasks


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": MIN_FONT, "axes.titlesize": MIN_FONT, "axes.labelsize": MIN_FONT,
                         "xtick.labelsize": MIN_FONT, "ytick.labelsize": MIN_FONT, "legend.fontsize": MIN_FONT,
                         "figure.titlesize": MIN_FONT + 1, "figure.labelsize": MIN_FONT,
                         "svg.hashsalt": "deserter-bench"})
    return plt


FORMATS = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None}}


def save(figure, folder: Path, name: str) -> list[Path]:
    """PNG for the README and PDF for papers, without timestamps, so a rerun writes the same bytes."""
    written = []
    for extension, metadata in FORMATS.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format=extension, dpi=DPI, bbox_inches="tight", pad_inches=PAD, metadata=metadata)
        atomic_write(folder / f"{name}.{extension}", buffer.getvalue())
        written.append(folder / f"{name}.{extension}")
    _pyplot().close(figure)
    return written


def metric_name(metric: str) -> str:
    return METRIC_NAMES.get(metric, metric)


def _legend_below(figure, axes, **options) -> None:
    """One legend for the whole figure, below the panels, each label once: a panel's own legend would hide data."""
    legend = {label: handle for axis in axes.flat for handle, label in zip(*axis.get_legend_handles_labels())}
    figure.legend(legend.values(), legend.keys(), loc="outside lower center", frameon=False, **options)


def label_distribution(paragraphs: list[dict], fields: dict[str, tuple[str, ...]]):
    """Counts of every label per language: kind over all paragraphs, the task fields over body paragraphs."""
    plt = _pyplot()
    languages = sorted({r["language"] for r in paragraphs})
    columns = min(2, len(fields))
    rows = -(-len(fields) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(WIDTH, 2.6 * rows), squeeze=False, layout="constrained")
    for axis, (name, labels) in zip(axes.flat, fields.items()):
        pool = paragraphs if name == "kind" else [r for r in paragraphs if r["kind"] == "body"]
        width = 0.8 / len(languages)
        for i, language in enumerate(languages):
            counts = Counter(r[name] for r in pool if r["language"] == language)
            axis.bar(np.arange(len(labels)) + i * width, [counts[label] for label in labels], width, label=language)
        axis.set_xticks(np.arange(len(labels)) + width * (len(languages) - 1) / 2, labels, rotation=30, ha="right")
        axis.set_title(name if name == "kind" else f"{name} (body)")
        axis.set_ylabel("paragraphs")
    for axis in axes.flat[len(fields):]:
        axis.axis("off")
    axes[0][0].legend(title="language")
    return figure


def forest_plot(results: Results):
    """Each model's headline score with its seed-and-paragraph interval, a panel per task (rows) and headline
    evaluation (columns), against the majority and uniform levels; corpus-informed models below a line, in grey,
    outside the ranking. None without a headline evaluation."""
    tasks, evaluations = results.tasks, results.headline_evaluations
    if not tasks or not evaluations:
        return None
    plt = _pyplot()
    rows, group = _forest_rows(results)
    units = max(position for position, _ in rows) + 1
    figure, axes = plt.subplots(len(tasks), len(evaluations), sharey=True, squeeze=False, layout="constrained",
                                figsize=(WIDTH, len(tasks) * (0.15 * units + 0.55) + 0.7))
    for task, row in zip(tasks, axes):
        for evaluation, axis in zip(evaluations, row):
            _forest_panel(axis, results, rows, task=task, evaluation=evaluation, separator=group)
        row[0].set_ylabel(task, fontweight="bold")
    for evaluation, axis in zip(evaluations, axes[0]):
        axis.set_title(results.column_label(evaluation).replace(":", "\n", 1))
    ticks = [(position, record.experiment) for position, record in rows]
    if group is not None:
        ticks = sorted([*ticks, (group + 1, INFORMED_GROUP)])
    axes[0][0].set_yticks([p for p, _ in ticks], [name for _, name in ticks])
    axes[0][0].set_ylim(units - 0.4, -0.6)
    grey = {INFORMED_GROUP} | {record.experiment for _, record in rows if record.corpus_informed}
    for label in (label for axis in axes[:, 0] for label in axis.get_yticklabels()):
        if label.get_text() in grey:
            label.set_color("0.45")
    _legend_below(figure, axes, ncols=2)
    metrics = {results.metric_of(task) for task in tasks}
    figure.suptitle("Headline scores, intervals over seeds and paragraphs"
                    + (f"\n{F_AVG_NOTE}" if "f_avg" in metrics else ""))
    return figure


def _forest_rows(results: Results) -> tuple[list[tuple[float, Record]], float | None]:
    """The y position of every record: ranked ones in table order, then a separator (its position, None without
    corpus-informed records), their group's label on the two rows below it, then the corpus-informed ones."""
    rows: list[tuple[float, Record]] = [(float(i), record) for i, record in enumerate(results.ranked)]
    informed = results.informed
    if not informed:
        return rows, None
    separator = float(len(rows))
    return rows + [(separator + 2.5 + i, record) for i, record in enumerate(informed)], separator


def _forest_panel(axis, results: Results, rows: list[tuple[float, Record]], *, task: str, evaluation: str,
                  separator: float | None) -> None:
    """One task in one evaluation: a point and interval per record at its row, the chance levels as lines."""
    metric = results.metric_of(task)
    confidence = {record.bootstrap.confidence for _, record in rows}
    interval = f"{confidence.pop():.0%} interval" if len(confidence) == 1 else "interval"
    for position, record in rows:
        result = results.cell(record.experiment, task, evaluation)
        if result is None or metric not in result.scores:
            continue
        score = result.scores[metric]
        label = "corpus-informed, not ranked" if record.corpus_informed else f"ranked: mean, {interval}"
        axis.errorbar(score.mean, position, xerr=[[score.mean - score.ci_low], [score.ci_high - score.mean]],
                      fmt="o", markersize=3.5, capsize=2, linewidth=1,
                      color="0.6" if record.corpus_informed else "black", label=label)
    for name, (colour, style) in CHANCE_LINES.items():
        result = next((found for record in results if record.model == name
                       and (found := results.cell(record.experiment, task, evaluation)) is not None), None)
        if result is not None and metric in result.scores:
            axis.axvline(result.scores[metric].mean, color=colour, linestyle=style, linewidth=1.3, zorder=3,
                         label=f"{name} level (mean)")
    if separator is not None:
        axis.axhline(separator, color="0.6", linewidth=0.8)
    axis.set_xlim(0, 1)
    axis.set_xticks([0, 0.5, 1], ["0", "0.5", "1"])
    axis.grid(axis="x", color="0.9", linewidth=0.6)
    axis.set_xlabel(metric_name(metric))


def confusion_counts(result: Result) -> np.ndarray:
    """Gold classes (rows) by predicted classes (columns), every seed's prediction of every paragraph counted."""
    index = {label: i for i, label in enumerate(result.labels)}
    counts = np.zeros((len(index), len(index)), dtype=int)
    for row in result.predictions:
        for predicted in row.pred:
            counts[index[row.gold], index[predicted]] += 1
    return counts


def row_shares(counts: np.ndarray) -> np.ma.MaskedArray:
    """Each gold row as shares that sum to 1; the rows of classes the test gold lacks are masked, not 0/0."""
    totals = counts.sum(axis=1, keepdims=True)
    return np.ma.masked_array(counts / np.where(totals == 0, 1, totals), mask=np.broadcast_to(totals == 0, counts.shape))


def confusion_figure(results: Results, task: str):
    """The row-normalised confusion matrix of each headline evaluation's best point estimate for one task, all
    seeds summed. None when no ranked record has the task."""
    cells = [(evaluation, best, result) for evaluation in results.headline_evaluations
             if (best := results.best(task, evaluation)) and (result := results.cell(best, task, evaluation))]
    if not cells:
        return None
    plt = _pyplot()
    columns = min(2, len(cells))
    rows = -(-len(cells) // columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False, layout="constrained",
                                figsize=(WIDTH, rows * (0.4 * len(cells[0][2].labels) + 1.1) + 0.5))
    for axis, (evaluation, best, result) in zip(axes.flat, cells):
        seeds = len(result.predictions[0].pred) if result.predictions else 0
        image = _confusion_panel(axis, result)
        axis.set_title(f"{results.column_label(evaluation)}\n{best} ({seeds} seed{'s' * (seeds != 1)})")
    for axis in axes.flat[len(cells):]:
        axis.axis("off")
    figure.colorbar(image, ax=axes, shrink=0.7, label="share of the gold row")
    figure.suptitle(f"{task}: confusions of each evaluation's best point estimate ({metric_name(results.metric_of(task))})"
                    "\neach gold row sums to 1; a cell: share and count of predictions, all seeds summed")
    return figure


def _confusion_panel(axis, result: Result):
    """One matrix: shares coloured and written with their counts; a class absent from the test gold hatched."""
    from matplotlib.patches import Rectangle

    counts = confusion_counts(result)
    shares = row_shares(counts)
    support = Counter(result.gold)
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(counts):
        if not np.ma.getmaskarray(shares)[i, j]:
            axis.text(j, i, f"{shares[i, j]:.2f}\n{count}", ha="center", va="center",
                      color="white" if shares[i, j] > 0.6 else "black")
    for i, label in enumerate(result.labels):
        if not support[label]:
            axis.add_patch(Rectangle((-0.5, i - 0.5), len(result.labels), 1, facecolor="0.92", edgecolor="0.6",
                                     hatch="///", linewidth=0))
    axis.set_xticks(range(len(result.labels)), result.labels, rotation=30, ha="right")
    axis.set_xlabel("predicted")
    axis.set_ylabel("gold")
    axis.set_yticks(range(len(result.labels)), [f"{label}\n({support[label]} in test)" for label in result.labels])
    for label, tick in zip(result.labels, axis.get_yticklabels()):
        if not support[label]:
            tick.set_color("0.45")
    return image


def transfer_heatmap(results: Results):
    """Each task's headline metric by train language (rows) and test language (columns) for its best trained
    ranked model. None when no ranked experiment trains a model: untrained baselines score the same whatever the
    training language."""
    trained = [record.experiment for record in results.ranked if record.learns]
    if not trained:
        return None
    plt = _pyplot()
    tasks = results.tasks
    languages = sorted({r.test_language for record in results for r in record.results if r.setting == "in_language"})
    figure, axes = plt.subplots(1, len(tasks), figsize=(WIDTH, 2.9), squeeze=False, layout="constrained")
    for axis, task in zip(axes[0], tasks):
        metric = results.metric_of(task)
        best = max(trained, key=lambda name: headline.scores[metric].mean
                   if (headline := results.headline(name, task)) else -1)
        matrix = np.full((len(languages), len(languages)), np.nan)
        same_story = np.zeros(matrix.shape, dtype=bool)
        for i, train in enumerate(languages):
            for j, test in enumerate(languages):
                name = f"in_language:{test}" if train == test else f"cross_lingual:{train}>{test}"
                result = results.cell(best, task, name)
                if result and metric in result.scores:
                    matrix[i, j] = result.scores[metric].mean
                    same_story[i, j] = result.story_disjoint is False
        image = axis.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
        for (i, j), value in np.ndenumerate(matrix):
            if not np.isnan(value):
                axis.text(j, i, f"{value:.2f}" + ("*" if same_story[i, j] else ""), ha="center", va="center",
                          color="white" if value < 0.6 else "black")
        axis.set_xticks(range(len(languages)), languages)
        axis.set_yticks(range(len(languages)), languages)
        axis.set_xlabel("test language")
        axis.set_ylabel("train language")
        axis.set_title(f"{task}: {metric_name(metric)}\n{best}")
    figure.colorbar(image, ax=axes, shrink=0.8, label="mean score")
    figure.suptitle(f"Transfer between languages: each task's headline metric\nfor its best trained model in {HEADLINE}")
    stance = any(results.metric_of(task) == "f_avg" for task in tasks)
    figure.supxlabel("* same story on both sides of the split" + (f"\n{F_AVG_NOTE}" if stance else ""))
    return figure


def learning_curve(curves: Results):
    """Macro-F1 against the number of training paragraphs per fold: mean over seeds, with a ±1 sd band."""
    plt = _pyplot()
    tasks = curves.tasks
    figure, axes = plt.subplots(1, len(tasks), figsize=(WIDTH, 2.9), squeeze=False, sharey=True,
                                layout="constrained")
    for axis, task in zip(axes[0], tasks):
        for record in curves:
            points = sorted(((r.train_size, r.scores["macro_f1"]) for r in record.results
                             if r.task == task and r.train_size), key=lambda point: point[0])
            sizes = np.array([n for n, _ in points])
            mean = np.array([s.mean for _, s in points])
            spread = np.array([s.std for _, s in points])
            axis.plot(sizes, mean, marker="o", label=f"{record.experiment} ({points[0][1].seeds} seeds)")
            axis.fill_between(sizes, mean - spread, mean + spread, alpha=0.25)
        axis.set_title(task)
        axis.set_xlabel("share of each fold's\ntraining paragraphs")
        axis.set_ylim(0, 1)
    axes[0][0].set_ylabel("macro-F1")
    figure.suptitle(f"Learning curve in {curves.records[0].results[0].evaluation}: mean over seeds, ±1 sd band")
    _legend_below(figure, axes)
    return figure


def training_loss(results: Results):
    """Training loss per epoch of every model that reports one: each fold of the headline evaluation, each seed a
    line, so a model that does not learn shows as flat. The epochs differ by fold where selection chose them."""
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
    trained = Results([record for record in results
                       if any(fold.loss is not None for result in record.results for fold in result.folds)])
    if not trained:
        return None
    tasks = trained.tasks
    figure, axes = plt.subplots(len(trained), len(tasks), figsize=(WIDTH, 2.4 * len(trained) + 0.6),
                                squeeze=False, layout="constrained")
    for row, record in zip(axes, trained):
        for axis, task in zip(row, tasks):
            headline = trained.headline(record.experiment, task)
            for number, fold in enumerate(headline.folds if headline else []):
                for i, losses in enumerate((fold.loss or {}).values()):
                    axis.plot(range(1, len(losses) + 1), losses, color=f"C{number}", linewidth=0.8, alpha=0.8,
                              label=f"test {', '.join(fold.test)}" if i == 0 else None)
            axis.set_title(f"{record.experiment}: {task}")
            axis.set_xlabel("epoch (SetFit: training step)" if record.model == "setfit" else "epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_ylim(bottom=0)
        row[0].set_ylabel("training loss")
    _legend_below(figure, axes, ncols=3, title="fold (its test story); a line per seed")
    figure.suptitle(f"Training loss in each fold of {HEADLINE}")
    return figure

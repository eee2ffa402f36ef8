"""Figures for papers and the results page, drawn with matplotlib from the records and the gold labels."""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import numpy as np

from ..files import atomic_write
from .records import HEADLINE, Results, marked


def _pyplot():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    plt.rcParams.update({"font.size": 8, "svg.hashsalt": "deserter-bench"})
    return plt


FORMATS = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None}}


def save(figure, folder: Path, name: str) -> list[Path]:
    """PNG for the README and PDF for papers, without timestamps, so a rerun writes the same bytes."""
    written = []
    for extension, metadata in FORMATS.items():
        buffer = io.BytesIO()
        figure.savefig(buffer, format=extension, dpi=150, bbox_inches="tight", metadata=metadata)
        atomic_write(folder / f"{name}.{extension}", buffer.getvalue())
        written.append(folder / f"{name}.{extension}")
    _pyplot().close(figure)
    return written


def label_distribution(rows: list[dict], fields: dict[str, tuple[str, ...]]):
    """Counts of every label per language: kind over all paragraphs, the task fields over body paragraphs."""
    plt = _pyplot()
    languages = sorted({r["language"] for r in rows})
    figure, axes = plt.subplots(1, len(fields), figsize=(3.2 * len(fields), 2.8))
    for axis, (name, labels) in zip(axes, fields.items()):
        pool = rows if name == "kind" else [r for r in rows if r["kind"] == "body"]
        width = 0.8 / len(languages)
        for i, language in enumerate(languages):
            counts = Counter(r[name] for r in pool if r["language"] == language)
            axis.bar(np.arange(len(labels)) + i * width, [counts[label] for label in labels], width, label=language)
        axis.set_xticks(np.arange(len(labels)) + width * (len(languages) - 1) / 2, labels, rotation=40, ha="right")
        axis.set_title(name if name == "kind" else f"{name} (body)")
    axes[0].set_ylabel("paragraphs")
    axes[0].legend()
    return figure


def confusion_matrices(results: Results, tests: dict):
    """The best model's confusion matrix (first seed) for every task and evaluation."""
    plt = _pyplot()
    tasks = results.tasks
    evaluations = [e for e in results.evaluations if any(key[1] == e for key in tests)]
    figure, axes = plt.subplots(len(tasks), len(evaluations), figsize=(2.6 * len(evaluations), 3.3 * len(tasks)),
                                squeeze=False)
    for row, task in enumerate(tasks):
        for column, evaluation in enumerate(evaluations):
            axis = axes[row][column]
            test = tests.get((task, evaluation))
            result = results.cell(test["best"], task, evaluation) if test else None
            if test is None or result is None:
                axis.axis("off")
                continue
            labels = result.labels
            matrix = np.zeros((len(labels), len(labels)), dtype=int)
            for item in result.predictions:
                if item.pred[0] in labels:
                    matrix[labels.index(item.gold), labels.index(item.pred[0])] += 1
            axis.imshow(matrix, cmap="Blues")
            for (i, j), count in np.ndenumerate(matrix):
                axis.text(j, i, str(count), ha="center", va="center", fontsize=6)
            axis.set_xticks(range(len(labels)), labels, rotation=90, fontsize=6)
            axis.set_yticks(range(len(labels)), labels, fontsize=6)
            axis.set_title(f"{task}\n{marked(evaluation, result.story_disjoint)}\n{test['best']}", fontsize=6)
    figure.supxlabel("predicted")
    figure.supylabel("gold")
    figure.tight_layout()
    return figure


def transfer_heatmap(results: Results):
    """Macro-F1 by train language (rows) and test language (columns) of each task's best trained model.

    None when no experiment trains a model: untrained baselines score the same whatever the training language.
    """
    trained = [record.experiment for record in results if record.learns]
    if not trained:
        return None
    plt = _pyplot()
    tasks = results.tasks
    languages = sorted({r.test_language for record in results for r in record.results if r.setting == "in_language"})
    figure, axes = plt.subplots(1, len(tasks), figsize=(2.8 * len(tasks), 2.6), squeeze=False)
    for axis, task in zip(axes[0], tasks):
        best = max(trained, key=lambda name: headline.scores["macro_f1"].mean
                   if (headline := results.headline(name, task)) else -1)
        matrix = np.full((len(languages), len(languages)), np.nan)
        same_story = np.zeros(matrix.shape, dtype=bool)
        for i, train in enumerate(languages):
            for j, test in enumerate(languages):
                name = f"in_language:{test}" if train == test else f"cross_lingual:{train}>{test}"
                result = results.cell(best, task, name)
                if result:
                    matrix[i, j] = result.scores["macro_f1"].mean
                    same_story[i, j] = result.story_disjoint is False
        axis.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
        for (i, j), value in np.ndenumerate(matrix):
            axis.text(j, i, f"{value:.2f}" + ("*" if same_story[i, j] else ""), ha="center", va="center",
                      color="white")
        axis.set_xticks(range(len(languages)), languages)
        axis.set_yticks(range(len(languages)), languages)
        axis.set_xlabel("test language")
        axis.set_ylabel("train language")
        axis.set_title(f"{task}: {best}")
    figure.supxlabel("* same story on both sides of the split", fontsize=6)
    figure.tight_layout()
    return figure


def learning_curve(curves: Results):
    """Macro-F1 against the number of training paragraphs per fold: mean over seeds, with a ±1 sd band."""
    plt = _pyplot()
    tasks = curves.tasks
    figure, axes = plt.subplots(1, len(tasks), figsize=(3.2 * len(tasks), 2.8), squeeze=False)
    for axis, task in zip(axes[0], tasks):
        for record in curves:
            points = sorted(((r.train_size, r.scores["macro_f1"]) for r in record.results
                             if r.task == task and r.train_size), key=lambda point: point[0])
            sizes = np.array([n for n, _ in points])
            mean = np.array([s.mean for _, s in points])
            spread = np.array([s.std for _, s in points])
            axis.plot(sizes, mean, marker="o", label=f"{record.experiment} ({points[0][1].seeds} seeds)")
            axis.fill_between(sizes, mean - spread, mean + spread, alpha=0.25)
        axis.set_title(f"{task} ({curves.records[0].results[0].evaluation})")
        axis.set_xlabel("share of each fold's training paragraphs")
        axis.set_ylim(0, 1)
    axes[0][0].set_ylabel("macro-F1")
    axes[0][0].legend(fontsize=6)
    figure.tight_layout()
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
    figure, axes = plt.subplots(len(trained), len(tasks), figsize=(3.2 * len(tasks), 2.6 * len(trained)),
                                squeeze=False)
    for row, record in zip(axes, trained):
        for axis, task in zip(row, tasks):
            headline = trained.headline(record.experiment, task)
            for number, fold in enumerate(headline.folds if headline else []):
                for i, losses in enumerate((fold.loss or {}).values()):
                    axis.plot(range(1, len(losses) + 1), losses, color=f"C{number}", linewidth=0.8, alpha=0.8,
                              label=f"test {', '.join(fold.test)}" if i == 0 else None)
            axis.set_title(f"{record.experiment}: {task}", fontsize=8)
            axis.set_xlabel("epoch (SetFit: training step)" if record.model == "setfit" else "epoch")
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
            axis.set_ylim(bottom=0)
        row[0].set_ylabel(f"training loss ({HEADLINE})")
        row[0].legend(fontsize=6)
    figure.tight_layout()
    return figure

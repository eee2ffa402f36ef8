"""Scores per held-out story: how much the story that leave-one-story-out holds out moves each model's score."""

from __future__ import annotations

import numpy as np

from ..evaluation.results import Fold, Record, Result
from ..evaluation.scores import point_scores
from .prose import render
from .records import HEADLINE, Results
from .tables import METRIC_NAMES, markdown_table


def story_name(fold: Fold) -> str:
    """The story (or stories) a fold holds out."""
    return ", ".join(fold.test)


def story_score(result: Result, fold: Fold, metric: str) -> float | None:
    """The mean over seeds of one fold's score, over the classes and poles its own gold holds; None where the
    measure is undefined there (F_avg of a story with none of the poles)."""
    docs = set(fold.tested_docs)
    rows = [row for row in result.predictions if row.document in docs]
    if not rows:
        return None
    gold = [row.gold for row in rows]
    poles = [pole for pole in result.f_avg_poles if pole in set(gold)]
    per_seed = [point_scores(gold, [row.pred[seed] for row in rows], result.labels, poles, seen=result.seen_classes)
                for seed in range(len(rows[0].pred))]
    return float(np.mean([scores[metric] for scores in per_seed])) if metric in per_seed[0] else None


def story_row(name: str, result: Result, stories: list[str], metric: str) -> list[str]:
    """One model's row: its score on each story, then the spread between its highest and lowest."""
    folds = {story_name(fold): fold for fold in result.folds}
    scores = [story_score(result, folds[story], metric) if story in folds else None for story in stories]
    found = [score for score in scores if score is not None]
    spread = f"{max(found) - min(found):.3f}" if len(found) > 1 else ""
    return [name, *("n/a" if score is None else f"{score:.3f}" for score in scores), spread]


def task_table(results: Results, task: str) -> str | None:
    """A task's per-story table: ranked models in table order, then the corpus-informed ones, then the number
    of test paragraphs per story; None where no model ran the evaluation."""
    metric = results.metric_of(task)
    ordered: list[Record] = [*results.ranked, *results.informed]
    found = [(record, result) for record in ordered if (result := results.cell(record.experiment, task, HEADLINE))]
    if not found or not found[0][1].folds:
        return None
    folds = found[0][1].folds
    stories = [story_name(fold) for fold in folds]
    rows = [story_row(record.row_name, result, stories, metric) for record, result in found]
    rows.append(["(test paragraphs)", *(str(fold.n_test) for fold in folds), ""])
    return markdown_table(["model", *stories, "spread (max − min)"], rows)


def per_story_table(results: Results) -> str:
    """The per-story section: an intro, then one table per task of each model's score on each held-out story."""
    tables = [{"task": task, "metric": METRIC_NAMES.get(results.metric_of(task), results.metric_of(task)),
               "markdown": markdown} for task in results.tasks if (markdown := task_table(results, task))]
    if not tables:
        return f"No record holds the `{HEADLINE}` evaluation.\n"
    fewest = min(fold.n_test for record in results for r in record.results if r.evaluation == HEADLINE
                 for fold in r.folds)
    return render("per_story.md", evaluation=HEADLINE, fewest=fewest, tables=tables)

"""Statistics: seeded bootstrap confidence intervals, the spread over seeds, and paired significance tests.

The bootstrap recomputes the measures of `scores.point_scores` from confusion counts for all resamples
at once; tests check that both agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .scores import point_scores, present_labels


def confusion_counts(gold: np.ndarray, pred: np.ndarray, n_labels: int) -> np.ndarray:
    """Confusion matrices of many resamples at once: rows of indices in, (resamples, gold, pred) counts out."""
    resamples = gold.shape[0]
    flat = (np.arange(resamples)[:, None] * n_labels + gold) * n_labels + pred
    return np.bincount(flat.ravel(), minlength=resamples * n_labels * n_labels).reshape(
        resamples, n_labels, n_labels)


def f1_from_counts(counts: np.ndarray) -> np.ndarray:
    """Per-class F1 for each confusion matrix, zero where a class is neither in gold nor predicted."""
    tp = np.diagonal(counts, axis1=1, axis2=2).astype(float)
    denominator = counts.sum(axis=2) + counts.sum(axis=1)
    return np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)


def resampled_scores(gold: np.ndarray, pred: np.ndarray, present: np.ndarray, poles: np.ndarray | None,
                     n_labels: int) -> dict[str, np.ndarray]:
    """The measures of `point_scores` for each row of resampled label indices."""
    counts = confusion_counts(gold, pred, n_labels)
    f1 = f1_from_counts(counts)
    scores = {
        "macro_f1": f1[:, present].mean(axis=1),
        "accuracy": np.trace(counts, axis1=1, axis2=2) / gold.shape[1],
    }
    if poles is not None:
        scores["f_avg"] = f1[:, poles].mean(axis=1)
    return scores


RESAMPLE_BLOCK = 4_000_000  # resampled labels held at once: bounds memory for large test sets


def seed_averaged_resamples(gold: Sequence[str], models: Sequence[Sequence[Sequence[str]]], labels: Sequence[str],
                            poles: Sequence[str], resamples: int, seed: int) -> list[dict[str, np.ndarray]]:
    """For each model (a list of per-seed predictions), its seed-averaged measures on the same seeded resamples.

    The resamples are drawn in blocks from one generator, which yields the same draws as drawing them all at
    once, so memory stays bounded however large the test set is.
    """
    index = {label: i for i, label in enumerate(labels)}
    for label in sorted({p for preds in models for pred in preds for p in pred} - set(index)):
        index[label] = len(index)
    gold_idx = np.array([index[g] for g in gold])
    present = np.array([index[label] for label in present_labels(gold, labels)])
    pole_idx = np.array([index[p] for p in poles]) if poles else None
    pred_idx = [[np.array([index[p] for p in pred]) for pred in preds] for preds in models]
    rng = np.random.default_rng(seed)
    block = max(1, RESAMPLE_BLOCK // max(1, len(gold)))
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in models]
    for start in range(0, resamples, block):
        draws = rng.integers(0, len(gold), size=(min(block, resamples - start), len(gold)))
        gold_draws = gold_idx[draws]
        for model, preds in enumerate(pred_idx):
            totals: dict[str, np.ndarray] = {}
            for pred in preds:
                for name, values in resampled_scores(gold_draws, pred[draws], present, pole_idx, len(index)).items():
                    totals[name] = totals.get(name, 0) + values
            parts[model].append({name: values / len(preds) for name, values in totals.items()})
    return [{name: np.concatenate([part[name] for part in blocks]) for name in blocks[0]} for blocks in parts]


def summarize(gold: Sequence[str], preds_by_seed: Sequence[Sequence[str]], labels: Sequence[str], poles: Sequence[str],
              resamples: int, seed: int, confidence: float = 0.95) -> dict:
    """Mean, spread over seeds and a percentile bootstrap CI over test paragraphs of each measure.

    Each resample draws test paragraphs with replacement and scores every seed's predictions on the
    same draw, so the interval is that of the seed-averaged score.
    """
    per_seed = [point_scores(gold, pred, labels, poles) for pred in preds_by_seed]
    totals = seed_averaged_resamples(gold, [preds_by_seed], labels, poles, resamples, seed)[0]
    tail = (1 - confidence) / 2 * 100
    summary = {}
    for name in per_seed[0]:
        values = [scores[name] for scores in per_seed]
        bootstrap = totals[name]
        summary[name] = {
            "mean": float(np.mean(values)),
            "std": float(np.std(values)),
            "per_seed": values,
            "ci_low": float(np.percentile(bootstrap, tail)),
            "ci_high": float(np.percentile(bootstrap, 100 - tail)),
        }
    return summary


def paired_bootstrap(gold: Sequence[str], best: Sequence[Sequence[str]], other: Sequence[Sequence[str]],
                     labels: Sequence[str], resamples: int, seed: int, metric: str = "macro_f1",
                     poles: Sequence[str] = ()) -> float:
    """One-sided p-value that `other` scores at least as high as `best` on the same test paragraphs.

    Both models' seed-averaged scores are computed on each resample of paragraphs; the p-value is the
    share of resamples where `best` does not beat `other` (Koehn 2004; Berg-Kirkpatrick et al. 2012).
    """
    best_scores, other_scores = seed_averaged_resamples(gold, [best, other], labels, poles, resamples, seed)
    return float(np.mean(best_scores[metric] - other_scores[metric] <= 0))

"""Statistics: bootstrap intervals over paragraphs and over documents, the spread over seeds, a paired
permutation test with Holm's correction, and the paired difference of two evaluations.

Every resampling measure is recomputed from confusion counts for all resamples at once, with the same
classes as `scores.point_scores` (fixed from the pooled test gold, never per resample); tests check that
both agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import stats

from .results import Bootstrap, Score, Scores
from .scores import point_scores, present_labels

MIN_DOCUMENTS = 3  # a document-level interval from fewer test documents means nothing


class Scorer:
    """The measures of `point_scores` for many resampled or permuted label-index arrays at once."""

    def __init__(self, gold: Sequence[str], labels: Sequence[str], poles: Sequence[str] = (),
                 seen: Sequence[str] | None = None, predicted: Sequence[str] = ()):
        self.index = {label: i for i, label in enumerate(labels)}
        for label in sorted(set(predicted) - set(self.index)):
            self.index[label] = len(self.index)
        present = present_labels(gold, labels)
        self.gold = self.encode(gold)
        self.present = self.encode(present)
        self.seen = None if seen is None else self.encode([label for label in present if label in seen])
        self.poles = self.encode(poles) if poles else None

    def encode(self, values: Sequence[str]) -> np.ndarray:
        return np.array([self.index[v] for v in values], dtype=int)

    def scores(self, gold: np.ndarray, pred: np.ndarray, weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each measure per row of (rows, paragraphs) label indices, optionally weighting each paragraph."""
        n = len(self.index)
        rows = gold.shape[0]
        flat = (np.arange(rows)[:, None] * n + gold) * n + pred
        counts = np.bincount(flat.ravel(), weights=None if weights is None else weights.ravel(),
                             minlength=rows * n * n).reshape(rows, n, n)
        tp = np.diagonal(counts, axis1=1, axis2=2).astype(float)
        denominator = counts.sum(axis=2) + counts.sum(axis=1)
        f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
        total = counts.sum(axis=(1, 2))
        scores = {"macro_f1": average(f1, self.present),
                  "accuracy": np.divide(np.trace(counts, axis1=1, axis2=2), total, out=np.zeros(rows), where=total > 0)}
        if self.seen is not None:
            scores["macro_f1_seen"] = average(f1, self.seen)
        if self.poles is not None:
            scores["f_avg"] = average(f1, self.poles)
        return scores

    def seed_mean(self, gold: np.ndarray, preds: Sequence[np.ndarray], draws: np.ndarray | None = None,
                  weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The seed-averaged measures, on the paragraphs `draws` indexes (or, with `weights`, on all of them)."""
        totals: dict[str, np.ndarray] = {}
        for pred in preds:
            if draws is not None:
                gold_rows, pred_rows = gold[draws], pred[draws]
            else:
                gold_rows, pred_rows = gold, pred
            for name, values in self.scores(gold_rows, pred_rows, weights).items():
                totals[name] = totals.get(name, 0) + values
        return {name: values / len(preds) for name, values in totals.items()}


def average(f1: np.ndarray, classes: np.ndarray) -> np.ndarray:
    return f1[:, classes].mean(axis=1) if len(classes) else np.zeros(f1.shape[0])


RESAMPLE_BLOCK = 4_000_000  # resampled labels held at once: bounds memory for large test sets


def seed_averaged_resamples(gold: Sequence[str], models: Sequence[Sequence[Sequence[str]]], labels: Sequence[str],
                            bootstrap: Bootstrap, *, poles: Sequence[str] = (),
                            seen: Sequence[str] | None = None) -> list[dict[str, np.ndarray]]:
    """For each model (a list of per-seed predictions), its seed-averaged measures on the same seeded resamples.

    The resamples are drawn in blocks from one generator, which yields the same draws as drawing them all at
    once, so memory stays bounded however large the test set is.
    """
    scorer = Scorer(gold, labels, poles, seen, [p for preds in models for pred in preds for p in pred])
    pred_idx = [[scorer.encode(pred) for pred in preds] for preds in models]
    rng = np.random.default_rng(bootstrap.seed)
    block = max(1, RESAMPLE_BLOCK // max(1, len(gold)))
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in models]
    for start in range(0, bootstrap.resamples, block):
        draws = rng.integers(0, len(gold), size=(min(block, bootstrap.resamples - start), len(gold)))
        for model, preds in enumerate(pred_idx):
            parts[model].append(scorer.seed_mean(scorer.gold, preds, draws))
    return [{name: np.concatenate([part[name] for part in blocks]) for name in blocks[0]} for blocks in parts]


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def summarize(gold: Sequence[str], preds_by_seed: Sequence[Sequence[str]], labels: Sequence[str],
              bootstrap: Bootstrap, *, poles: Sequence[str] = (), seen: Sequence[str] | None = None) -> Scores:
    """Mean, spread over seeds (sample standard deviation) and a percentile bootstrap CI over test paragraphs.

    Each resample draws test paragraphs with replacement and scores every seed's predictions on the
    same draw, so the interval is that of the seed-averaged score.
    """
    per_seed = [point_scores(gold, pred, labels, poles, seen) for pred in preds_by_seed]
    totals = seed_averaged_resamples(gold, [preds_by_seed], labels, bootstrap, poles=poles, seen=seen)[0]
    summary = {}
    for name in per_seed[0]:
        values = [scores[name] for scores in per_seed]
        low, high = percentile_interval(totals[name], bootstrap.confidence)
        summary[name] = Score(float(np.mean(values)), float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                              values, low, high)
    return summary


def paired_permutation_test(gold: Sequence[str], best: Sequence[Sequence[str]], other: Sequence[Sequence[str]],
                            labels: Sequence[str], bootstrap: Bootstrap, *, metric: str = "macro_f1",
                            poles: Sequence[str] = ()) -> float:
    """One-sided p-value of the hypothesis that `best` scores no higher than `other` on these paragraphs.

    Approximate randomisation (scipy's paired permutation test): under the null hypothesis the two models'
    predictions for a paragraph (all seeds together) are exchangeable, so each resample swaps them on a
    random subset of paragraphs; the statistic is the difference of the seed-averaged measure. With
    2**n or fewer resamples the test enumerates every swap exactly. It draws `bootstrap.resamples` permutations
    with its seed; the confidence plays no part.
    """
    scorer = Scorer(gold, labels, poles, None, [p for preds in (best, other) for pred in preds for p in pred])
    best_idx = np.stack([scorer.encode(pred) for pred in best], axis=1)  # (paragraphs, seeds)
    other_idx = np.stack([scorer.encode(pred) for pred in other], axis=1)
    if best_idx.shape[1] != other_idx.shape[1]:  # different seed counts: compare seed-averaged sides by repetition
        repeats = np.lcm(best_idx.shape[1], other_idx.shape[1])
        best_idx = np.tile(best_idx, repeats // best_idx.shape[1])
        other_idx = np.tile(other_idx, repeats // other_idx.shape[1])
    table, codes = np.unique(np.concatenate([best_idx, other_idx]), axis=0, return_inverse=True)
    codes = codes.ravel()
    n = len(gold)

    def statistic(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        x, y = np.atleast_2d(x), np.atleast_2d(y)
        gold_rows = np.broadcast_to(scorer.gold, x.shape)
        seeds = range(table.shape[1])
        left = scorer.seed_mean(gold_rows, [table[x][..., s] for s in seeds])[metric]
        right = scorer.seed_mean(gold_rows, [table[y][..., s] for s in seeds])[metric]
        return left - right

    result = stats.permutation_test((codes[:n], codes[n:]), statistic, permutation_type="samples", vectorized=True,
                                    n_resamples=bootstrap.resamples, alternative="greater",
                                    random_state=bootstrap.seed)
    return float(result.pvalue)


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment, which controls the family-wise error rate over the comparisons given."""
    order = sorted(p_values, key=lambda name: (p_values[name], name))
    adjusted, running = {}, 0.0
    for rank, name in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[name]))
        adjusted[name] = running
    return adjusted


def document_interval(gold: Sequence[str], preds_by_seed: Sequence[Sequence[str]], docs: Sequence[str],
                      labels: Sequence[str], bootstrap: Bootstrap, *, poles: Sequence[str] = (),
                      metric: str = "macro_f1") -> tuple[float, float] | None:
    """A percentile interval that respects documents: resample documents, then paragraphs within each drawn one.

    None where the test side holds fewer than MIN_DOCUMENTS documents, as the interval then means nothing.
    """
    groups = {doc: np.flatnonzero(np.asarray(docs) == doc) for doc in dict.fromkeys(docs)}
    if len(groups) < MIN_DOCUMENTS:
        return None
    scorer = Scorer(gold, labels, poles, None, [p for pred in preds_by_seed for p in pred])
    rng = np.random.default_rng(bootstrap.seed)
    drawn = rng.multinomial(len(groups), [1 / len(groups)] * len(groups), size=bootstrap.resamples)  # (resamples, docs)
    weights = np.zeros((bootstrap.resamples, len(gold)))
    for column, members in enumerate(groups.values()):
        counts = rng.multinomial(drawn[:, column] * len(members), [1 / len(members)] * len(members))
        weights[:, members] = counts
    gold_rows = np.broadcast_to(scorer.gold, weights.shape)
    preds = [np.broadcast_to(scorer.encode(pred), weights.shape) for pred in preds_by_seed]
    return percentile_interval(scorer.seed_mean(gold_rows, preds, weights=weights)[metric], bootstrap.confidence)


def paired_difference(gold: Sequence[str], first: Sequence[Sequence[str]], second: Sequence[Sequence[str]],
                      labels: Sequence[str], bootstrap: Bootstrap, *, poles: Sequence[str] = (),
                      metric: str = "macro_f1", seen: Sequence[str] | None = None) -> tuple[float, float, float]:
    """The seed-averaged `first` minus `second` on the same paragraphs, with a paired bootstrap interval."""
    a, b = seed_averaged_resamples(gold, [first, second], labels, bootstrap, poles=poles, seen=seen)
    point = np.mean([point_scores(gold, p, labels, poles, seen)[metric] for p in first]) - np.mean(
        [point_scores(gold, p, labels, poles, seen)[metric] for p in second])
    return (float(point), *percentile_interval(a[metric] - b[metric], bootstrap.confidence))

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


def seed_weights(bootstrap: Bootstrap, seeds: int) -> np.ndarray:
    """(resamples, seeds): how often each resample draws each seed, seeds drawn with replacement.

    From a generator of its own, so the paragraphs a resample draws do not depend on the number of seeds;
    with one seed every resample draws it.
    """
    if seeds == 1:
        return np.ones((bootstrap.resamples, 1))
    rng = np.random.default_rng([bootstrap.seed, seeds])
    return rng.multinomial(seeds, [1 / seeds] * seeds, size=bootstrap.resamples).astype(float)


def seed_resampled(per_seed: dict[str, np.ndarray], weights: np.ndarray) -> dict[str, np.ndarray]:
    """Per measure, each resample's mean over the seeds it drew, from (seeds, resamples) per-seed values."""
    return {name: (values.T * weights).sum(axis=1) / weights.shape[1] for name, values in per_seed.items()}


def seed_averaged_resamples(gold: Sequence[str], models: Sequence[Sequence[Sequence[str]]], labels: Sequence[str],
                            bootstrap: Bootstrap, *, poles: Sequence[str] = (),
                            seen: Sequence[str] | None = None) -> list[dict[str, np.ndarray]]:
    """For each model (a list of per-seed predictions), its measures on the same seeded resamples of paragraphs
    and, for a model with several seeds, of its seeds: a hierarchical bootstrap, so an interval carries the
    spread over seeds as well as over paragraphs.

    The resamples are drawn in blocks from one generator, which yields the same draws as drawing them all at
    once, so memory stays bounded however large the test set is.
    """
    scorer = Scorer(gold, labels, poles, seen, [p for preds in models for pred in preds for p in pred])
    pred_idx = [[scorer.encode(pred) for pred in preds] for preds in models]
    rng = np.random.default_rng(bootstrap.seed)
    block = max(1, RESAMPLE_BLOCK // max(1, len(gold)))
    parts: list[list[list[dict[str, np.ndarray]]]] = [[[] for _ in preds] for preds in pred_idx]
    for start in range(0, bootstrap.resamples, block):
        draws = rng.integers(0, len(gold), size=(min(block, bootstrap.resamples - start), len(gold)))
        for model, preds in enumerate(pred_idx):
            for seed, pred in enumerate(preds):
                parts[model][seed].append(scorer.scores(scorer.gold[draws], pred[draws]))
    found = []
    for seeds in parts:
        per_seed = {name: np.stack([np.concatenate([part[name] for part in blocks]) for blocks in seeds])
                    for name in seeds[0][0]}
        found.append(seed_resampled(per_seed, seed_weights(bootstrap, len(seeds))))
    return found


def percentile_interval(values: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))


def summarize(gold: Sequence[str], preds_by_seed: Sequence[Sequence[str]], labels: Sequence[str],
              bootstrap: Bootstrap, *, poles: Sequence[str] = (), seen: Sequence[str] | None = None) -> Scores:
    """Mean, spread over seeds (sample standard deviation) and a percentile bootstrap CI.

    Each resample draws test paragraphs with replacement and, where there are several seeds, seeds with
    replacement, and averages the drawn seeds' scores on the drawn paragraphs: the interval covers both
    sources of variance.
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
                            poles: Sequence[str] = (), alternative: str = "greater") -> float:
    """The p-value of the hypothesis that `best` and `other` score alike on these paragraphs: one-sided
    ("greater": `best` scores no higher) or "two-sided".

    Approximate randomisation (scipy's paired permutation test): under the null hypothesis the two models'
    predictions for a paragraph (all seeds together) are exchangeable, so each resample swaps them on a
    random subset of paragraphs; the statistic is the difference of the seed-averaged measure. With
    2**n or fewer resamples the test enumerates every swap exactly. It draws `bootstrap.resamples` permutations
    with its seed; the confidence plays no part.
    """
    scorer, best_idx, other_idx = _paired(gold, best, other, labels, poles)
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
                                    n_resamples=bootstrap.resamples, alternative=alternative,
                                    random_state=bootstrap.seed)
    return float(result.pvalue)


def _paired(gold: Sequence[str], first: Sequence[Sequence[str]], second: Sequence[Sequence[str]],
            labels: Sequence[str], poles: Sequence[str]) -> tuple[Scorer, np.ndarray, np.ndarray]:
    """A scorer and both models' label indices as (paragraphs, seeds), repeated to equal seed counts."""
    scorer = Scorer(gold, labels, poles, None, [p for preds in (first, second) for pred in preds for p in pred])
    first_idx = np.stack([scorer.encode(pred) for pred in first], axis=1)
    second_idx = np.stack([scorer.encode(pred) for pred in second], axis=1)
    if first_idx.shape[1] != second_idx.shape[1]:  # different seed counts: compare seed-averaged sides by repetition
        repeats = np.lcm(first_idx.shape[1], second_idx.shape[1])
        first_idx = np.tile(first_idx, repeats // first_idx.shape[1])
        second_idx = np.tile(second_idx, repeats // second_idx.shape[1])
    return scorer, first_idx, second_idx


def document_permutation_test(gold: Sequence[str], first: Sequence[Sequence[str]], second: Sequence[Sequence[str]],
                              docs: Sequence[str], labels: Sequence[str], bootstrap: Bootstrap, *,
                              metric: str = "macro_f1", poles: Sequence[str] = ()) -> float:
    """Two-sided p-value of the paired test that swaps the two models' predictions for whole documents, never
    single paragraphs, so paragraphs of one article move together. Exact where 2**documents <= resamples;
    with D documents no p-value falls below `smallest_document_p(D)`."""
    scorer, first_idx, second_idx = _paired(gold, first, second, labels, poles)
    groups = list(dict.fromkeys(docs))
    doc_of = np.array([groups.index(doc) for doc in docs])
    count = len(groups)

    def statistic(x: np.ndarray, y: np.ndarray, axis: int = -1) -> np.ndarray:
        swapped = np.atleast_2d(x)[:, doc_of] >= count  # (permutations, paragraphs)
        gold_rows = np.broadcast_to(scorer.gold, swapped.shape)
        seeds = range(first_idx.shape[1])
        left = [np.where(swapped, second_idx[:, s], first_idx[:, s]) for s in seeds]
        right = [np.where(swapped, first_idx[:, s], second_idx[:, s]) for s in seeds]
        return scorer.seed_mean(gold_rows, left)[metric] - scorer.seed_mean(gold_rows, right)[metric]

    result = stats.permutation_test((np.arange(count), np.arange(count) + count), statistic,
                                    permutation_type="samples", vectorized=True, n_resamples=bootstrap.resamples,
                                    alternative="two-sided", random_state=bootstrap.seed)
    return float(result.pvalue)


def smallest_document_p(documents: int) -> float:
    """The smallest two-sided p-value an exact test that swaps whole documents can reach: 2 of its 2**D swaps."""
    return min(1.0, 2 / 2 ** documents)


def holm(p_values: dict[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment, which controls the family-wise error rate over the comparisons given."""
    order = sorted(p_values, key=lambda name: (p_values[name], name))
    adjusted, running = {}, 0.0
    for rank, name in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p_values[name]))
        adjusted[name] = running
    return adjusted


def document_weights(docs: Sequence[str], bootstrap: Bootstrap) -> np.ndarray | None:
    """(resamples, paragraphs): how often each resample draws each paragraph when it draws documents with
    replacement, then paragraphs within each drawn document. None with fewer than MIN_DOCUMENTS documents."""
    groups = {doc: np.flatnonzero(np.asarray(docs) == doc) for doc in dict.fromkeys(docs)}
    if len(groups) < MIN_DOCUMENTS:
        return None
    rng = np.random.default_rng(bootstrap.seed)
    drawn = rng.multinomial(len(groups), [1 / len(groups)] * len(groups), size=bootstrap.resamples)  # (resamples, docs)
    weights = np.zeros((bootstrap.resamples, len(docs)))
    for column, members in enumerate(groups.values()):
        weights[:, members] = rng.multinomial(drawn[:, column] * len(members), [1 / len(members)] * len(members))
    return weights


def document_resamples(gold: Sequence[str], models: Sequence[Sequence[Sequence[str]]], docs: Sequence[str],
                       labels: Sequence[str], bootstrap: Bootstrap, *, poles: Sequence[str] = (),
                       metric: str = "macro_f1") -> list[np.ndarray] | None:
    """Each model's measure on the same resamples of documents, paragraphs within them and seeds; None with
    fewer than MIN_DOCUMENTS test documents."""
    weights = document_weights(docs, bootstrap)
    if weights is None:
        return None
    scorer = Scorer(gold, labels, poles, None, [p for preds in models for pred in preds for p in pred])
    gold_rows = np.broadcast_to(scorer.gold, weights.shape)
    found = []
    for preds in models:
        per_seed = np.stack([scorer.scores(gold_rows, np.broadcast_to(scorer.encode(pred), weights.shape),
                                           weights)[metric] for pred in preds])
        found.append(seed_resampled({metric: per_seed}, seed_weights(bootstrap, len(preds)))[metric])
    return found


def document_interval(gold: Sequence[str], preds_by_seed: Sequence[Sequence[str]], docs: Sequence[str],
                      labels: Sequence[str], bootstrap: Bootstrap, *, poles: Sequence[str] = (),
                      metric: str = "macro_f1") -> tuple[float, float] | None:
    """A percentile interval that respects documents (and seeds): resample documents, then paragraphs within
    each drawn one. None where the test side holds fewer than MIN_DOCUMENTS documents: it then means nothing."""
    found = document_resamples(gold, [preds_by_seed], docs, labels, bootstrap, poles=poles, metric=metric)
    return None if found is None else percentile_interval(found[0], bootstrap.confidence)


def paired_differences(gold: Sequence[str], first: Sequence[Sequence[str]], second: Sequence[Sequence[str]],
                       labels: Sequence[str], bootstrap: Bootstrap, *, poles: Sequence[str] = (),
                       metric: str = "macro_f1", seen: Sequence[str] | None = None) -> np.ndarray:
    """`first` minus `second` on each paired resample of the paragraphs (and seeds)."""
    a, b = seed_averaged_resamples(gold, [first, second], labels, bootstrap, poles=poles, seen=seen)
    return a[metric] - b[metric]


def paired_difference(gold: Sequence[str], first: Sequence[Sequence[str]], second: Sequence[Sequence[str]],
                      labels: Sequence[str], bootstrap: Bootstrap, *, poles: Sequence[str] = (),
                      metric: str = "macro_f1", seen: Sequence[str] | None = None) -> tuple[float, float, float]:
    """The seed-averaged `first` minus `second` on the same paragraphs, with a paired bootstrap interval."""
    differences = paired_differences(gold, first, second, labels, bootstrap, poles=poles, metric=metric, seen=seen)
    point = np.mean([point_scores(gold, p, labels, poles, seen)[metric] for p in first]) - np.mean(
        [point_scores(gold, p, labels, poles, seen)[metric] for p in second])
    return (float(point), *percentile_interval(differences, bootstrap.confidence))


ALPHA = 0.05  # the level of every test and detectable difference
POWER = 0.8  # the power at which a difference counts as detectable


def minimum_detectable_difference(differences: np.ndarray, *, alpha: float = ALPHA, power: float = POWER) -> float:
    """The smallest true difference that a two-sided test at level `alpha` detects with probability `power`:
    (z(1 - alpha/2) + z(power)) times the standard error of the difference, here the standard deviation of
    its paired bootstrap resamples (the normal approximation)."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return float(z * np.std(differences, ddof=1))

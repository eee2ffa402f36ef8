"""The parallel story: one story told in both languages, used to check the labels and the models.

(a) how often the gold labels of aligned paragraphs agree, a check of the labels themselves;
(b) each model's cross-lingual consistency on aligned pairs, from the leave_one_story_out fold that holds the story
    out, so the model has seen neither side of a pair;
(c) transfer to the same story in the other language against transfer to other stories.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..annotation.agreement import cohen_kappa
from ..data.alignment import Link
from ..data.corpus import Corpus
from ..data.labels import LabelRow
from ..data.schema import KIND_FIELD
from ..evaluation.results import Result
from .records import HEADLINE, Results
from .tables import markdown_table


def body_pairs(alignment: list[Link], gold: dict[str, LabelRow]) -> list[tuple[str, str]]:
    """Aligned pairs whose two paragraphs are both body paragraphs, the ones the tasks are scored on."""
    return [(link.nl, link.en) for link in alignment if link.en is not None
            and gold[link.nl].labels[KIND_FIELD] == "body" and gold[link.en].labels[KIND_FIELD] == "body"]


def kappa(left: Sequence[str], right: Sequence[str]) -> str:
    """Cohen's kappa as the tables show it: n/a where it is undefined."""
    value = cohen_kappa(left, right)
    return "n/a" if value != value else f"{value:.3f}"


def gold_agreement(pairs: list[tuple[str, str]], gold: dict[str, LabelRow], tasks: list[str]) -> str:
    rows = []
    for task in tasks:
        left, right = [gold[nl].labels[task] for nl, _ in pairs], [gold[en].labels[task] for _, en in pairs]
        same = sum(a == b for a, b in zip(left, right))
        rows.append([task, str(len(pairs)), f"{same / len(pairs):.3f}", kappa(left, right)])
    return markdown_table(["task", "aligned body pairs", "same gold label", "Cohen's kappa (nl side vs en side)"], rows)


def unseen_by_training(result: Result, ids: set[str]) -> bool:
    """Whether every fold that tests one of these paragraphs trained on none of their documents."""
    docs = {i.split("-")[0] for i in ids}
    tested = [fold for fold in result.folds if docs & set(fold.test_docs or [])]
    return all(not docs & set(fold.train_docs or []) for fold in tested)


def consistency(results: Results, pairs: list[tuple[str, str]], gold: dict[str, LabelRow], tasks: list[str]) -> str:
    rows = []
    for task in tasks:
        same_gold = sum(gold[nl].labels[task] == gold[en].labels[task] for nl, en in pairs) / len(pairs)
        for record in results:
            result = results.headline(record.experiment, task)
            if result is None:
                continue
            ids = {i for pair in pairs for i in pair}
            position = {row.id: i for i, row in enumerate(result.predictions)}
            if not ids <= set(position) or not unseen_by_training(result, ids):
                continue
            shares = [sum(pred[position[nl]] == pred[position[en]] for nl, en in pairs) / len(pairs)
                      for pred in result.seed_predictions]
            right = [sum(pred[position[nl]] == gold[nl].labels[task] and pred[position[en]] == gold[en].labels[task]
                         for nl, en in pairs) / len(pairs) for pred in result.seed_predictions]
            rows.append([task, record.experiment, f"{sum(shares) / len(shares):.3f}",
                         f"{sum(right) / len(right):.3f}", f"{same_gold:.3f}"])
    return markdown_table(["task", "model", "same prediction on both sides", "both sides right",
                           "same gold label (reference)"], rows)


def same_story_transfer(results: Results, tasks: list[str]) -> str:
    columns = [("cross_lingual:en>nl", "en>nl, other stories"), ("cross_lingual_same_story:en>nl", "en>nl, same story"),
               ("cross_lingual:nl>en", "nl>en, trained without the story"),
               ("cross_lingual_same_story:nl>en", "nl>en, trained with the story")]
    rows = []
    for task in tasks:
        for record in results:
            found = [results.cell(record.experiment, task, evaluation) for evaluation, _ in columns]
            if all(r is None for r in found):
                continue
            rows.append([task, record.experiment, *(f"{r.scores['macro_f1'].mean:.3f}" if r else "" for r in found)])
    return markdown_table(["task", "model", *(name for _, name in columns)], rows)


def pass_agreement(passes: dict[str, list[Link]], corpus: Corpus) -> str:
    """How far two alignment passes agree over every (Dutch, English) pair of the aligned documents."""
    if len(passes) != 2:
        return ""
    (left_name, left), (right_name, right) = sorted(passes.items())
    docs = {link.nl.split("-")[0] for found in passes.values() for link in found} | {
        link.en.split("-")[0] for found in passes.values() for link in found if link.en}
    dutch = [p.id for p in corpus.paragraphs if p.doc in docs and p.language == "nl"]
    english = [p.id for p in corpus.paragraphs if p.doc in docs and p.language == "en"]
    units = [(nl, en) for nl in dutch for en in english]
    linked = [{(link.nl, link.en) for link in found if link.en} for found in (left, right)]
    a, b = [[unit in links for unit in units] for links in linked]
    return (f" The passes {left_name} and {right_name} agree on {sum(x == y for x, y in zip(a, b))} of {len(units)} "
            f"pairs (Cohen's kappa {kappa([str(x) for x in a], [str(y) for y in b])}); "
            f"{len(linked[0] ^ linked[1])} disputed pairs were adjudicated (`labels/alignment/adjudication.jsonl`).")


def parallel_story(results: Results, alignment: list[Link], gold: dict[str, LabelRow], corpus: Corpus,
                   passes: dict[str, list[Link]]) -> str:
    """The section of the results page, or a line saying why it is missing."""
    pairs = body_pairs(alignment, gold)
    if not pairs:
        return "No aligned body paragraphs (`labels/alignment.jsonl`), so there is no parallel-story analysis.\n"
    tasks = [task for task in results.tasks if task in next(iter(gold.values())).labels]
    return (
        f"{len(alignment)} aligned pairs of the Dutch and English articles on one story ({len(pairs)} with two body "
        "paragraphs), made by two blind passes and an adjudication (`labels/alignment.jsonl`)."
        + pass_agreement(passes, corpus) + "\n\n"
        "**(a) Gold labels across aligned pairs.** Aligned paragraphs need not share every label (a partial "
        "link shares one fact, not the whole paragraph), but a low figure would question the labels.\n\n"
        + gold_agreement(pairs, gold, tasks)
        + f"\n**(b) Cross-lingual consistency.** Predictions of `{HEADLINE}` for the aligned paragraphs, from the "
          "fold that holds their story out, so the model saw neither side in training; mean over seeds.\n\n"
        + consistency(results, pairs, gold, tasks)
        + "\n**(c) Same story or other stories.** Macro-F1 of transfer to the other language, on the stories "
          "the training language does not tell and on the story it does (en>nl: one model trained on all English, "
          "scored on the Dutch paragraphs of other stories and of the same story; nl>en: English scored by a model "
          "trained on the Dutch without and with the Dutch article of the same story). The test sets differ in "
          "size and classes, so compare within a row with the intervals of the full tables in mind.\n\n"
        + same_story_transfer(results, tasks))

"""The parallel story: one story told in both languages, used to check the labels and the models.

(a) how often the gold labels of aligned paragraphs agree, a check of the labels themselves;
(b) each model's cross-lingual consistency on aligned pairs, from the leave_one_story_out fold that holds the story
    out, so the model has seen neither side of a pair;
(c) transfer to the same story in the other language against transfer to other stories.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..annotation.agreement import cohen_kappa
from ..data.alignment import ADJUDICATION, ALIGNMENTS, CROSS_LANGUAGE, LINKS, RELATIONS, Alignment, Link
from ..data.corpus import Corpus
from ..data.labels import LabelRow
from ..data.schema import KIND_FIELD
from ..evaluation.results import Result
from .records import HEADLINE, Results
from .tables import markdown_table


def body_pairs(alignment: list[Link], gold: dict[str, LabelRow], relation: str = "") -> list[tuple[str, str]]:
    """Aligned pairs whose two paragraphs are both body paragraphs, the ones the tasks are scored on; only the
    links of one relation where it is given."""
    return [(link.left, link.right) for link in alignment if link.right is not None
            and (not relation or link.relation == relation)
            and gold[link.left].labels[KIND_FIELD] == "body" and gold[link.right].labels[KIND_FIELD] == "body"]


def kappa(left: Sequence[str], right: Sequence[str]) -> str:
    """Cohen's kappa as the tables show it: n/a where it is undefined."""
    value = cohen_kappa(left, right)
    return "n/a" if value != value else f"{value:.3f}"


def gold_agreement(alignments: dict[str, Alignment], gold: dict[str, LabelRow], tasks: list[str]) -> str:
    """How often the gold labels of aligned body pairs agree, per alignment and relation: an equivalent link
    should share every label, a partial one need not."""
    rows = []
    for alignment in alignments.values():
        for relation in RELATIONS:
            pairs = body_pairs(alignment.links, gold, relation)
            for task in tasks if pairs else []:
                left, right = [gold[a].labels[task] for a, _ in pairs], [gold[b].labels[task] for _, b in pairs]
                same = sum(a == b for a, b in zip(left, right))
                rows.append([alignment.name, relation, task, str(len(pairs)), f"{same / len(pairs):.3f}",
                             kappa(left, right)])
    return markdown_table(["alignment", "relation", "task", "aligned body pairs", "same gold label",
                           "Cohen's kappa (left side vs right side)"], rows)


def equivalent_differences(alignments: dict[str, Alignment], gold: dict[str, LabelRow], tasks: list[str]) -> str:
    """The equivalent body pairs whose gold labels still differ, each a case for the adjudicator."""
    found = [f"{a} and {b} ({task}: {gold[a].labels[task]} against {gold[b].labels[task]})"
             for alignment in alignments.values() for a, b in body_pairs(alignment.links, gold, "equivalent")
             for task in tasks if gold[a].labels[task] != gold[b].labels[task]]
    return ("Equivalent body pairs with different gold labels: " + ("; ".join(found) if found else "none") + ".")


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


def pass_agreement(alignment: Alignment, corpus: Corpus) -> str:
    """How far two alignment passes agree over every pair of a left and a right paragraph of the aligned
    documents, and on the relation of the pairs both linked."""
    if len(alignment.passes) != 2:
        return ""
    (left_name, left), (right_name, right) = sorted(alignment.passes.items())
    every = [link for found in alignment.passes.values() for link in found]
    left_docs = {link.left.split("-")[0] for link in every}
    right_docs = {link.right.split("-")[0] for link in every if link.right}
    units = [(a.id, b.id) for a in corpus.paragraphs if a.doc in left_docs
             for b in corpus.paragraphs if b.doc in right_docs]
    linked = [{(link.left, link.right): link.relation for link in found if link.right} for found in (left, right)]
    a, b = [[unit in links for unit in units] for links in linked]
    both = linked[0].keys() & linked[1].keys()
    same_relation = sum(linked[0][pair] == linked[1][pair] for pair in both)
    return (f"The passes {left_name} and {right_name} agree on {sum(x == y for x, y in zip(a, b))} of {len(units)} "
            f"pairs (Cohen's kappa {kappa([str(x) for x in a], [str(y) for y in b])}) and give the same relation "
            f"to {same_relation} of the {len(both)} pairs both link; {len(linked[0].keys() ^ linked[1].keys())} "
            f"disputed pairs were adjudicated (`labels/{ALIGNMENTS}/{alignment.name}/{ADJUDICATION}`).")


def alignment_summary(alignment: Alignment, gold: dict[str, LabelRow], corpus: Corpus) -> str:
    """One line on an alignment: its documents, links by relation, body pairs and the passes' agreement."""
    docs = sorted({p.split("-")[0] for link in alignment.links for p in (link.left, link.right) if p})
    counts = ", ".join(f"{sum(link.relation == r for link in alignment.links)} {r}" for r in RELATIONS)
    return (f"- `{alignment.name}` (documents {', '.join(docs)}): {len(alignment.links)} links ({counts}), "
            f"{len(body_pairs(alignment.links, gold))} with two body paragraphs. "
            + pass_agreement(alignment, corpus) + "\n")


def parallel_story(results: Results, alignments: dict[str, Alignment], gold: dict[str, LabelRow],
                   corpus: Corpus) -> str:
    """The section of the results page, or a line saying why it is missing."""
    cross = alignments.get(CROSS_LANGUAGE)
    pairs = body_pairs(cross.links, gold) if cross else []
    if not pairs:
        return (f"No aligned body paragraphs (`labels/{ALIGNMENTS}/{CROSS_LANGUAGE}/{LINKS}`), so there is no "
                "parallel-story analysis.\n")
    tasks = [task for task in results.tasks if task in next(iter(gold.values())).labels]
    return (
        "The articles that tell one story are aligned paragraph by paragraph, each alignment by two blind passes "
        "and an adjudication (`labels/alignment/`); a link is `equivalent` where nearly everything in each "
        "paragraph is in the other, `partial` where they share a main fact but each says more.\n\n"
        + "".join(alignment_summary(alignment, gold, corpus) for alignment in alignments.values()) + "\n"
        "**(a) Gold labels across aligned pairs.** An equivalent pair should share every label; a partial one "
        "shares one fact, not the whole paragraph, so it need not. A low figure on equivalent pairs would question "
        "the labels.\n\n"
        + gold_agreement(alignments, gold, tasks) + "\n" + equivalent_differences(alignments, gold, tasks) + "\n"
        + f"\n**(b) Cross-lingual consistency.** Predictions of `{HEADLINE}` for the body pairs of the "
          f"`{CROSS_LANGUAGE}` alignment, from the fold that holds their story out, so the model saw neither side "
          "in training; mean over seeds.\n\n"
        + consistency(results, pairs, gold, tasks)
        + "\n**(c) Same story or other stories.** Macro-F1 of transfer to the other language, on the stories "
          "the training language does not tell and on the story it does (en>nl: one model trained on all English, "
          "scored on the Dutch paragraphs of other stories and of the same story; nl>en: English scored by a model "
          "trained on the Dutch without and with the Dutch article of the same story). The test sets differ in "
          "size and classes, so compare within a row with the intervals of the full tables in mind.\n\n"
        + same_story_transfer(results, tasks))

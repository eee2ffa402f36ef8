"""A synthetic corpus of any size, built from the seed corpus, for measuring how the benchmark scales."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from ..files import dump_jsonl, sha256_text
from .corpus import MANIFEST, MANIFEST_COLUMNS, load_corpus
from .labels import GOLD, load_gold
from .schema import load_schema

PARAGRAPHS_PER_DOCUMENT = 10


def synthetic_project(root: Path, target: Path, paragraphs: int, seed: int = 0) -> None:
    """A project of `paragraphs` labelled body paragraphs built from the seed corpus, for measuring scale.

    Each synthetic paragraph takes the labels of a random gold body paragraph of its language and a shuffled
    resample of that paragraph's words, so texts have realistic lengths, vocabularies and label signal.
    Documents hold ten paragraphs each; languages alternate as in the seeds (three Dutch to two English).
    """
    rng = np.random.default_rng(seed)
    guidelines = root / "labels" / "GUIDELINES.md"
    schema, corpus = load_schema(guidelines), load_corpus(root / "seeds")
    gold = load_gold(root / "labels", schema, corpus)
    sources: dict[str, list] = {}
    for p in corpus.paragraphs:
        if p.id in gold and gold[p.id].labels["kind"] == "body":
            sources.setdefault(p.language, []).append((p.text.split(), gold[p.id].labels))
    seeds, labels = target / "seeds", target / "labels"
    seeds.mkdir(parents=True)
    (labels / "annotations").mkdir(parents=True)
    shutil.copy(guidelines, labels / "GUIDELINES.md")
    manifest = [",".join(MANIFEST_COLUMNS)]
    gold_rows = []
    documents = -(-paragraphs // PARAGRAPHS_PER_DOCUMENT)
    for d in range(documents):
        language = ("nl", "en", "nl", "en", "nl")[d % 5]
        doc = f"s{d:06d}"
        count = min(PARAGRAPHS_PER_DOCUMENT, paragraphs - d * PARAGRAPHS_PER_DOCUMENT)
        texts = []
        for position in range(1, count + 1):
            words, label = sources[language][rng.integers(len(sources[language]))]
            text = " ".join(words[i] for i in rng.integers(0, len(words), len(words)))
            texts.append(text)
            gold_rows.append({"id": f"{doc}-{position:02d}", "sha256": sha256_text(text), **label})
        (seeds / f"{doc}.txt").write_text("\n\n".join(texts) + "\n", encoding="utf-8")
        manifest.append(f"{doc},{doc}.txt,{language},,synthetic-{d},synthetic")
    (seeds / MANIFEST).write_text("\n".join(manifest) + "\n", encoding="utf-8")
    (labels / GOLD).write_text(dump_jsonl(gold_rows), encoding="utf-8")


MULTITARGET = ["wind power", "nuclear power", "coal"]
MULTITARGET_COLUMNS = ["id", "post", "target", "text", "stance", "split"]


def multitarget_rows(posts: int, seed: int = 0) -> list[dict]:
    """A synthetic multi-target stance data set in which the label depends on the target: each post is favor
    toward one target, against another and neutral toward the third; every fourth post is a test post.

    `experiments/examples/multitarget.csv` is `multitarget_rows(120)`.
    """
    import random

    rng = random.Random(seed)
    favor = ["We need much more {t}.", "Build more {t} now.", "{T} is the future of energy.", "I fully support {t}."]
    against = ["Stop investing in {t}.", "{T} has no place here.", "Phase out {t} as soon as possible.",
               "I oppose {t}."]
    filler = ["Prices keep rising.", "The council meets on Monday.", "Jobs matter to this town.",
              "Read the report first.", "Our grid is old.", "Winters are getting milder."]
    rows = []
    for i in range(posts):
        a, b = rng.sample(MULTITARGET, 2)
        c = next(t for t in MULTITARGET if t not in (a, b))
        text = " ".join([rng.choice(favor).format(t=a, T=a.capitalize()),
                         rng.choice(against).format(t=b, T=b.capitalize()), rng.choice(filler)])
        split = "test" if i % 4 == 0 else "train"
        for target, label in ((a, "FAVOR"), (b, "AGAINST"), (c, "NONE")):
            rows.append({"id": f"{i:03d}-{MULTITARGET.index(target)}", "text": text, "target": target,
                         "stance": label, "split": split, "post": f"p{i:03d}"})
    return rows

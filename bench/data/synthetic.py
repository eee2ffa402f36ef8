"""A synthetic corpus of any size, built from the seed corpus, for measuring how the benchmark scales."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np

from ..files import dump_jsonl, sha256_text
from .corpus import MANIFEST, MANIFEST_COLUMNS, load_corpus
from .labels import GOLD, load_gold
from .schema import load_schema

PARAGRAPHS_PER_DOCUMENT = 10
SIGNAL_SHARE = 0.5  # of a synthetic paragraph's words, the share resampled from its labelled source paragraph
SYLLABLE = 3  # characters per syllable of the invented word forms


def heaps_exponent(tokens: list[str]) -> float:
    """β of Heaps' law V(n) = K·n^β, fitted by least squares on log-log over the running vocabulary size."""
    seen: set[str] = set()
    sizes = []
    for token in tokens:
        seen.add(token)
        sizes.append(len(seen))
    n = np.arange(1, len(tokens) + 1)
    beyond = n > min(100, len(tokens) // 2)  # the first words are nearly all new: skip the start
    return float(np.polyfit(np.log(n[beyond]), np.log(np.array(sizes)[beyond]), 1)[0])


class OpenVocabulary:
    """Words of one language by Zipf rank over an unbounded vocabulary.

    Rank r is the r-th most frequent seed word while the seed words last; beyond them it is an invented word
    form, the rank written in base S with the language's S seed syllables (lower-case three-letter pieces of
    its seed words) as digits, so every rank has its own form and rarer words are longer. Ranks are drawn from a Zipf
    distribution of exponent 1/β, so the vocabulary grows as n^β with the seed corpus's Heaps exponent β.
    """

    def __init__(self, tokens: list[str]):
        counts = Counter(tokens)
        self.words = sorted(counts, key=lambda w: (-counts[w], w))
        self.syllables = sorted({w.lower()[i:i + SYLLABLE] for w in self.words if w.isalpha()
                                 for i in range(0, len(w) - SYLLABLE + 1, SYLLABLE)})
        self.exponent = 1 / heaps_exponent(tokens)
        self._forms: dict[int, str] = {}

    def word(self, rank: int) -> str:
        if rank <= len(self.words):
            return self.words[rank - 1]
        if rank not in self._forms:
            digits, rest = [], rank - len(self.words)
            while rest:
                rest, digit = divmod(rest, len(self.syllables))
                digits.append(self.syllables[digit])
            self._forms[rank] = "".join(digits)
        return self._forms[rank]

    def sample(self, rng: np.random.Generator, count: int) -> list[str]:
        return [self.word(int(rank)) for rank in rng.zipf(self.exponent, count)]


def synthetic_project(root: Path, target: Path, paragraphs: int, seed: int = 0) -> None:
    """A project of `paragraphs` labelled body paragraphs built from the seed corpus, for measuring scale.

    Each synthetic paragraph takes the labels and the length of a random gold body paragraph of its
    language. Half its words (SIGNAL_SHARE) are resampled from that paragraph, which ties the labels to the
    words; the others are drawn from the language's open Zipf vocabulary (OpenVocabulary), so the vocabulary
    keeps growing with the corpus as real text does. Documents hold ten paragraphs each; languages alternate
    as in the seeds (three Dutch to two English).
    """
    rng = np.random.default_rng(seed)
    guidelines = root / "labels" / "GUIDELINES.md"
    schema, corpus = load_schema(guidelines), load_corpus(root / "seeds")
    gold = load_gold(root / "labels", schema, corpus)
    sources: dict[str, list] = {}
    for p in corpus.paragraphs:
        if p.id in gold and gold[p.id].labels["kind"] == "body":
            sources.setdefault(p.language, []).append((p.text.split(), gold[p.id].labels))
    vocabularies = {language: OpenVocabulary([w for p in corpus.paragraphs if p.language == language
                                              for w in p.text.split()]) for language in sources}
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
            signal = rng.random(len(words)) < SIGNAL_SHARE
            drawn = iter(vocabularies[language].sample(rng, int((~signal).sum())))
            text = " ".join(words[rng.integers(len(words))] if kept else next(drawn) for kept in signal)
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


MULTILINGUAL_COLUMNS = ["id", "language", "text", "topic", "split"]
# A topic's words in each language. English and Dutch share most of theirs (minister, team, bank); German shares one
# or two per topic (Minister, Trainer, Inflation) and has words of its own (Regierung, Mannschaft, Zinsen), so a
# model trained on English and Dutch transfers to German only in part, as between related languages.
MULTILINGUAL_WORDS = {
    "politics": {"en": ["parliament", "minister", "coalition", "election"],
                 "nl": ["parlement", "minister", "coalitie", "verkiezing"],
                 "de": ["Bundestag", "Minister", "Regierung", "Wahl"]},
    "sport": {"en": ["football", "team", "trainer", "stadium"], "nl": ["voetbal", "team", "trainer", "stadion"],
              "de": ["Mannschaft", "Trainer", "Tor", "Stadion"]},
    "economy": {"en": ["inflation", "bank", "euro", "export"], "nl": ["inflatie", "bank", "euro", "export"],
                "de": ["Inflation", "Zinsen", "Preise", "Handel"]},
}
MULTILINGUAL_FILLER = {
    "en": ["It was said on Monday.", "Many people talked about it.", "The news came late in the evening."],
    "nl": ["Dat werd maandag gezegd.", "Veel mensen spraken erover.", "Het nieuws kwam laat op de avond."],
    "de": ["Das wurde am Montag gesagt.", "Viele Leute sprachen darüber.", "Die Nachricht kam spät am Abend."],
}


def multilingual_rows(per_language: int, seed: int = 0) -> list[dict]:
    """A synthetic topic data set in three languages (en, nl, de) with a train/test split: each text names two
    words of its topic in its language among neutral filler; every fourth row of a language is a test row.

    `experiments/examples/multilingual.csv` is `multilingual_rows(60)`.
    """
    import random

    rng = random.Random(seed)
    topics = list(MULTILINGUAL_WORDS)
    rows = []
    for language in ("en", "nl", "de"):
        for i in range(per_language):
            topic = topics[i % len(topics)]
            words = rng.sample(MULTILINGUAL_WORDS[topic][language], 2)
            text = " ".join([rng.choice(MULTILINGUAL_FILLER[language]), f"{words[0][0].upper()}{words[0][1:]}, "
                             f"{words[1]}.", rng.choice(MULTILINGUAL_FILLER[language])])
            rows.append({"id": f"{language}{i:03d}", "language": language, "text": text, "topic": topic,
                         "split": "test" if i % 4 == 0 else "train"})
    return rows

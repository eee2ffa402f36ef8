import math

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

from bench.cli import main
from bench.data.synthetic import OpenVocabulary, heaps_exponent, synthetic_project
from bench.workflows.project import Project


def synthetic_words(repo, folder, paragraphs):
    synthetic_project(repo.root, folder, paragraphs)
    return [w for p in Project(folder).corpus().paragraphs for w in p.text.split()]


def test_a_synthetic_corpus_is_a_valid_project_of_the_asked_size(repo, tmp_path, capsys):
    synthetic_project(repo.root, tmp_path / "project", 45)
    project = Project(tmp_path / "project")
    corpus = project.corpus()
    assert len(corpus.paragraphs) == 45 and len(corpus.documents) == 5
    assert {d.language for d in corpus.documents} == {"en", "nl"}
    assert main(["--root", str(project.root), "validate"]) == 0
    assert "ok: 45 paragraphs" in capsys.readouterr().out


def test_the_synthetic_vocabulary_keeps_growing_as_heaps_law_says(repo, tmp_path):
    small, large = synthetic_words(repo, tmp_path / "small", 200), synthetic_words(repo, tmp_path / "large", 2000)
    growth = math.log(len(set(large)) / len(set(small))) / math.log(len(large) / len(small))
    assert 0.5 < growth < 0.9, "types grow as tokens to a power between a closed vocabulary's 0 and 1"
    seed_words = {w for p in repo.corpus().paragraphs for w in p.text.split()}
    invented = set(large) - seed_words
    assert len(invented) > len(set(large)) / 2, "most word forms are new ones"


def test_heaps_exponent_is_one_for_all_new_words_and_zero_for_one_word():
    assert abs(heaps_exponent([str(i) for i in range(1000)]) - 1) < 1e-9
    assert abs(heaps_exponent(["a"] * 1000)) < 1e-9


def test_every_invented_rank_of_the_open_vocabulary_has_its_own_word():
    vocabulary = OpenVocabulary(["the", "cat", "sat", "on", "the", "mat", "and", "the", "dog", "lay", "under", "the", "table", "today"])
    seeds = len(vocabulary.words)
    invented = [vocabulary.word(rank) for rank in range(seeds + 1, 5000)]
    assert len(set(invented)) == len(invented)
    assert len(set(invented) & set(vocabulary.words)) <= seeds, "one may spell a seed word, by chance"
    assert vocabulary.word(1) == "the", "the commonest seed word is rank 1"


def test_synthetic_labels_are_tied_to_the_words(repo, tmp_path):
    synthetic_project(repo.root, tmp_path / "project", 600)
    project = Project(tmp_path / "project")
    corpus = project.corpus()
    gold = project.valid_gold(project.schema(), corpus)
    texts = [p.text for p in corpus.paragraphs]
    labels = np.array([gold[p.id].labels["topic"] for p in corpus.paragraphs])
    train = np.arange(len(texts)) < 400  # whole documents: ten paragraphs each
    model = LogisticRegression(class_weight="balanced", max_iter=1000)
    vectorizer = TfidfVectorizer()
    model.fit(vectorizer.fit_transform([t for t, k in zip(texts, train) if k]), labels[train])
    predicted = model.predict(vectorizer.transform([t for t, k in zip(texts, train) if not k]))
    majority = [max(set(labels[train]), key=list(labels[train]).count)] * int((~train).sum())
    assert f1_score(labels[~train], predicted, average="macro") > f1_score(labels[~train], majority,
                                                                          average="macro") + 0.2

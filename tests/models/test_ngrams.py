"""The shared n-gram analysis gives exactly the per-fold TfidfVectorizer's matrix and predictions."""

import pickle
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from bench.data.synthetic import synthetic_project
from bench.evaluation.config import Config
from bench.evaluation.runner import run_plans
from bench.evaluation.selection import select
from bench.evaluation.settings import evaluations
from bench.evaluation.tasks import build_examples, frame, tasks_from_schema
from bench.models import build_model, ngrams
from bench.workflows.project import Project

NAIVE = {"features__word__shared_analysis": False, "features__char__shared_analysis": False}


@pytest.fixture
def fresh_analyses(monkeypatch):
    """An empty store of analyses, and a count of the texts analysed."""
    monkeypatch.setattr(ngrams, "ANALYSES", {})
    analysed = []
    real = ngrams._count

    def counting(texts, params):
        analysed.extend(texts)
        return real(texts, params)

    monkeypatch.setattr(ngrams, "_count", counting)
    return analysed


@pytest.fixture(scope="module")
def synthetic(repo, tmp_path_factory):
    """A synthetic project of 300 paragraphs in 30 documents, with its topic task and examples."""
    folder = tmp_path_factory.mktemp("synthetic") / "project"
    synthetic_project(repo.root, folder, 300)
    project = Project(folder)
    schema, corpus = project.schema(), project.corpus()
    task = tasks_from_schema(schema)["topic"]
    return task, build_examples(task, corpus, project.valid_gold(schema, corpus), ("body",))


def test_the_tfidf_model_predicts_as_the_per_fold_pipeline_does(synthetic, fresh_analyses, evaluate):
    task, examples = synthetic
    evaluation = evaluations("leave_one_story_out", examples, 5)[0]
    for model in ("tfidf", "svm"):
        shared = evaluate(Config(model, model), task, examples, evaluation)
        naive = evaluate(Config(model, model, params=NAIVE), task, examples, evaluation)
        assert [p.pred for p in shared.predictions] == [p.pred for p in naive.predictions]
        assert shared.scores == naive.scores
    assert len(fresh_analyses) == 2 * len(examples), "each text analysed once for words and once for characters"


texts = st.lists(st.text(alphabet="abc dé.\n", max_size=30), min_size=4, max_size=25)


@settings(max_examples=60, deadline=None)
@given(texts=texts, data=st.data())
def test_the_feature_matrix_equals_tfidf_vectorizer_s(texts, data):
    params = {"analyzer": data.draw(st.sampled_from(["word", "char", "char_wb"])),
              "ngram_range": data.draw(st.sampled_from([(1, 1), (1, 2), (2, 3)])),
              "min_df": data.draw(st.sampled_from([1, 2, 0.2])), "max_df": data.draw(st.sampled_from([1.0, 3, 0.8])),
              "binary": data.draw(st.booleans()), "sublinear_tf": data.draw(st.booleans())}
    train = data.draw(st.lists(st.sampled_from(range(len(texts))), min_size=2, max_size=len(texts)))
    ngrams.ANALYSES.clear()
    ngrams.prepare(ngrams.SharedTfidfVectorizer(**params), texts[: len(texts) // 2])  # the rest comes later
    try:
        expected = TfidfVectorizer(**params).fit([texts[i] for i in train])
    except ValueError as err:
        with pytest.raises(ValueError, match=str(err)[:20]):
            ngrams.SharedTfidfVectorizer(**params).fit([texts[i] for i in train])
        return
    shared = ngrams.SharedTfidfVectorizer(**params).fit([texts[i] for i in train])
    assert shared.vocabulary_ == expected.vocabulary_
    difference = shared.transform(texts + ["unseen dé text"]) - expected.transform(texts + ["unseen dé text"])
    assert abs(difference).max() < 1e-12 if difference.nnz else True


def test_a_pickled_vectorizer_transforms_without_the_shared_analysis(fresh_analyses):
    corpus = ["one two three", "two three four", "four five"]
    fitted = ngrams.SharedTfidfVectorizer(ngram_range=(1, 2)).fit(corpus[:2])
    copy = pickle.loads(pickle.dumps(fitted))
    assert "_analysis" not in vars(copy)
    assert abs(copy.transform(corpus) - fitted.transform(corpus)).max() == 0


def test_workers_attach_the_saved_analysis_and_analyse_nothing(synthetic, fresh_analyses, monkeypatch):
    task, examples = synthetic
    texts = [e.text for e in examples]
    model = build_model("tfidf")
    folder = ngrams.prepare(model, texts, save=True)
    assert folder is not None and len(fresh_analyses) == 2 * len(texts)
    expected = model["features"].fit_transform(frame(examples))
    monkeypatch.setattr(ngrams, "ANALYSES", {})  # a worker process: nothing analysed yet
    ngrams.attach(folder)
    attached = build_model("tfidf")["features"].fit_transform(frame(examples))
    assert len(fresh_analyses) == 2 * len(texts), "the worker analysed no text"
    assert abs(attached - expected).max() == 0
    shutil.rmtree(folder)


def test_nested_selection_reuses_the_analysis(synthetic, fresh_analyses):
    task, examples = synthetic
    grid = [{"classifier__C": [0.1, 1.0]}, {"classifier__C": [1.0], "features__char": ["drop"]}]
    select(build_model("tfidf"), grid, examples, 5)
    assert len(fresh_analyses) == 2 * len(examples)


def test_records_are_the_same_for_any_number_of_jobs(synthetic):
    task, examples = synthetic
    from bench.evaluation.runner import Plan
    config = Config("tfidf", "tfidf", tasks=("topic",), settings=("leave_one_story_out",),
                    grid=({"classifier__C": [0.1, 1.0]},))
    plan = Plan(config, "", None, [(task, examples, e, None) for e in evaluations("leave_one_story_out", examples, 5)])
    assert run_plans([plan], jobs=2) == run_plans([plan], jobs=1)

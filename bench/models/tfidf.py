"""TF-IDF n-grams into a logistic regression: the classic sparse baseline, one scikit-learn Pipeline.

Its vectorizers take their counts from the corpus's shared n-gram analysis (`ngrams`), which gives the
per-fold TfidfVectorizer's matrix without analysing the texts at every fit.
"""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .ngrams import SharedTfidfVectorizer
from .registry import register
from .targets import TargetConditioned


def ngram_features() -> ColumnTransformer:
    """Word 1-2-grams and character 2-5-grams of the paragraph (within words), each weighted by sublinear TF-IDF."""
    return ColumnTransformer([
        ("word", SharedTfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1), "text"),
        ("char", SharedTfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1), "text"),
    ])


def classifier() -> LogisticRegression:
    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)


@register("tfidf", rank=3)
def tfidf() -> BaseEstimator:
    """Word and character n-grams of the paragraph, weighted by TF-IDF, into a linear classifier."""
    return Pipeline([("features", ngram_features()), ("classifier", classifier())])


@register("tfidf_target", rank=5)
def tfidf_target() -> BaseEstimator:
    """The TF-IDF model with its n-grams crossed with the stance target: one joint model over all targets."""
    return Pipeline([("features", TargetConditioned(ngram_features())), ("classifier", classifier())])

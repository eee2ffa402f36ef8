"""TF-IDF n-grams into a logistic regression: the classic sparse baseline, one scikit-learn Pipeline."""

from __future__ import annotations

from sklearn.base import BaseEstimator
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from .registry import register


@register("tfidf", rank=2)
def tfidf() -> BaseEstimator:
    """Word and character n-grams of the paragraph, weighted by TF-IDF, into a linear classifier."""
    features = ColumnTransformer([
        ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1), "text"),
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1), "text"),
    ])
    classifier = LogisticRegression(C=10.0, class_weight="balanced", max_iter=2000)
    return Pipeline([("features", features), ("classifier", classifier)])

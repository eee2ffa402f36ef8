"""The plain alternative to `bench run` of the per-target SVM with fixed parameters, which `bench perf` times.

Run as `python -m bench.workflows.plain_per_target DATA.csv`: the same Pipeline fitted per target on the given
split, predictions pooled, F_avg from scikit-learn, printed. It uses nothing of the benchmark.
"""

from __future__ import annotations

import sys

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC


def per_target_model() -> Pipeline:
    return Pipeline([
        ("features", ColumnTransformer([
            ("word", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True), "text"),
            ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True), "text")])),
        ("classifier", LinearSVC(C=1.0, class_weight="balanced", max_iter=10000))])


def main(path: str) -> None:
    data = pd.read_csv(path)
    train, test = data[data["split"] == "train"], data[data["split"] == "test"]
    predicted = pd.Series(index=test.index, dtype=object)
    for target in train["target"].unique():
        model = per_target_model()
        rows = train["target"] == target
        model.fit(train[rows][["text", "target"]], train[rows]["stance"])
        scored = test["target"] == target
        predicted[scored] = model.predict(test[scored][["text", "target"]])
    print(f1_score(test["stance"], predicted, labels=["FAVOR", "AGAINST"], average=None).mean())


if __name__ == "__main__":
    main(sys.argv[1])

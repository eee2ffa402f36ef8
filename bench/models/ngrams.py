"""N-gram counts analysed once per corpus and shared by every fold, task and grid point that uses them.

A paragraph's n-grams depend on the analyser's parameters alone, never on the fold or the task, so each
text is analysed once into a count matrix held per analyser (an `Analysis`). A fit then keeps the columns
whose n-grams occur in its training rows, applies min_df and max_df to them and computes IDF and norms from
the training rows alone: exactly the matrix that scikit-learn's TfidfVectorizer builds on those rows, in the
same column order, without analysing the texts again.
"""

from __future__ import annotations

import hashlib
import pickle
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.utils.validation import check_is_fitted

# CountVectorizer's parameters that decide which n-grams a text holds; the others act on the counts.
ANALYSER_PARAMS = ("input", "encoding", "decode_error", "strip_accents", "lowercase", "preprocessor", "tokenizer",
                   "stop_words", "token_pattern", "ngram_range", "analyzer")


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass
class Analysis:
    """The n-gram counts of every text analysed so far under one analyser.

    Rows are found by the text's hash. Columns only ever grow at the end, so a fitted vectorizer's column
    indices stay valid; `order` lists the columns by n-gram as scikit-learn sorts its vocabulary.
    """

    names: list[str]
    counts: sp.csr_matrix
    rows: dict[bytes, int]
    order: np.ndarray
    _index: dict[str, int] | None = field(default=None, repr=False)

    def rows_of(self, texts: Sequence[str]) -> np.ndarray:
        return np.fromiter((self.rows[text_key(t)] for t in texts), dtype=np.int64, count=len(texts))

    def missing(self, texts: Iterable[str]) -> list[str]:
        return list(dict.fromkeys(t for t in texts if text_key(t) not in self.rows))

    def add(self, other: Analysis) -> None:
        """Append another analysis's texts; its new n-grams become new columns at the end."""
        if self._index is None:
            self._index = {name: j for j, name in enumerate(self.names)}
        index = self._index
        for name in other.names:
            if name not in index:
                index[name] = len(self.names)
                self.names.append(name)
        columns = np.array([index[name] for name in other.names], dtype=np.int64)
        other_counts = sp.csr_matrix((other.counts.data, columns[other.counts.indices], other.counts.indptr),
                                     shape=(other.counts.shape[0], len(self.names)))
        other_counts.sort_indices()
        self.counts = sp.vstack([sp.csr_matrix(self.counts, shape=(self.counts.shape[0], len(self.names))),
                                 other_counts], format="csr")
        start = len(self.rows)
        self.rows.update((key, start + row) for key, row in other.rows.items())
        self.order = np.array(sorted(range(len(self.names)), key=self.names.__getitem__), dtype=np.int64)


def _count(texts: list[str], params: dict) -> tuple[list[str], sp.csr_matrix]:
    vectorizer = CountVectorizer(**params, dtype=np.int32)
    try:
        counts = sp.csr_matrix(vectorizer.fit_transform(texts))
    except ValueError:  # no n-gram at all in these texts (empty ones, or stop words only)
        return [], sp.csr_matrix((len(texts), 0), dtype=np.int32)
    return list(vectorizer.get_feature_names_out()), counts


def analyse(texts: Sequence[str], params: dict, jobs: int = 1) -> Analysis:
    """Analyse texts (no repeats) in `jobs` chunks through joblib, then merge the chunks' vocabularies into
    one sorted vocabulary."""
    from joblib import Parallel, delayed

    texts = list(texts)
    chunks = max(1, min(abs(jobs) if jobs != -1 else 64, len(texts) // 1000 or 1))
    bounds = np.linspace(0, len(texts), chunks + 1).astype(int)
    parts = Parallel(n_jobs=jobs if chunks > 1 else 1)(
        delayed(_count)(texts[a:b], params) for a, b in zip(bounds[:-1], bounds[1:]))
    names = sorted(set().union(*(part_names for part_names, _ in parts)))
    index = {name: j for j, name in enumerate(names)}
    blocks = []
    for part_names, counts in parts:
        columns = np.array([index[name] for name in part_names], dtype=np.int64)
        blocks.append(sp.csr_matrix((counts.data, columns[counts.indices] if len(columns) else counts.indices,
                                     counts.indptr), shape=(counts.shape[0], len(names))))
    counts = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, len(names)), dtype=np.int32)
    counts.sort_indices()  # once here, so that a fold's slice of sorted columns needs no sorting
    return Analysis(names, counts, {text_key(t): i for i, t in enumerate(texts)}, np.arange(len(names)))


# The analyses of this process, by analyser; `attach` adds those another process saved.
ANALYSES: dict[str, Analysis] = {}


def analyser_key(params: dict) -> str:
    return hashlib.sha256(repr(sorted(params.items())).encode()).hexdigest()[:16]


def shared_analysis(params: dict, texts: Sequence[str], jobs: int = 1) -> Analysis:
    """The analysis of this analyser, grown by any of the texts it has not seen."""
    key = analyser_key(params)
    if key not in ANALYSES:
        ANALYSES[key] = analyse(list(dict.fromkeys(texts)), params, jobs)
        return ANALYSES[key]
    new = ANALYSES[key].missing(texts)
    if new:
        ANALYSES[key].add(analyse(new, params, jobs))
    return ANALYSES[key]


class SharedTfidfVectorizer(TfidfVectorizer):
    """TfidfVectorizer whose counts come from the shared per-corpus analysis.

    Fitted on some rows, it equals TfidfVectorizer fitted on them: the vocabulary is the n-grams of those
    rows, min_df and max_df count those rows only, and IDF and norms come from them. With
    `shared_analysis=False`, or a fixed vocabulary, max_features, a callable analyser or file input, it
    is TfidfVectorizer itself and analyses the texts at every fit.
    """

    _parameter_constraints = {**TfidfVectorizer._parameter_constraints, "shared_analysis": ["boolean"]}

    def __init__(self, *, input="content", encoding="utf-8", decode_error="strict", strip_accents=None,
                 lowercase=True, preprocessor=None, tokenizer=None, analyzer="word", stop_words=None,
                 token_pattern=r"(?u)\b\w\w+\b", ngram_range=(1, 1), max_df=1.0, min_df=1, max_features=None,
                 vocabulary=None, binary=False, dtype=np.float64, norm="l2", use_idf=True, smooth_idf=True,
                 sublinear_tf=False, shared_analysis=True):
        super().__init__(input=input, encoding=encoding, decode_error=decode_error, strip_accents=strip_accents,
                         lowercase=lowercase, preprocessor=preprocessor, tokenizer=tokenizer, analyzer=analyzer,
                         stop_words=stop_words, token_pattern=token_pattern, ngram_range=ngram_range, max_df=max_df,
                         min_df=min_df, max_features=max_features, vocabulary=vocabulary, binary=binary,
                         dtype=dtype, norm=norm, use_idf=use_idf, smooth_idf=smooth_idf, sublinear_tf=sublinear_tf)
        self.shared_analysis = shared_analysis

    def analyser_params(self) -> dict | None:
        """The parameters that decide a text's n-grams, or None where this vectorizer does not share them."""
        if (not self.shared_analysis or self.vocabulary is not None or self.max_features is not None
                or self.input != "content" or callable(self.analyzer) or self.preprocessor is not None
                or self.tokenizer is not None):
            return None
        return {name: getattr(self, name) for name in ANALYSER_PARAMS}

    def fit(self, raw_documents, y=None):
        self.fit_transform(raw_documents)
        return self

    def fit_transform(self, raw_documents, y=None):
        params = self.analyser_params()
        for name in ("_analysis", "_columns"):
            self.__dict__.pop(name, None)
        if params is None:
            return super().fit_transform(raw_documents)
        if isinstance(raw_documents, str):
            raise ValueError("Iterable over raw text documents expected, string object received.")
        self._validate_params()
        self._validate_ngram_range()
        self._check_params()
        texts = list(raw_documents)
        analysis = shared_analysis(params, texts)
        counts = analysis.counts[analysis.rows_of(texts)]
        df = np.bincount(counts.indices, minlength=counts.shape[1])
        n_doc = len(texts)
        max_doc_count = self.max_df if isinstance(self.max_df, Integral) else self.max_df * n_doc
        min_doc_count = self.min_df if isinstance(self.min_df, Integral) else self.min_df * n_doc
        if not df.any():  # checked first, as CountVectorizer does
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        if max_doc_count < min_doc_count:
            raise ValueError("max_df corresponds to < documents than min_df")
        order = analysis.order
        kept = df[order]
        columns = order[(kept > 0) & (kept >= min_doc_count) & (kept <= max_doc_count)]
        if not len(columns):
            raise ValueError("After pruning, no terms remain. Try a lower min_df or a higher max_df.")
        self.vocabulary_ = {analysis.names[j]: i for i, j in enumerate(columns)}
        self._analysis, self._columns = analysis, columns
        self._tfidf = TfidfTransformer(norm=self.norm, use_idf=self.use_idf, smooth_idf=self.smooth_idf,
                                       sublinear_tf=self.sublinear_tf)
        X = self._restricted(counts)
        del counts
        self._tfidf.fit(X)
        return self._tfidf.transform(X, copy=False)

    def transform(self, raw_documents):
        if "_columns" not in self.__dict__:
            return super().transform(raw_documents)
        check_is_fitted(self, msg="The TF-IDF vectorizer is not fitted")
        texts = list(raw_documents)
        new = self._analysis.missing(texts)
        if new:  # texts never seen: analysed now, their n-grams outside the vocabulary ignored as usual
            self._analysis.add(analyse(new, self.analyser_params() or {}))
        return self._tfidf.transform(self._restricted(self._analysis.counts[self._analysis.rows_of(texts)]),
                                     copy=False)

    def _restricted(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        X = counts[:, self._columns]
        X.sort_indices()
        X = X.astype(self.dtype)
        if self.binary:
            X.data.fill(1)
        return X

    def __getstate__(self):
        """Pickled without the shared analysis: unpickled, it transforms through its vocabulary as
        TfidfVectorizer does."""
        state = super().__getstate__()
        return {k: v for k, v in state.items() if k not in ("_analysis", "_columns")}


def shared_vectorizers(model: BaseEstimator) -> list[SharedTfidfVectorizer]:
    """The model's vectorizers that share an analysis, found among its parameters."""
    found = [model] + list(model.get_params(deep=True).values())
    return [v for v in found if isinstance(v, SharedTfidfVectorizer) and v.analyser_params() is not None]


def prepare(model: BaseEstimator, texts: Sequence[str], jobs: int = 1, save: bool = False) -> str | None:
    """Analyse the texts once for each of the model's sharing vectorizers, spreading the texts over `jobs`;
    with `save`, keep the analyses in a temporary folder for worker processes to `attach`, and return it.

    None where nothing was saved; the caller removes the folder when the work is done.
    """
    keys = {}
    for vectorizer in shared_vectorizers(model):
        params = vectorizer.analyser_params()
        assert params is not None
        shared_analysis(params, texts, jobs)
        keys[analyser_key(params)] = ANALYSES[analyser_key(params)]
    if not keys or not save:
        return None
    folder = Path(tempfile.mkdtemp(prefix="bench-ngrams-"))
    for key, analysis in keys.items():
        counts = analysis.counts
        for part in ("data", "indices", "indptr"):
            np.save(folder / f"{key}.{part}.npy", getattr(counts, part))
        with open(folder / f"{key}.pickle", "wb") as stream:
            pickle.dump({"names": analysis.names, "rows": analysis.rows, "order": analysis.order,
                         "shape": counts.shape}, stream, protocol=pickle.HIGHEST_PROTOCOL)
    return str(folder)


def attach(folder: str | None) -> None:
    """Adopt the analyses `prepare` saved, their counts memory-mapped, unless this process holds them with as
    many texts already. A worker that cannot read the folder (on another machine) analyses as it goes."""
    if folder is None or not Path(folder).is_dir():
        return
    for meta in sorted(Path(folder).glob("*.pickle")):
        key = meta.name.removesuffix(".pickle")
        parts = [np.load(Path(folder) / f"{key}.{part}.npy", mmap_mode="r") for part in ("data", "indices", "indptr")]
        if key in ANALYSES and len(ANALYSES[key].rows) >= len(parts[2]) - 1:
            continue
        with open(meta, "rb") as stream:
            saved = pickle.load(stream)  # written by this program's `prepare` in this run
        ANALYSES[key] = Analysis(saved["names"], sp.csr_matrix(tuple(parts), shape=saved["shape"], copy=False),
                                 saved["rows"], saved["order"])

"""What the publishing tests share: the committed records, small made-up ones built from the typed records, the
checked-out release as `bench export-hf` writes it, and no network."""

import socket
from collections.abc import Sequence

import pytest

from bench.evaluation.results import Bootstrap, Fold, Prediction, Record, Result
from bench.evaluation.statistics import summarize
from bench.publishing.records import Results, load_records


class Build:
    """Made-up results scored by the harness's own summary, so their cells are what a run would record."""

    @staticmethod
    def result(evaluation: str, gold: Sequence[str], predictions: Sequence[Sequence[str]], *, task: str = "topic",
               labels: Sequence[str] = ("a", "b", "c"), story_disjoint: bool | None = True,
               folds: Sequence[Fold] = (), docs: Sequence[str] | None = None,
               ids: Sequence[str] | None = None) -> Result:
        setting, _, languages = evaluation.partition(":")
        source, _, target = languages.partition(">")
        bootstrap, ids = Bootstrap(200, 0), ids or [str(i) for i in range(len(gold))]
        return Result(task, evaluation, setting, source if target else languages, target or languages, list(labels),
                      summarize(gold, predictions, labels, bootstrap, seen=labels),
                      [Prediction(ids[i], g, [p[i] for p in predictions], None if docs is None else docs[i])
                       for i, g in enumerate(gold)],
                      list(folds), story_disjoint=story_disjoint, n_test=len(gold), seen_classes=list(labels))

    @staticmethod
    def record(name: str, results: Sequence[Result], model: str | None = None, marks: Sequence[str] = ()) -> Record:
        return Record(name, model or name, list(results), {"config": {"resamples": 200}}, marks=list(marks))


@pytest.fixture
def build() -> type[Build]:
    return Build


@pytest.fixture
def no_network(monkeypatch):
    """Any connection fails: for the tests that must work offline."""
    def refuse(*args, **kwargs):
        raise OSError("network use in a test that must not use the network")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="session")
def exported(tmp_path_factory, repo):
    """The checkout's release as `bench export-hf` writes it, made once for the tests that read it."""
    pytest.importorskip("datasets")
    from bench.workflows.release import export_release

    out = tmp_path_factory.mktemp("release") / "deserter-bench"
    export_release(repo, out)
    return out


@pytest.fixture(scope="session")
def committed(repo) -> tuple[Results, Results]:
    """The committed result records and learning curves."""
    return load_records(repo.records)

import json

import pytest

from bench.evaluation.config import Config
from bench.evaluation.results import Bootstrap, Fold, Prediction, Record
from bench.files import dump_json


def committed_paths(repo):
    paths = sorted(repo.records.glob("*.json"))
    assert len(paths) >= 10, "the committed records are what this test reads"
    return paths


def test_every_committed_record_is_written_back_byte_for_byte(repo):
    for path in committed_paths(repo):
        text = path.read_text(encoding="utf-8")
        assert dump_json(Record.from_json(json.loads(text)).to_json()) == text, path.name


def test_the_typed_record_reads_what_the_json_says(repo):
    raw = json.loads((repo.records / "tfidf.json").read_text(encoding="utf-8"))
    record = Record.from_json(raw)
    first, typed = raw["results"][0], record.results[0]
    assert (typed.task, typed.evaluation, typed.story_disjoint) == (first["task"], first["evaluation"],
                                                                     first["story_disjoint"])
    assert typed.scores["macro_f1"].mean == first["scores"]["macro_f1"]["mean"]
    assert typed.folds[0].selection == first["folds"][0]["selection"]
    assert typed.seed_predictions[0] == [row["pred"][0] for row in first["predictions"]]
    assert record.bootstrap == Bootstrap(raw["provenance"]["config"]["resamples"],
                                         raw["provenance"]["config"]["bootstrap_seed"],
                                         raw["provenance"]["config"]["confidence"])


def test_the_bootstrap_travels_from_the_config_into_the_record():
    config = Config("x", "majority", resamples=123, bootstrap_seed=4, confidence=0.9)
    assert Bootstrap.of(config) == Bootstrap(123, 4, 0.9)
    assert Bootstrap.from_provenance({"config": {"resamples": 123, "bootstrap_seed": 4, "confidence": 0.9}}) == \
        Bootstrap.of(config)
    assert Bootstrap.from_provenance({}) == Bootstrap(1000, 0, 0.95), "a record without its config gets the defaults"


@pytest.mark.parametrize("by, expected", [("doc", ["d1"]), ("story", [])])
def test_older_records_without_test_docs_name_them_only_for_document_folds(by, expected):
    old = Fold.from_json({"by": by, "train": ["d0"], "test": ["d1"], "n_train": 3, "n_test": 2,
                          "test_classes": ["a"], "unseen_classes": []})
    assert old.tested_docs == expected and "test_docs" not in old.to_json() and "selection" not in old.to_json()


def test_inner_scores_need_both_the_model_and_majority():
    fold = {"by": "story", "train": [], "test": [], "n_train": 0, "n_test": 0, "test_classes": [], "unseen_classes": []}
    assert Fold.from_json(fold | {"selection": {"inner_macro_f1": 0.6, "inner_majority_macro_f1": 0.2}}).inner_scores \
        == (0.6, 0.2)
    assert Fold.from_json(fold | {"selection": {"inner_macro_f1": None, "inner_majority_macro_f1": 0.2}}).inner_scores \
        is None
    assert Fold.from_json(fold).inner_scores is None


def test_a_prediction_without_its_document_takes_it_from_the_id():
    assert Prediction.from_json({"id": "007-03", "gold": "a", "pred": ["b"]}).document == "007"
    assert Prediction("007-03", "a", ["b"], doc="x").document == "x"


def test_learns_follows_the_model_registry():
    assert not Record("m", "majority", []).learns and Record("t", "tfidf", []).learns
    assert Record("x", "a model registered elsewhere", []).learns


def test_scores_by_reported_column_travel_through_the_record_and_are_absent_without_report_by():
    from bench.evaluation.results import Result, Score, Subset
    score = Score(0.5, 0.0, [0.5], 0.25, 0.75)
    plain = Result("t", "given_split:all", "given_split", "all", "all", ["a", "b"], {"macro_f1": score},
                   [Prediction("1", "a", ["b"])])
    assert "reported_by" not in plain.to_json(), "records without report_by stay as they were"
    reported = Result(**{**plain.__dict__, "reported_by": {"language": {"de": Subset(1, {"macro_f1": score})}}})
    data = json.loads(dump_json(reported.to_json()))
    assert data["reported_by"] == {"language": {"de": {"n_test": 1, "scores": {"macro_f1": score.to_json()}}}}
    assert Result.from_json(data) == reported

import pytest

from bench.labels import load_gold
from bench.tasks import SETTINGS, build_examples, evaluations, split, tasks_from_schema


@pytest.fixture(scope="module")
def examples(repo):
    schema, corpus = repo.schema(), repo.corpus()
    gold = load_gold(repo.labels, schema, corpus)
    tasks = tasks_from_schema(schema)
    return {name: build_examples(task, corpus, gold, ["body"]) for name, task in tasks.items()}


def test_tasks_come_from_the_scheme(repo):
    tasks = tasks_from_schema(repo.schema())
    assert list(tasks) == ["topic", "stance_war", "stance_defector"]
    assert not tasks["topic"].is_stance
    assert tasks["stance_war"].is_stance and "war" in tasks["stance_war"].target


def test_examples_are_body_paragraphs_with_their_target(examples):
    stance = examples["stance_defector"]
    assert len(stance) == len(examples["topic"]) == 72
    assert all(e.kind == "body" for e in stance)
    assert {e.target for e in stance} == {"the deserter or defector the article is about, and his decision."}


@pytest.mark.parametrize("setting", sorted(SETTINGS))
def test_no_document_on_both_sides_of_a_split(examples, setting):
    for evaluation in evaluations(setting, examples["topic"]):
        tested = []
        for fold in evaluation.folds:
            train, test = split(examples["topic"], fold)
            assert not set(fold.train_docs) & set(fold.test_docs)
            assert not {e.doc for e in train} & {e.doc for e in test}
            assert not {e.id for e in train} & {e.id for e in test}
            assert train and test
            tested += [e.id for e in test]
        assert len(tested) == len(set(tested)), "a paragraph is tested twice within one evaluation"


def test_the_settings_and_their_folds(examples):
    names = {s: [(e.name, [(f.train_docs, f.test_docs) for f in e.folds]) for e in evaluations(s, examples["topic"])]
             for s in SETTINGS}
    assert names["in_language"] == [
        ("in_language:en", [(("003",), ("001",)), (("001",), ("003",))]),
        ("in_language:nl", [(("002", "004"), ("000",)), (("000", "004"), ("002",)), (("000", "002"), ("004",))]),
    ]
    assert names["cross_lingual"] == [
        ("cross_lingual:en>nl", [(("001", "003"), ("000", "002", "004"))]),
        ("cross_lingual:nl>en", [(("000", "002", "004"), ("001", "003"))]),
    ]
    assert [name for name, _ in names["multilingual"]] == ["multilingual:all"]
    assert len(names["multilingual"][0][1]) == 5

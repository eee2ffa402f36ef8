import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.data.labels import load_gold
from bench.evaluation.settings import evaluations, grouped_folds, split
from bench.evaluation.tasks import Example, build_examples, tasks_from_schema
from bench.files import BenchError

BENCHMARK_SETTINGS = ("in_language", "cross_lingual", "cross_lingual_same_story", "leave_one_story_out")


@pytest.fixture(scope="module")
def examples(repo):
    schema, corpus = repo.schema(), repo.corpus()
    gold = load_gold(repo.labels, schema, corpus)
    tasks = tasks_from_schema(schema)
    return {name: build_examples(task, corpus, gold, ["body"]) for name, task in tasks.items()}


def test_tasks_come_from_the_scheme(repo):
    tasks = tasks_from_schema(repo.schema())
    assert list(tasks) == ["topic", "stance_war", "stance_defector"]
    assert tasks["topic"].target is None
    assert "war" in tasks["stance_war"].target


def test_examples_are_body_paragraphs_with_their_target(examples, repo):
    stance = examples["stance_defector"]
    assert len(stance) == len(examples["topic"]) == 70  # the body paragraphs of the v2 gold
    gold = load_gold(repo.labels, repo.schema(), repo.corpus())
    assert {e.id for e in stance} == {i for i, row in gold.items() if row.labels["kind"] == "body"}
    assert {e.target for e in stance} == {"the deserter or defector the article is about, and his or her decision."}


@pytest.mark.parametrize("setting", BENCHMARK_SETTINGS)
def test_no_document_on_both_sides_of_a_split(examples, setting):
    for evaluation in evaluations(setting, examples["topic"]):
        tested = []
        for fold in evaluation.folds:
            train, test = split(examples["topic"], fold)
            assert evaluation.story_disjoint is False or not set(fold.train) & set(fold.test)
            assert not {e.doc for e in train} & {e.doc for e in test}
            assert not {e.id for e in train} & {e.id for e in test}
            assert train and test
            tested += [e.id for e in test]
        assert len(tested) == len(set(tested)), "a paragraph is tested twice within one evaluation"


def test_the_settings_and_their_folds(examples):
    names = {s: [(e.name, e.story_disjoint, [(f.train, f.test) for f in e.folds])
                 for e in evaluations(s, examples["topic"])] for s in BENCHMARK_SETTINGS}
    assert names["in_language"] == [
        ("in_language:en", False, [(("003",), ("001",)), (("001",), ("003",))]),
        ("in_language:nl", True, [(("kuzminov", "mukhametov"), ("mishov",)), (("mishov", "mukhametov"), ("kuzminov",)),
                                  (("mishov", "kuzminov"), ("mukhametov",))]),
    ]
    assert names["cross_lingual"] == [
        ("cross_lingual:en>nl", True, [(("mishov",), ("kuzminov", "mukhametov"))]),
        ("cross_lingual:nl>en", True, [(("kuzminov", "mukhametov"), ("mishov",))]),
    ]
    assert names["cross_lingual_same_story"] == [
        ("cross_lingual_same_story:en>nl", False, [(("mishov",), ("mishov",))]),
        ("cross_lingual_same_story:nl>en", False, [(("mishov", "kuzminov", "mukhametov"), ("mishov",))]),
    ]
    assert [(name, disjoint, len(folds)) for name, disjoint, folds in names["leave_one_story_out"]] == [
        ("leave_one_story_out:all", True, 3)]


def test_no_story_on_both_sides_of_a_split_declared_story_disjoint(examples, repo):
    """Read the stories from the manifest itself, not from the examples the settings were built from."""
    import csv
    with open(repo.seeds / "manifest.csv", newline="") as stream:
        story = {row["doc"]: row["story"] for row in csv.DictReader(stream)}
    declared = 0
    for setting in BENCHMARK_SETTINGS:
        for evaluation in evaluations(setting, examples["topic"]):
            if not evaluation.story_disjoint:
                continue
            declared += 1
            for fold in evaluation.folds:
                train, test = split(examples["topic"], fold)
                assert not {story[e.doc] for e in train} & {story[e.doc] for e in test}, (evaluation.name, fold)
    assert declared == 4, "in_language:nl, both cross_lingual directions and leave_one_story_out are story-disjoint"


def test_a_setting_the_data_cannot_support_is_an_error(examples):
    with pytest.raises(BenchError, match="'given_split' needs a split column"):
        evaluations("given_split", examples["topic"])
    english = [e for e in examples["topic"] if e.language == "en"]
    with pytest.raises(BenchError, match="'cross_lingual' needs two languages"):
        evaluations("cross_lingual", english)


@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.integers(0, 30), min_size=2, max_size=120), max_folds=st.integers(2, 12))
def test_grouped_folds_test_every_row_once_and_never_split_a_group(groups, max_folds):
    rows = [Example(str(i), f"g{g}", "en", "", "", "text", "x") for i, g in enumerate(groups)]
    folds = grouped_folds(rows, max_folds)
    distinct = len(set(groups))
    assert len(folds) == (distinct if distinct <= max_folds else max_folds)
    tested = []
    for fold in folds:
        train, test = split(rows, fold)
        assert not {e.doc for e in train} & {e.doc for e in test}
        assert len(train) + len(test) == len(rows)
        tested += [e.id for e in test]
    assert sorted(tested, key=int) == [e.id for e in rows]


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 12), st.sampled_from(["en", "nl", "de"])), min_size=2, max_size=80),
       max_folds=st.integers(2, 6))
def test_language_settings_keep_to_their_languages_when_groups_mix_them(rows, max_folds):
    examples = [Example(str(i), f"g{g}", language, "", "", "text", "x") for i, (g, language) in enumerate(rows)]
    for setting in ("in_language", "cross_lingual"):
        try:
            found = evaluations(setting, examples, max_folds)
        except BenchError:
            continue  # too few groups or languages for this setting
        for evaluation in found:
            tested = []
            for fold in evaluation.folds:
                train, test = split(examples, fold)
                assert {e.language for e in train} <= {evaluation.train_language}
                assert {e.language for e in test} <= {evaluation.test_language}
                tested += [e.id for e in test]
            assert len(tested) == len(set(tested)), "no row is tested twice"
            source_groups = {e.doc for e in examples if e.language == evaluation.train_language}
            for e in examples:
                if e.language == evaluation.test_language and e.id not in tested:
                    # untested only where no training data would be left without its group
                    assert source_groups == {e.doc}


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 8), st.sampled_from(["en", "nl"]),
                               st.sampled_from(["train", "test", "validation"])), min_size=2, max_size=80))
def test_every_setting_trains_on_the_data_s_train_rows_and_tests_its_test_rows(rows):
    """A published benchmark's numbers come from its official test rows, by models that saw neither those nor
    its validation rows: every setting honours the split column, not given_split alone."""
    examples = [Example(str(i), f"g{g}", language, "", "", "text", "x", part)
                for i, (g, language, part) in enumerate(rows)]
    for setting in ("in_language", "cross_lingual", "leave_one_story_out"):
        try:
            found = evaluations(setting, examples, max_folds=20)
        except BenchError as error:
            assert "under the data's own split a fold also needs train rows" in error.message
            continue
        for evaluation in found:
            tested = []
            for fold in evaluation.folds:
                train, test = split(examples, fold)
                assert train and test
                assert {e.split for e in train} == {"train"} and {e.split for e in test} == {"test"}
                assert not {e.doc for e in train} & {e.doc for e in test}
                tested += [e.id for e in test]
            assert len(tested) == len(set(tested)), "no row is tested twice"
        if setting == "leave_one_story_out":  # every test row whose group leaves train rows elsewhere is tested
            [evaluation] = found
            trained = {e.doc for e in examples if e.split == "train"}
            assert set(tested) == {e.id for e in examples if e.split == "test" and trained - {e.doc}}


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 8), st.sampled_from(["de", "fr", "it"]),
                               st.sampled_from(["train", "test", "validation"])), min_size=2, max_size=80),
       train=st.sets(st.sampled_from(["de", "fr", "it"]), min_size=1), test=st.sets(st.sampled_from(["de", "fr", "it"]),
                                                                                 min_size=1))
def test_the_given_split_keeps_to_its_languages_and_parts(rows, train, test):
    """No row of a language outside the training languages, nor of the test or validation split, ever trains; the
    test side is exactly the test rows of the test languages."""
    from bench.evaluation.settings import Languages
    examples = [Example(str(i), f"g{g}", language, "", "", "text", "x", part)
                for i, (g, language, part) in enumerate(rows)]
    languages = Languages(tuple(sorted(train)), tuple(sorted(test)))
    try:
        [evaluation] = evaluations("given_split", examples, languages=languages)
    except BenchError as error:
        assert "needs a split column with train and test rows" in error.message
        return
    assert evaluation.name.startswith(f"given_split:{'+'.join(sorted(train))}")
    [fold] = evaluation.folds
    trained, tested = split(examples, fold)
    assert {e.id for e in trained} == {e.id for e in examples if e.split == "train" and e.language in train}
    assert {e.id for e in tested} == {e.id for e in examples if e.split == "test" and e.language in test}


@pytest.mark.parametrize("setting", ["in_language", "cross_lingual", "leave_one_story_out"])
def test_settings_that_choose_their_own_languages_refuse_chosen_ones(setting):
    from bench.evaluation.settings import Languages
    examples = [Example(str(i), f"g{i}", language, "", "", "text", "x", "train" if i % 2 else "test")
                for i, language in enumerate(["de", "fr"] * 4)]
    with pytest.raises(BenchError, match=f"setting '{setting}' chooses its own languages"):
        evaluations(setting, examples, languages=Languages(("de",), ("fr",)))

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.annotation.agreement import agreement
from bench.data.labels import GOLD, changes_from_previous, label_rounds, load_annotations, read_label_file, validate
from bench.files import BenchError


def gold_lines(project):
    return (project.labels / GOLD).read_text().splitlines()


def write_gold(project, lines):
    (project.labels / GOLD).write_text("\n".join(lines) + "\n")


def problems(project):
    return [str(p) for p in validate(project.labels, project.schema(), project.corpus())]


def test_the_committed_labels_are_valid(repo):
    assert problems(repo) == []


def test_stale_hash_names_the_label_and_the_paragraph(project):
    lines = gold_lines(project)
    row = json.loads(lines[4])
    row["sha256"] = "0" * 64
    lines[4] = json.dumps(row)
    write_gold(project, lines)
    assert problems(project) == [
        f"{project.labels / GOLD}:5: stale label for {row['id']}: the paragraph's text changed "
        f"({project.seeds / '000_6abc036afb4f2b03.txt'}:9); relabel it"]


def test_changed_seed_text_makes_its_labels_stale(project):
    path = project.seeds / "004_69eb72967bdcbce7.txt"
    path.write_text(path.read_text().replace("Een sprong voor zijn leven", "Een sprong voor het leven"))
    found = problems(project)
    assert len(found) == 6  # the gold and both annotation passes of each round (v2 here, v1 in labels/v1/)
    assert all("stale label for 004-02" in p for p in found)


def test_unknown_label(project):
    lines = gold_lines(project)
    lines[0] = lines[0].replace('"topic": "other"', '"topic": "flight"')
    write_gold(project, lines)
    assert problems(project) == [
        f"{project.labels / GOLD}:1: unknown label 'flight' for topic "
        "(allowed: motivation, losses, escape, asylum_policy, other)"]


def test_missing_paragraph(project):
    lines = gold_lines(project)
    write_gold(project, lines[:10] + lines[11:])
    assert problems(project) == [
        f"{project.labels / GOLD}: paragraph 001-02 ({project.seeds / '001_bb8456ad75e8ae4c.txt'}:3) has no gold label"]


def test_rounds_are_named_by_version_newest_first(project, tmp_path):
    assert list(label_rounds(project.labels).items()) == [("v2", project.labels), ("v1", project.labels / "v1")]
    assert list(label_rounds(tmp_path)) == ["v1"]  # no earlier round: the labels are the first


def test_every_change_from_the_previous_round_carries_its_reason(repo):
    previous, changes = changes_from_previous(repo.labels, repo.schema(), repo.corpus())
    assert previous == "v1" and changes
    assert all(change.reason for change in changes)
    first = changes[0]
    assert (first.id, first.field, first.before, first.after) == ("000-01", "topic", "escape", "other")


def test_a_change_without_a_reason_is_refused(project):
    lines = gold_lines(project)
    row = json.loads(lines[0])
    del row["reasons"]["topic"]
    lines[0] = json.dumps(row)
    write_gold(project, lines)
    assert problems(project) == [f"{project.labels / GOLD}:1: 000-01 topic changed from 'escape' (round v1) to "
                                 "'other' without a reason in 'reasons'"]


def test_an_earlier_round_is_validated_with_its_own_guidelines(project):
    path = project.labels / "v1" / GOLD
    path.write_text(path.read_text().replace('"id": "000-02"', '"id": "000-99"'))
    found = problems(project)
    assert f"{path}:2: unknown paragraph id '000-99': stale label of a removed paragraph?" in found
    assert not any("has no gold label" in p for p in found)  # an earlier round may lack paragraphs added since


def test_duplicate_id(project):
    lines = gold_lines(project)
    write_gold(project, lines + [lines[2]])
    assert problems(project) == [f"{project.labels / GOLD}:92: duplicate id '000-03' (first on line 3)"]


def test_unknown_id_and_malformed_json(project):
    lines = gold_lines(project)
    extra = json.loads(lines[0])
    extra["id"] = "009-01"
    write_gold(project, lines + [json.dumps(extra)])
    assert problems(project) == [
        f"{project.labels / GOLD}:92: unknown paragraph id '009-01': stale label of a removed paragraph?"]
    (project.labels / "annotations" / "a3.jsonl").write_text('{"id": "000-01",\n')
    assert problems(project)[-1].startswith(f"{project.labels / 'annotations' / 'a3.jsonl'}:1: malformed JSON")


def test_agreement_against_hand_computed_values(project):
    annotations = project.labels / "annotations"
    for path in annotations.glob("*.jsonl"):
        path.unlink()
    gold = [json.loads(line) for line in gold_lines(project)][:4]
    # a1 and a2 agree on the kind of all four paragraphs and on the topic of three of four.
    topics_a1 = ["escape", "motivation", "motivation", "other"]
    topics_a2 = ["escape", "motivation", "other", "other"]
    for name, topics in (("a1", topics_a1), ("a2", topics_a2)):
        rows = [dict(row, topic=topic) for row, topic in zip(gold, topics)]
        for row in rows:
            row.pop("reasons", None)
        (annotations / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = agreement(load_annotations(project.labels, project.schema(), project.corpus()), project.schema())
    topic = result["topic"]
    assert topic["pairs"][0]["raw_agreement"] == 0.75
    # Cohen: p_o = 3/4; marginals a1 (e .25, m .5, o .25), a2 (e .25, m .25, o .5): p_e = .0625+.125+.125 = .3125
    assert abs(topic["pairs"][0]["cohen_kappa"] - (0.75 - 0.3125) / (1 - 0.3125)) < 1e-12
    # Krippendorff, nominal: n = 8 pairable values, value counts e 2, m 3, o 3; one disagreeing unit gives
    # 2 off-diagonal coincidences. alpha = 1 - (n - 1) * 2 / (n^2 - sum n_c^2) = 1 - 7 * 2 / 42 = 2/3.
    expected_alpha = 2 / 3
    assert abs(topic["krippendorff_alpha"] - expected_alpha) < 1e-12
    assert result["kind"]["pairs"][0]["raw_agreement"] == 1.0


LABEL_VALUES = st.one_of(st.sampled_from(["body", "escape", "favor", "none", "flight", "", "000-01", "0" * 64]),
                         st.integers(), st.none(), st.lists(st.integers(), max_size=2))
LABEL_ROW = st.dictionaries(st.sampled_from(["id", "sha256", "kind", "topic", "stance_war", "stance_defector",
                                             "note", "reasons", "extra"]), LABEL_VALUES, max_size=7)


@settings(max_examples=100, deadline=None)
@given(lines=st.lists(st.one_of(LABEL_ROW.map(json.dumps), st.text(max_size=20)), max_size=5))
def test_any_label_file_reads_or_reports_problems_with_a_place(repo, tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("labels") / "fuzz.jsonl"
    text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")
    schema, corpus = repo.schema(), repo.corpus()
    try:
        result = read_label_file(path, schema, corpus, revisions=True)
    except BenchError as error:
        assert error.path == str(path) and 1 <= error.line <= text.count("\n") + 1
    else:
        assert all(problem.path == str(path) for problem in result.problems)
        assert all(row.id in corpus.by_id() for row in result.rows)

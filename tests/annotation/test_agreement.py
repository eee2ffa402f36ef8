import json
import math

from bench.annotation.agreement import MIN_COVERAGE, body_paragraphs, covering_passes, round_agreements
from bench.data.labels import load_gold


def add_pass(project, annotator, paragraphs):
    """A pass of the current round that labels the first `paragraphs` body paragraphs as a3 did."""
    body = body_paragraphs(load_gold(project.labels, project.schema(), project.corpus()), project.corpus())
    rows = [line for line in (project.labels / "annotations" / "a3.jsonl").read_text().splitlines()
            if json.loads(line)["id"] in body]
    (project.labels / "annotations" / f"{annotator}.jsonl").write_text("\n".join(rows[:paragraphs]) + "\n")


def test_a_pass_below_the_share_of_body_paragraphs_is_left_out_and_one_at_it_is_kept():
    body = {"p1", "p2", "p3", "p4"}
    passes = {"a3": dict.fromkeys(body), "a5": dict.fromkeys(["p1", "heading"]), "a6": dict.fromkeys(["p1", "p2"])}
    kept, left_out = covering_passes(passes, body)
    assert MIN_COVERAGE == 0.5 and set(kept) == {"a3", "a6"}
    assert left_out == {"a5": 1}, "only body paragraphs count"


def test_coverage_is_of_the_body_paragraphs_of_gold_or_of_every_paragraph_before_there_is_gold(project):
    corpus = project.corpus()
    gold = load_gold(project.labels, project.schema(), corpus)
    body = body_paragraphs(gold, corpus)
    assert body == {i for i, row in gold.items() if row.labels["kind"] == "body"} and len(body) == 70
    assert body_paragraphs({}, corpus) == {p.id for p in corpus.paragraphs}


def test_a_trial_pass_stays_out_of_its_rounds_agreement(project):
    add_pass(project, "a5", 2)
    add_pass(project, "a6", math.ceil(MIN_COVERAGE * 70))
    rounds = round_agreements(project.labels, project.corpus())
    current, earlier = rounds["v2"], rounds["v1"]
    assert current.left_out == {"a5": 2} and current.body == 70
    assert [pair["annotators"] for pair in current.fields["topic"]["pairs"]] == [["a3", "a4"], ["a3", "a6"],
                                                                                 ["a4", "a6"]]
    assert earlier.left_out == {} and [p["annotators"] for p in earlier.fields["topic"]["pairs"]] == [["a1", "a2"]]


def test_a_round_with_one_covering_pass_has_no_agreement_but_names_the_pass_left_out(project):
    add_pass(project, "a5", 2)
    (project.labels / "annotations" / "a4.jsonl").unlink()
    current = round_agreements(project.labels, project.corpus())["v2"]
    assert current.fields == {} and current.left_out == {"a5": 2}

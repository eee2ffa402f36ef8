import json
import logging

import pytest

pytest.importorskip("datasets")

from bench.publishing.card import card_section  # noqa: E402
from bench.publishing.croissant import RAI_TEXT, RAI_TEXTS, croissant  # noqa: E402


@pytest.fixture(scope="module")
def described(exported):
    return json.loads((exported / "croissant.json").read_text(encoding="utf-8"))


def test_mlcroissant_validates_the_file_offline_and_reads_its_records(exported, repo, no_network, caplog):
    mlc = pytest.importorskip("mlcroissant")
    with caplog.at_level(logging.WARNING):
        dataset = mlc.Dataset(jsonld=exported / "croissant.json")
    issues = dataset.metadata.ctx.issues
    assert not issues.errors, issues.report()
    assert all("datePublished" in warning for warning in issues.warnings), "no date: a rerun writes the same bytes"
    topic = repo.schema().fields["topic"].labels
    names = {row["topic-label-names/index"]: row["topic-label-names/name"]
             for row in dataset.records("topic-label-names")}
    assert [names[index] for index in sorted(names)] == list(topic), "the ClassLabel names, in their order"
    rows = list(dataset.records("topic"))
    body = sum(row.labels["kind"] == "body" for row in repo.valid_gold(repo.schema(), repo.corpus()).values())
    assert len(rows) == body and {row["topic/label"] for row in rows} <= set(names)


def test_every_classlabel_column_refers_to_the_enumeration_of_its_names(described, repo):
    sets = {record["@id"]: record for record in described["recordSet"]}
    stance = sets["paragraphs"]["field"]
    field = next(f for f in stance if f["name"] == "stance_war")
    assert field["references"] == {"field": {"@id": "paragraphs-stance_war-names/index"}}
    enumeration = sets["paragraphs-stance_war-names"]
    assert enumeration["dataType"] == "sc:Enumeration"
    assert [row["paragraphs-stance_war-names/name"] for row in enumeration["data"]] == list(
        repo.schema().fields["stance_war"].labels)


def test_the_responsible_ai_fields_are_the_cards_sections(exported, described):
    card = (exported / "README.md").read_text(encoding="utf-8")
    for key, heading in RAI_TEXT.items():
        assert described[key] == card_section(card, heading)
    for key, headings in RAI_TEXTS.items():
        assert described[key] == [card_section(card, heading) for heading in headings]
    assert described["rai:dataAnnotationPlatform"][0].startswith("AI annotation agents, not people")
    assert "Claude" in described["rai:machineAnnotationTools"][0]
    assert "Daniil Mukhametov" in described["rai:personalSensitiveInformation"][0]
    assert described["rai:annotationsPerItem"].startswith("2 blind passes per paragraph")


def test_the_file_names_the_release_its_version_and_its_citation(described):
    from bench import __version__
    from bench.publishing.card import REPOSITORY_URL
    assert described["version"] == __version__ and described["url"] == REPOSITORY_URL
    assert REPOSITORY_URL in described["citeAs"] and described["creator"]["name"] == "The deserter-bench contributors"
    assert {s["includes"] for s in described["distribution"]} == {f"{c}/*.parquet" for c in (
        "paragraphs", "topic", "stance", "folds", "alignment")}


def test_a_list_column_is_a_repeated_field_and_every_column_has_a_type(described):
    folds = next(record for record in described["recordSet"] if record["@id"] == "folds")
    types = {field["name"]: (field["dataType"], field.get("repeated", False)) for field in folds["field"]}
    assert types["train_docs"] == ("sc:Text", True) and types["fold"] == ("sc:Integer", False)
    assert types["story_disjoint"] == ("sc:Boolean", False)


def test_croissant_of_a_small_card_is_deterministic():
    from datasets import ClassLabel, DatasetInfo, Features, SplitInfo, Value
    from datasets.info import DatasetInfosDict
    from datasets.splits import SplitDict

    from bench.publishing.card import PRETTY_NAME
    splits = SplitDict()
    splits.add(SplitInfo(name="en", num_bytes=1, num_examples=1))
    infos = DatasetInfosDict({"topic": DatasetInfo(features=Features({"text": Value("string"), "label": ClassLabel(
        names=["a", "b"])}), splits=splits)})
    headings = [*RAI_TEXT.values(), *(h for hs in RAI_TEXTS.values() for h in hs)]
    card = f"# Dataset Card for {PRETTY_NAME}\n\nSummary.\n\n" + "".join(f"## {h}\n\nAbout {h}.\n\n" for h in headings)
    first = croissant(card, infos, languages=["en"], version="9.9.9", passes=3)
    assert first == croissant(card, infos, languages=["en"], version="9.9.9", passes=3)
    document = json.loads(first)
    assert document["description"] == "Summary." and document["rai:dataBiases"] == ["About Biases."]
    assert document["rai:annotationsPerItem"].startswith("3 blind passes")
    assert [r["@id"] for r in document["recordSet"]] == ["topic-label-names", "topic"]

import re
from pathlib import Path

import pytest

pytest.importorskip("datasets")

from bench.data.labels import changes_from_previous  # noqa: E402
from bench.files import BenchError  # noqa: E402
from bench.publishing.card import (  # noqa: E402
    NAMED_PEOPLE,
    REPOSITORY_URL,
    card_section,
    check_card,
    named_people,
    size_category,
)

TEMPLATE = Path(__file__).resolve().parents[2] / "bench" / "publishing" / "templates" / "dataset_card.md"


@pytest.fixture(scope="module")
def card(exported):
    return (exported / "README.md").read_text(encoding="utf-8")


def hub_headings():
    """The headings of huggingface_hub's own dataset card template, without its "[optional]" marks."""
    import huggingface_hub

    template = Path(huggingface_hub.__file__).parent / "templates" / "datasetcard_template.md"
    body = template.read_text(encoding="utf-8").split("---\n", 2)[2]  # below the metadata, whose comments start "#"
    return [(len(hashes), title.replace(" [optional]", ""))
            for hashes, title in re.findall(r"^(#+) (.+)$", body, re.M) if "{{" not in title]


def test_the_card_has_every_section_of_the_hubs_template_in_its_order_and_each_is_filled(card):
    expected = hub_headings()
    assert len(expected) > 20, "the Hub's template was read"
    found = [(len(hashes), title) for hashes, title in re.findall(r"^(#+) (.+)$", card, re.M)]
    assert [heading for heading in found if heading in expected] == expected
    for _, title in expected:
        below = card[card.index(f"# {title}\n"):]
        assert card_section(card, title) or re.match(rf"# {re.escape(title)}\n+#+ ", below), f"{title} is empty"
    assert "More Information Needed" not in card and not re.search(r"\{\{ |\{%", card), "no template left unfilled"


def test_the_metadata_holds_dataset_info_from_the_data_and_no_version(exported, repo, card):
    from datasets import load_dataset_builder
    from huggingface_hub import DatasetCard

    data = DatasetCard(card).data.to_dict()
    assert "version" not in data
    infos = {info["config_name"]: info for info in data["dataset_info"]}
    assert sorted(infos) == sorted(c["config_name"] for c in data["configs"])
    schema = repo.schema()
    kind = next(f for f in infos["paragraphs"]["features"] if f["name"] == "kind")
    assert list(kind["dtype"]["class_label"]["names"].values()) == list(schema.fields["kind"].labels)
    english = sum(p.language == "en" for p in repo.corpus().paragraphs)
    assert {s["name"]: s["num_examples"] for s in infos["paragraphs"]["splits"]}["en"] == english
    assert infos["paragraphs"]["download_size"] == sum(p.stat().st_size for p in (exported / "paragraphs").iterdir())
    builder = load_dataset_builder(str(exported), "topic")
    assert builder.info.features["label"].names == list(schema.fields["topic"].labels)


def test_the_card_lists_each_articles_publisher_and_address(repo, card):
    sources = card_section(card, "Source Data")
    for document in repo.corpus().documents:
        row = next(line for line in sources.splitlines() if line.startswith(f"| {document.doc} |"))
        assert f"| {document.publisher} | {document.url} |" in row


def test_the_citation_names_its_authors_and_the_repository_read_from_pyproject(repo, card):
    import tomllib
    url = tomllib.loads((repo.root / "pyproject.toml").read_text())["project"]["urls"]["Repository"]
    assert url == REPOSITORY_URL
    citation = card_section(card, "Citation")
    assert "author       = {{The deserter-bench contributors}}" in citation and f"\\url{{{url}}}" in citation
    assert f"[Data set]. {url}" in citation


def test_outside_a_checkout_the_repository_url_comes_from_the_installed_package(monkeypatch, tmp_path):
    import email.message
    import importlib.metadata

    from bench.publishing import card as module
    installed = email.message.Message()
    installed["Project-URL"] = "Repository, https://example.org/deserter-bench"
    monkeypatch.setattr(module, "__file__", str(tmp_path / "site-packages" / "bench" / "publishing" / "card.py"))
    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: installed if name == "deserter-bench" else None)
    assert module.project_url("Repository") == "https://example.org/deserter-bench"


def test_personal_information_names_every_person_and_what_not_to_do(repo, card):
    section = card_section(card, "Personal and Sensitive Information")
    for name in ("Dmitry Mishov", "Maksim Kuzminov", "Daniil Mukhametov"):
        assert name in section
    for forbidden in ("profile", "locate", "re-identify", "contact", "link these texts with other data"):
        assert forbidden in section
    assert "research on text classification only" in section
    assert "Spain" not in card and "killed" not in section, "no fact the articles do not hold"


def test_the_annotators_are_said_to_be_ai_agents_not_people(card):
    annotators = card_section(card, "Who are the annotators?")
    assert annotators.startswith("AI annotation agents, not people") and "Claude" in annotators
    assert "No human has annotated or checked the labels" in annotators


def test_the_cards_counts_are_the_datas(repo, card):
    corpus, schema = repo.corpus(), repo.schema()
    previous, changes = changes_from_previous(repo.labels, schema, corpus)
    body = sum(row.labels["kind"] == "body" for row in repo.valid_gold(schema, corpus).values())
    assert f"{len(corpus.paragraphs)} paragraphs of {len(corpus.documents)} articles" in card
    assert f"; {body} of them are body paragraphs" in card
    assert f"{len(changes)} labels of\n{len({c.id for c in changes})} paragraphs differ from round `{previous}`" in card


def test_the_card_template_types_no_count():
    """Every number of the card before its changelog comes from the data: the template's prose holds none."""
    prose = TEMPLATE.read_text(encoding="utf-8").split("### Changelog")[0]
    prose = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", "", prose, flags=re.S)
    typed = {word for word in re.findall(r"\S*\d\S*", prose)} - {"SHA-256", "SHA-256.", "`date", "2023-06`", "F1", "0."}
    assert typed == set(), "the example of a metadata prefix, SHA-256, F1 and majority's 0 are no counts"


def test_a_story_nobody_has_described_stops_the_card(repo):
    from dataclasses import replace
    corpus = repo.corpus()
    assert [p["story"] for p in named_people(corpus)] == list(dict.fromkeys(d.story for d in corpus.documents))
    assert set(NAMED_PEOPLE) == {d.story for d in corpus.documents}
    added = replace(corpus, documents=(*corpus.documents, replace(corpus.documents[0], doc="009", story="sailor")))
    with pytest.raises(BenchError, match="names no person for story sailor: describe who its articles name"):
        named_people(added)


@pytest.mark.parametrize("rows, category", [(0, "n<1K"), (999, "n<1K"), (1000, "1K<n<10K"), (54_321, "10K<n<100K"),
                                            (10**13, "n>1T")])
def test_size_category_is_the_hubs_for_the_row_count(rows, category):
    assert size_category(rows) == category


def test_check_card_accepts_the_export(card):
    check_card(card)


@pytest.mark.parametrize("change, message", [
    (("license: other\n", "license: my-own\n"), "license 'my-own' is not one the Hub allows"),
    (("- text-classification\n", "- stance-classification\n"),
     "task_categories 'stance-classification' is not one the Hub allows"),
    (("- topic-classification\n", "- stance-detection-task\n"), "task_ids 'stance-detection-task' is not one"),
    (("language:\n- en\n", "language:\n- english\n"), "language 'english' is not one the Hub allows"),
    (("size_categories:\n- n<1K\n", "size_categories:\n- small\n"), "size_categories 'small' is not one"),
    (("- machine-generated\n", "- agents\n"), "annotations_creators 'agents' is not one the Hub allows"),
    (("license_name: research-excerpts\n", "license_name: Research Excerpts\n"), "license_name 'Research Excerpts'"),
    (("license_link: LICENSE.md\n", "license_link: licence.txt\n"), "license_link 'licence.txt' is neither"),
    (("  data_files:\n  - split: en\n    path: topic/", "  default: true\n  data_files:\n  - split: en\n    path: topic/"),
     "not exactly one config is marked default: true"),
    (("- config_name: alignment\n  features:", "- config_name: aligned\n  features:"), "dataset_info describes"),
    (("pretty_name: ", "name: "), "lacks pretty_name"),
])
def test_check_card_refuses_metadata_the_hub_would_not_take(card, change, message):
    old, new = change
    assert old in card
    with pytest.raises(BenchError, match=re.escape(message)):
        check_card(card.replace(old, new, 1))


def test_card_section_is_the_text_below_a_heading_up_to_the_next():
    text = "# Title\n\nSummary.\n\n## A\n\nText of A.\n\n### B\n\nText of B.\n"
    assert card_section(text, "A") == "Text of A." and card_section(text, "B") == "Text of B."
    with pytest.raises(BenchError, match="the dataset card has no section 'C'"):
        card_section(text, "C")

"""The dataset card of the Hugging Face export, section by section as the Hub's template, and its check against the
Hub's metadata spec. Every count in it is read off the data, so the card never goes stale."""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import json
import re
import tomllib
from collections.abc import Sequence
from pathlib import Path

import yaml

from .. import __version__
from ..annotation.agreement import RoundAgreement
from ..data.corpus import Corpus
from ..data.labels import GoldChange
from ..data.schema import KIND_FIELD, Schema
from ..files import BenchError
from .hub_configs import (
    DEFAULT_CONFIG,
    FOLDS,
    LICENSE_FILE,
    PARAGRAPHS,
    REBUILD,
    WHOLE,
    classification_fields,
    configs,
    data_path,
    stance_fields,
)
from .prose import headline_of, render
from .records import Results
from .tables import agreement_table

PRETTY_NAME = "Deserter Bench: topic and stance in Dutch and English news on Russian deserters"
AUTHORS = "The deserter-bench contributors"
CITATION_YEAR = 2026
ANNOTATOR_MODEL = "a large language model of the Claude family (Anthropic)"
LICENCE = """The labels and the code are released under the MIT licence. The texts are excerpts of news articles whose
copyright stays with their publishers; they are shared unedited for non-commercial research on text
classification.
"""
CARD_TEMPLATE = "dataset_card.md"  # the card's prose, a template of templates/, after the Hub's own
# Who the articles of each story name, for the card's Personal and Sensitive Information: a story missing here stops
# the export, so that a new story's people are described before it is released.
NAMED_PEOPLE = {
    "mishov": "Dmitry Mishov (spelt Dmitri Mishov and Mišov in one English article)",
    "kuzminov": "Maksim Kuzminov (Maksim Koezminov in the Dutch article)",
    "mukhametov": "Daniil Mukhametov (Daniil Moechametov in the Dutch article)",
}
# The Hub's allowed values that no installed package lists: its licence identifiers (huggingface/hub-docs,
# docs/hub/repositories-licenses.md) and its task categories and task ids (huggingface/huggingface.js,
# packages/tasks/src/pipelines.ts: the keys of PIPELINE_DATA and their subtasks). The languages, creators,
# multilinguality and size categories are the lists `datasets` ships (datasets/utils/resources/).
HUB_LICENSES = frozenset({
    "apache-2.0", "mit", "openrail", "bigscience-openrail-m", "creativeml-openrail-m", "bigscience-bloom-rail-1.0",
    "bigcode-openrail-m", "afl-3.0", "artistic-2.0", "bsl-1.0", "bsd", "bsd-2-clause", "bsd-3-clause",
    "bsd-3-clause-clear", "c-uda", "cc", "cc0-1.0", "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0",
    "cc-by-sa-4.0", "cc-by-nc-2.0", "cc-by-nc-3.0", "cc-by-nc-4.0", "cc-by-nd-4.0", "cc-by-nc-nd-3.0",
    "cc-by-nc-nd-4.0", "cc-by-nc-sa-2.0", "cc-by-nc-sa-3.0", "cc-by-nc-sa-4.0", "cdla-sharing-1.0",
    "cdla-permissive-1.0", "cdla-permissive-2.0", "wtfpl", "ecl-2.0", "epl-1.0", "epl-2.0", "etalab-2.0", "eupl-1.1",
    "agpl-3.0", "gfdl", "gpl", "gpl-2.0", "gpl-3.0", "lgpl", "lgpl-2.1", "lgpl-3.0", "isc", "lppl-1.3c", "ms-pl",
    "mpl-2.0", "odc-by", "odbl", "openrail++", "osl-3.0", "postgresql", "ofl-1.1", "ncsa", "unlicense", "zlib", "pddl",
    "lgpl-lr", "deepfloyd-if-license", "llama2", "gemma", "unknown", "other"
})
HUB_TASK_CATEGORIES = frozenset({
    "biology", "text-classification", "token-classification", "table-question-answering", "question-answering",
    "zero-shot-classification", "translation", "summarization", "feature-extraction", "text-generation",
    "text2text-generation", "fill-mask", "sentence-similarity", "text-to-speech", "text-to-audio",
    "automatic-speech-recognition", "audio-to-audio", "audio-classification", "audio-text-to-text",
    "voice-activity-detection", "depth-estimation", "image-classification", "object-detection", "image-segmentation",
    "text-to-image", "image-to-text", "image-to-image", "image-to-video", "unconditional-image-generation",
    "video-classification", "reinforcement-learning", "robotics", "tabular-classification", "tabular-regression",
    "tabular-to-text", "table-to-text", "multiple-choice", "text-ranking", "text-retrieval", "time-series-forecasting",
    "text-to-video", "image-text-to-text", "visual-question-answering", "document-question-answering",
    "zero-shot-image-classification", "graph-ml", "mask-generation", "zero-shot-object-detection", "text-to-3d",
    "image-to-3d", "image-feature-extraction", "video-text-to-text", "keypoint-detection", "visual-document-retrieval",
    "any-to-any", "other"
})
HUB_TASK_IDS = frozenset({
    "acceptability-classification", "entity-linking-classification", "fact-checking", "intent-classification",
    "language-identification", "multi-class-classification", "multi-label-classification",
    "multi-input-text-classification", "natural-language-inference", "semantic-similarity-classification",
    "sentiment-classification", "topic-classification", "semantic-similarity-scoring", "sentiment-scoring",
    "sentiment-analysis", "hate-speech-detection", "text-scoring", "named-entity-recognition", "part-of-speech",
    "parsing", "lemmatization", "word-sense-disambiguation", "coreference-resolution", "extractive-qa",
    "open-domain-qa", "closed-domain-qa", "news-articles-summarization", "news-articles-headline-generation",
    "dialogue-modeling", "dialogue-generation", "conversational", "language-modeling", "text-simplification",
    "explanation-generation", "abstractive-qa", "open-domain-abstractive-qa", "open-book-qa", "closed-book-qa",
    "slot-filling", "masked-language-modeling", "keyword-spotting", "speaker-identification",
    "audio-intent-classification", "audio-emotion-recognition", "audio-language-identification",
    "multi-label-image-classification", "multi-class-image-classification", "face-detection", "vehicle-detection",
    "instance-segmentation", "semantic-segmentation", "panoptic-segmentation", "image-captioning", "image-inpainting",
    "image-colorization", "super-resolution", "grasping", "task-planning", "tabular-multi-class-classification",
    "tabular-multi-label-classification", "tabular-single-column-regression", "rdf-to-text", "multiple-choice-qa",
    "multiple-choice-coreference-resolution", "document-retrieval", "utterance-retrieval", "entity-linking-retrieval",
    "fact-checking-retrieval", "univariate-time-series-forecasting", "multivariate-time-series-forecasting",
    "visual-question-answering", "document-question-answering", "pose-estimation"
})
LICENSE_NAME = re.compile(r"\A[a-z0-9][a-z0-9.-]*\Z")  # hub-docs' datasetcard.md: "an id ..., like my-license-1.0"
REQUIRED = ("pretty_name", "language", "license", "task_categories", "size_categories", "annotations_creators",
            "source_datasets", "configs", "dataset_info")


def project_url(name: str) -> str:
    """A URL of pyproject.toml's [project.urls], read from the checkout (or, installed, the package's metadata)."""
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    if pyproject.is_file():
        return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["urls"][name]
    urls = importlib.metadata.metadata("deserter-bench").get_all("Project-URL") or []
    return dict(url.split(", ", 1) for url in urls)[name]


REPOSITORY_URL = project_url("Repository")


def hub_vocabulary() -> dict[str, frozenset[str]]:
    """The values the Hub allows in each metadata field it checks: from `datasets`' lists and the tables above."""
    resources = importlib.resources.files("datasets.utils.resources")
    listed = {name: json.loads((resources / f"{name}.json").read_text(encoding="utf-8"))
              for name in ("languages", "creators", "multilingualities", "size_categories")}
    return {"license": HUB_LICENSES, "task_categories": HUB_TASK_CATEGORIES, "task_ids": HUB_TASK_IDS,
            "language": frozenset(listed["languages"]), "language_creators": frozenset(listed["creators"]["language"]),
            "annotations_creators": frozenset(listed["creators"]["annotations"]),
            "multilinguality": frozenset(listed["multilingualities"]),
            "size_categories": frozenset(listed["size_categories"])}


def size_category(rows: int) -> str:
    """The Hub's size category of ROWS rows: n<1K, 1K<n<10K, ..., n>1T (`datasets`' list, smallest first)."""
    categories = json.loads((importlib.resources.files("datasets.utils.resources") / "size_categories.json")
                            .read_text(encoding="utf-8"))[1:]  # the first is "unknown"
    return categories[min(max(len(str(rows)) - 3, 0), len(categories) - 1)]


def card_metadata(languages: list[str], schema: Schema, infos) -> dict:
    """The card's YAML metadata, in the order it is written: what the Hub and `datasets` read. The version is in
    the prose and the changelog, since the Hub ignores a `version` key."""
    from huggingface_hub import DatasetCardData

    metadata = {
        "pretty_name": PRETTY_NAME,
        "language": languages,
        "license": "other",
        "license_name": "research-excerpts",
        "license_link": LICENSE_FILE,
        "multilinguality": "multilingual",
        "language_creators": ["found"],
        "annotations_creators": ["machine-generated"],
        "source_datasets": ["original"],
        "size_categories": [size_category(max(sum(s.num_examples for s in i.splits.values()) for i in infos.values()))],
        "task_categories": ["text-classification"],
        "task_ids": ["topic-classification", "multi-class-classification"],
        "tags": ["stance-detection", "cross-lingual", "news", "russia", "ukraine", "desertion"],
        "configs": [{"config_name": config, **({"default": True} if config == DEFAULT_CONFIG else {}),
                     "data_files": [{"split": split, "path": data_path(config, split)} for split in infos[config].splits]}
                    for config in infos],
    }
    data = DatasetCardData(**metadata)
    infos.to_dataset_card_data(data)
    return {**metadata, "dataset_info": data["dataset_info"]}


def citation(version: str) -> tuple[str, str]:
    """The data set's citation, as BibTeX and as APA, naming its authors, version and repository."""
    bibtex = (f"@misc{{deserter_bench,\n  author       = {{{{{AUTHORS}}}}},\n  title        = {{{PRETTY_NAME}}},\n"
              f"  year         = {{{CITATION_YEAR}}},\n  version      = {{{version}}},\n"
              f"  howpublished = {{\\url{{{REPOSITORY_URL}}}}},\n}}")
    apa = f"{AUTHORS}. ({CITATION_YEAR}). *{PRETTY_NAME}* (Version {version}) [Data set]. {REPOSITORY_URL}"
    return bibtex, apa


def named_people(corpus: Corpus) -> list[dict]:
    """Who the articles of each story name, with the story's documents; a story nobody has described is refused."""
    stories: dict[str, list[str]] = {}
    for document in corpus.documents:
        stories.setdefault(document.story, []).append(document.doc)
    missing = sorted(set(stories) - set(NAMED_PEOPLE))
    if missing:
        raise BenchError(f"the dataset card names no person for story {', '.join(missing)}: describe who its "
                         "articles name in NAMED_PEOPLE (bench/publishing/card.py) before releasing it")
    return [{"story": story, "name": NAMED_PEOPLE[story], "docs": docs} for story, docs in stories.items()]


def identical_paragraphs(corpus: Corpus, rows: dict[str, list[dict]]) -> list[list[str]]:
    """Each group of identical paragraphs, every paragraph with its kind."""
    kinds = {row["id"]: row[KIND_FIELD] for row in rows[PARAGRAPHS]}
    return [[f"{paragraph} ({kinds[paragraph]})" for paragraph in group] for group in corpus.duplicates()]


def current_passes(agreement: dict[str, RoundAgreement]) -> tuple[str, list[str]]:
    """The newest round of labels and its annotation passes, as the agreement names them."""
    version, result = next(iter(agreement.items()), ("", None))
    if result is None or not result.fields:
        raise BenchError("no round of labels has two passes, and the dataset card reports their agreement")
    first = next(iter(result.fields.values()))
    return version, sorted({name for pair in first["pairs"] for name in pair["annotators"]})


def data_limits(corpus: Corpus, rows: dict[str, list[dict]], schema: Schema, languages: list[str]) -> list[str]:
    """Size, missing classes and repeated stories, read off the data so the card never goes stale."""
    body = [r for r in rows[PARAGRAPHS] if r[KIND_FIELD] == "body"]
    sizes = ", ".join(f"{sum(r['language'] == lang for r in body)} in {lang}" for lang in languages)
    lines = [f"Very small: {len(body)} body paragraphs ({sizes}), so confidence intervals are wide."]
    for field in schema.task_fields:
        for label in field.labels:
            missing = [lang for lang in languages
                       if not any(r[field.name] == label and r["language"] == lang for r in body)]
            if len(missing) == len(languages):
                lines.append(f"No body paragraph has {field.name} = `{label}`.")
            elif missing:
                lines.append(f"No {', '.join(missing)} body paragraph has {field.name} = `{label}`, so a model "
                             "trained on that language alone cannot learn it.")
    stories: dict[str, list] = {}
    for d in corpus.documents:
        stories.setdefault(d.story, []).append(d)
    for story, docs in stories.items():
        if len(docs) > 1:
            lines.append(f"{len(docs)} documents ({', '.join(d.doc for d in docs)}; "
                         f"{', '.join(sorted({d.language for d in docs}))}) tell the same story ({story}), so "
                         "leaving one document out does not hold the story out.")
    return lines


def card(corpus: Corpus, rows: dict[str, list[dict]], schema: Schema, infos, *, records: Results, agreement: dict,
         changes: tuple[str, Sequence[GoldChange]] = ("", ()), texts: bool = True) -> str:
    """The dataset card: its YAML metadata, then the sections of the Hub's template rendered from the data."""
    languages = sorted({p.language for p in corpus.paragraphs})
    front_matter = yaml.safe_dump(card_metadata(languages, schema, infos), sort_keys=False, allow_unicode=True,
                                  width=1000)  # not huggingface_hub's dump, which folds lines at 80 columns
    current_round, passes = current_passes(agreement)
    example_config = classification_fields(schema)[0]
    bibtex, apa = citation(__version__)
    text = render(
        CARD_TEMPLATE, pretty_name=PRETTY_NAME, version=__version__, authors=AUTHORS, repository=REPOSITORY_URL,
        license_file=LICENSE_FILE, documents=corpus.documents, languages=languages, stories=sorted({
            d.story for d in corpus.documents}), paragraphs=len(rows[PARAGRAPHS]),
        body=sum(r[KIND_FIELD] == "body" for r in rows[PARAGRAPHS]), label_fields=list(schema.fields),
        targets=[f.target.rstrip(".") for f in stance_fields(schema)],
        target_names=[f.name.removeprefix("stance_") for f in stance_fields(schema)], fields=schema.fields,
        sizes={config: [sum(r["language"] == language for r in rows[config]) for language in languages]
               for config in configs(schema)},
        default_config=DEFAULT_CONFIG, folds=FOLDS, whole=WHOLE, texts=texts, rebuild=REBUILD,
        task_configs=classification_fields(schema), example_config=example_config,
        example=json.dumps(rows[example_config][0], ensure_ascii=False, indent=2),
        duplicates=identical_paragraphs(corpus, rows), current_round=current_round, passes=passes,
        previous_round=changes[0], changes=changes[1], agreement=agreement_table(agreement),
        annotator_model=ANNOTATOR_MODEL, people=named_people(corpus),
        limits=data_limits(corpus, rows, schema, languages), bibtex=bibtex, apa=apa,
        results=headline_of(records) if records else "No results recorded yet.\n", licence=LICENCE)
    return f"---\n{front_matter}---\n\n{text}"


def card_section(text: str, heading: str) -> str:
    """The text of one section of a card: below its heading and above the next heading (of any level)."""
    found = re.search(rf"^#+ {re.escape(heading)}$", text, re.M)
    if not found:
        raise BenchError(f"the dataset card has no section {heading!r}")
    end = re.compile(r"^#+ ", re.M).search(text, found.end())
    return text[found.end():end.start() if end else len(text)].strip()


def check_card(text: str) -> None:
    """The card's metadata against the Hub's dataset card spec, offline: huggingface_hub parses it, every field the
    Hub checks holds a value the Hub allows, and the configs are the ones `datasets` loads (one default)."""
    from huggingface_hub import DatasetCard

    try:
        data = DatasetCard(text).data.to_dict()
    except ValueError as err:
        raise BenchError(f"dataset card metadata does not parse: {err}") from None
    problems = [f"lacks {key}" for key in REQUIRED if not data.get(key)]
    for key, allowed in hub_vocabulary().items():
        values = data.get(key) or []
        problems += [f"{key} {value!r} is not one the Hub allows" for value in ([values] if isinstance(values, str)
                                                                                 else values) if value not in allowed]
    if data.get("license") == "other":
        if not LICENSE_NAME.match(str(data.get("license_name", ""))):
            problems.append(f"license_name {data.get('license_name')!r} is not an id such as my-license-1.0")
        if not re.fullmatch(r"LICENSE(\.md)?|https?://\S+", str(data.get("license_link", ""))):
            problems.append(f"license_link {data.get('license_link')!r} is neither LICENSE, LICENSE.md nor a URL")
    problems += config_problems(data.get("configs") or [], data.get("dataset_info") or [])
    if problems:
        raise BenchError(f"dataset card metadata: {'; '.join(problems)}")


def config_problems(found: list[dict], infos: list[dict]) -> list[str]:
    """Exactly one config is the default, and `dataset_info` describes each config with the splits of its files."""
    problems = [] if sum(bool(config.get("default")) for config in found) == 1 else [
        "not exactly one config is marked default: true"]
    splits = {config["config_name"]: [f["split"] for f in config.get("data_files", [])] for config in found}
    described = {info.get("config_name"): [s["name"] for s in info.get("splits", [])] for info in infos}
    if described != splits:
        problems.append(f"dataset_info describes {described} instead of the configs' splits {splits}")
    return problems

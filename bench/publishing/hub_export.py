"""The Hugging Face export: Parquet configs per language with ClassLabel features, and a card rendered from the data."""

from __future__ import annotations

import inspect
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..data.alignment import Link
from ..data.corpus import METADATA_PREFIX, WHITESPACE, Corpus, seed_text, split_paragraphs, strip_metadata
from ..data.labels import LabelRow
from ..data.schema import KIND_FIELD, Schema
from ..evaluation.settings import SETTINGS, evaluations, split
from ..evaluation.tasks import build_examples, tasks_from_schema
from ..files import BenchError, atomic_write, nearest_existing
from .prose import headline_of
from .records import Results
from .tables import agreement_table

PRETTY_NAME = "Deserter Bench: topic and stance in Dutch and English news on Russian deserters"
PARAGRAPHS, STANCE, FOLDS, ALIGNMENT = "paragraphs", "stance", "folds", "alignment"
WHOLE = "full"  # the one split of the folds and alignment configs ("all" is reserved by `datasets`)
REBUILD = "rebuild_texts.py"  # a text-free export's script: the module of that name here, filled in
MARKER = ".deserter-bench-export"
LICENSE_FILE = "LICENSE.md"  # what the card's `license_link` names, as the Hub asks with `license: other`
LICENCE = """The labels and the code are released under the MIT licence. The texts are excerpts of news articles whose
copyright stays with their publishers; they are shared unedited for non-commercial research on text
classification.
"""
HERE = Path(__file__).parent
CARD_TEMPLATE = "templates/dataset_card.md"  # the card's prose, a Jinja2 template shipped in this package


def fold_rows(corpus: Corpus, gold: dict[str, LabelRow], schema: Schema) -> list[dict]:
    """Every fold of every setting the benchmark evaluates: which documents and stories train and test.

    The tasks share their body paragraphs, so their folds are the same; the first task's are listed.
    """
    task = next(iter(tasks_from_schema(schema).values()))
    examples = build_examples(task, corpus, gold, ("body",))
    rows = []
    for setting in SETTINGS:
        try:
            found = evaluations(setting, examples)
        except BenchError:  # a setting the corpus cannot support (a given split) has no folds
            continue
        for evaluation in found:
            for number, fold in enumerate(evaluation.folds):
                train, test = split(examples, fold)
                rows.append({"setting": setting, "evaluation": evaluation.name, "fold": number,
                             "story_disjoint": bool(evaluation.story_disjoint),
                             "train_docs": sorted({e.doc for e in train}), "test_docs": sorted({e.doc for e in test}),
                             "train_stories": sorted({e.story for e in train}),
                             "test_stories": sorted({e.story for e in test})})
    return rows


def alignment_rows(alignment: list[Link]) -> list[dict]:
    return [{"nl": link.nl, "en": link.en, "relation": link.relation} for link in alignment if link.en is not None]


def rebuild_script(corpus: Corpus) -> str:
    """`rebuild_texts.py` of a text-free export: the module's source with the corpus functions it imports written
    out and FILES naming the corpus's articles, so the script runs with `datasets` alone."""
    inlined = ("import re\n\n"
               f"METADATA_PREFIX = re.compile({METADATA_PREFIX.pattern!r})\n"
               f"WHITESPACE = {WHITESPACE!r}\n\n\n"
               + "\n\n".join(inspect.getsource(f) for f in (seed_text, split_paragraphs, strip_metadata)) + "\n")
    files = json.dumps({d.doc: d.file for d in corpus.documents}, indent=4)
    replacements = {"from ..data.corpus import": inlined, "FILES: dict[str, str] = {}": f"FILES = {files}\n"}
    lines = (HERE / REBUILD).read_text(encoding="utf-8").splitlines(keepends=True)
    for start, replacement in replacements.items():
        [at] = [number for number, line in enumerate(lines) if line.startswith(start)]
        lines[at] = replacement
    return "".join(lines)


def classification_fields(schema: Schema) -> list[str]:
    """Task fields without a target: each is a config of its own, its label in `label`."""
    return [f.name for f in schema.task_fields if not f.target]


def configs(schema: Schema) -> list[str]:
    """Every paragraph, one config per classification field, and one for all stance targets together."""
    return [PARAGRAPHS, *classification_fields(schema), *([STANCE] if stance_fields(schema) else [])]


def stance_fields(schema: Schema) -> list:
    """Task fields with a target: they share the stance config, one row per paragraph and target."""
    return [f for f in schema.task_fields if f.target]


def config_rows(corpus: Corpus, gold: dict[str, LabelRow], schema: Schema) -> dict[str, list[dict]]:
    """The rows of each config in corpus order: every paragraph, then the body rows of each task config."""
    dates = {d.doc: d.date for d in corpus.documents}
    rows: dict[str, list[dict]] = {config: [] for config in configs(schema)}
    for p in corpus.paragraphs:
        labels = gold[p.id].labels
        common = {"id": p.id, "doc": p.doc, "language": p.language, "story": p.story}
        rows[PARAGRAPHS].append({**common, "position": p.position, "date": dates[p.doc], "sha256": p.sha256,
                                 "text": p.text, **labels})
        if labels[KIND_FIELD] != "body":
            continue
        for name in classification_fields(schema):
            rows[name].append({**common, "text": p.text, "label": labels[name]})
        for field in stance_fields(schema):
            rows[STANCE].append({**common, "target": field.name.removeprefix("stance_"),
                                 "target_description": field.target, "text": p.text, "label": labels[field.name]})
    return rows


def features(config: str, schema: Schema):
    """datasets Features with ClassLabel names taken from the guidelines."""
    from datasets import ClassLabel, Features, List, Value

    if config == FOLDS:
        return Features({"setting": Value("string"), "evaluation": Value("string"), "fold": Value("int32"),
                         "story_disjoint": Value("bool"), **{f"{side}_{unit}": List(Value("string"))
                                                            for side in ("train", "test") for unit in ("docs", "stories")}})
    if config == ALIGNMENT:
        return Features({"nl": Value("string"), "en": Value("string"),
                         "relation": ClassLabel(names=["equivalent", "partial"])})
    text = {name: Value("string") for name in ("id", "doc", "language", "story")}
    if config == PARAGRAPHS:
        labels = {name: ClassLabel(names=list(f.labels)) for name, f in schema.fields.items()}
        return Features({**text, "position": Value("int32"), "date": Value("string"), "sha256": Value("string"),
                         "text": Value("string"), **labels})
    if config != STANCE:
        return Features({**text, "text": Value("string"), "label": ClassLabel(names=list(schema.fields[config].labels))})
    stance_labels = stance_fields(schema)[0].labels
    return Features({**text, "target": Value("string"), "target_description": Value("string"),
                     "text": Value("string"), "label": ClassLabel(names=list(stance_labels))})


def data_path(config: str, language: str) -> str:
    """Where a config's split lives in the export, as the Hub's data_files expect."""
    return f"{config}/{language}-00000-of-00001.parquet"


def write_parquet(rows: list[dict], config: str, schema: Schema, path: Path) -> None:
    """One split of one config as Parquet, with its ClassLabel features."""
    from datasets import Dataset, disable_progress_bars

    disable_progress_bars()
    columns = {name: [row[name] for row in rows] for name in features(config, schema)}
    dataset = Dataset.from_dict(columns, features=features(config, schema))
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_parquet(str(path))


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


def card_metadata(languages: list[str], schema: Schema) -> dict:
    """The card's YAML metadata, in the order it is written: what the Hub and `datasets` read."""
    return {
        "pretty_name": PRETTY_NAME,
        "language": languages,
        "license": "other",
        "license_name": "research-excerpts",
        "license_link": LICENSE_FILE,
        "multilinguality": "multilingual",
        "language_creators": ["found"],
        "annotations_creators": ["machine-generated"],
        "version": __version__,
        "source_datasets": ["original"],
        "size_categories": ["n<1K"],
        "task_categories": ["text-classification"],
        "task_ids": ["topic-classification", "multi-class-classification"],
        "tags": ["stance-detection", "cross-lingual", "news", "russia", "ukraine", "desertion"],
        "configs": [{"config_name": config, "data_files": [{"split": language, "path": data_path(config, language)}
                                                            for language in languages]}
                    for config in configs(schema)] + [
                    {"config_name": config, "data_files": [{"split": WHOLE, "path": data_path(config, WHOLE)}]}
                    for config in (FOLDS, ALIGNMENT)],
    }


def card(corpus: Corpus, rows: dict[str, list[dict]], schema: Schema, records: Results, agreement: dict,
         texts: bool = True) -> str:
    """The dataset card, rendered from its template with huggingface_hub: the metadata, then the sections."""
    import yaml
    from huggingface_hub import DatasetCard, DatasetCardData

    languages = sorted({p.language for p in corpus.paragraphs})
    metadata = card_metadata(languages, schema)
    # Written here, not by `str(card)`: huggingface_hub re-dumps the metadata folded at 80 columns.
    front_matter = yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=1000)
    example_config = classification_fields(schema)[0]
    rendered = DatasetCard.from_template(
        DatasetCardData(**metadata), template_path=str(HERE / CARD_TEMPLATE), front_matter=front_matter,
        documents=corpus.documents, fields=schema.fields, whole=WHOLE, texts=texts,
        sizes={config: [sum(r["language"] == language for r in rows[config]) for language in languages]
               for config in configs(schema)},
        task_configs=classification_fields(schema), rebuild=REBUILD, example_config=example_config,
        example=json.dumps(rows[example_config][0], ensure_ascii=False, indent=2),
        agreement=agreement_table(agreement), results=headline_of(records) if records else "No results recorded yet.\n",
        limits=data_limits(corpus, rows, schema, languages), licence=LICENCE)
    return f"---\n{front_matter}---\n{rendered.text}"


def check_card(text: str) -> None:
    """Parse the card with huggingface_hub's tooling and check the metadata the Hub and `datasets` read."""
    from huggingface_hub import DatasetCard

    data = DatasetCard(text).data
    missing = [key for key in ("pretty_name", "language", "license", "task_categories", "size_categories",
                               "annotations_creators", "source_datasets", "configs") if not data.get(key)]
    if data.get("license") == "other":
        missing += [key for key in ("license_name", "license_link") if not data.get(key)]
    if missing:
        raise BenchError(f"dataset card lacks metadata: {', '.join(missing)}")


def export(out: Path, corpus: Corpus, gold: dict[str, LabelRow], schema: Schema, *, records: Results,
           agreement: dict, alignment: Sequence[Link] = (), texts: bool = True) -> list[Path]:
    """Write the release folder through a temporary sibling, so a failed export leaves the old one intact.

    Without `texts`, every text is left empty (ids, hashes and labels stay) and the folder gains a script that
    rebuilds the texts from a user's own copies of the articles, for publishers who cannot redistribute them.
    """
    out = Path(out).resolve()  # `export-hf .` must stage beside the folder, not inside it
    if out.exists() and not out.is_dir():
        raise BenchError("is a file; export-hf writes a folder", out)
    if out.exists() and any(out.iterdir()) and not is_export(out):
        raise BenchError("output folder is not empty and holds no earlier export; choose another", out)
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=nearest_existing(out.parent)))
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror}", out) from None
    try:
        rows = config_rows(corpus, gold, schema)
        shared = rows if texts else {config: [{**row, "text": None} for row in found] for config, found in rows.items()}
        for config in configs(schema):
            for language in sorted({r["language"] for r in rows[config]}):
                write_parquet([r for r in shared[config] if r["language"] == language], config, schema,
                              staging / data_path(config, language))
        write_parquet(fold_rows(corpus, gold, schema), FOLDS, schema, staging / data_path(FOLDS, WHOLE))
        write_parquet(alignment_rows(list(alignment)), ALIGNMENT, schema, staging / data_path(ALIGNMENT, WHOLE))
        if not texts:
            atomic_write(staging / REBUILD, rebuild_script(corpus))
        text = card(corpus, rows, schema, records, agreement, texts)
        check_card(text)
        atomic_write(staging / "README.md", text)
        atomic_write(staging / LICENSE_FILE, LICENCE)
        atomic_write(staging / MARKER, "Written by `bench export-hf`; the folder is replaced on the next export.\n")
        staging.chmod(0o755)
        if out.exists() and not is_export(out):  # an empty folder of the user's: fill it, keep it
            for entry in sorted(staging.iterdir(), key=lambda e: e.name != MARKER):  # the marker first
                entry.rename(out / entry.name)
        else:
            if out.exists():
                shutil.rmtree(out)  # only ever an earlier export
            out.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return release_files(out)


def is_export(folder: Path) -> bool:
    return (Path(folder) / MARKER).is_file()


def release_files(folder: Path) -> list[Path]:
    """What an upload sends: every file of the export but the marker."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.name != MARKER)

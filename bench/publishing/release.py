"""The Hugging Face release: Parquet configs per language with ClassLabel features, a generated card, and the upload."""

from __future__ import annotations

import inspect
import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..data import corpus as corpus_module
from ..data.alignment import Link
from ..data.corpus import Corpus
from ..data.labels import LabelRow
from ..data.schema import KIND_FIELD, Schema
from ..evaluation.settings import SETTINGS, evaluations, split
from ..evaluation.tasks import build_examples, tasks_from_schema
from ..files import BenchError, atomic_write, nearest_existing
from .records import Results
from .tables import agreement_table, main_tables

PRETTY_NAME = "Deserter Bench: topic and stance in Dutch and English news on Russian deserters"
PARAGRAPHS, STANCE, FOLDS, ALIGNMENT = "paragraphs", "stance", "folds", "alignment"
WHOLE = "full"  # the one split of the folds and alignment configs ("all" is reserved by `datasets`)
REBUILD = "rebuild_texts.py"
CHANGELOG = """- **0.2.0**: every number changed. Settings hold stories out (leave one story out; cross-lingual
  story-disjoint; same-story settings marked); hyperparameters are chosen inside each training fold;
  F_avg over the poles in the test gold; transfer as a paired difference; a permutation test with Holm's
  correction. New configs: `folds` (every setting's folds) and `alignment` (the paragraphs of one story
  aligned across the languages). The zero-shot baseline is named codebook zero-shot, beside a generic one.
- **0.1.0**: first release."""
MARKER = ".deserter-bench-export"
LICENSE_FILE = "LICENSE.md"  # what the card's `license_link` names, as the Hub asks with `license: other`
LICENCE = """The labels and the code are released under the MIT licence. The texts are excerpts of news articles whose
copyright stays with their publishers; they are shared unedited for non-commercial research on text
classification.
"""
CITATION = """@misc{deserter_bench,
  title  = {deserter-bench: topic and stance detection on Dutch and English news about Russian deserters},
  year   = {2026},
  note   = {Version 0.2.0},
}"""


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


REBUILD_MAIN = """

def main(export: Path, articles: Path) -> None:
    texts = {}
    for doc, name in FILES.items():
        raw = seed_text((articles / name).read_text(encoding="utf-8"))
        for position, (_, block) in enumerate(split_paragraphs(strip_metadata(raw)[1]), start=1):
            texts[f"{doc}-{position:02d}"] = block
    hashes = {}
    for path in sorted(export.glob("paragraphs/*.parquet")):
        rows = datasets.Dataset.from_parquet(str(path))
        hashes.update(zip(rows["id"], rows["sha256"]))
    for paragraph, expected in hashes.items():
        if paragraph not in texts:
            sys.exit(f"paragraph {paragraph} is not in your copies of the articles")
        if hashlib.sha256(texts[paragraph].encode("utf-8")).hexdigest() != expected:
            sys.exit(f"your copy of paragraph {paragraph} differs from the one that was labelled")
    for path in sorted(export.glob("*/*.parquet")):  # every text checked: now fill them in
        rows = datasets.Dataset.from_parquet(str(path))
        if "text" in rows.column_names:
            rows.remove_columns("text").add_column("text", [texts[i] for i in rows["id"]]).to_parquet(str(path))
            print(f"{path}: {len(rows)} texts filled in")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def rebuild_script(corpus: Corpus) -> str:
    """A standalone script that fills the texts back into a text-free export from a user's own copies of the
    articles. It splits them with the benchmark's own functions, copied from its code, and checks every hash."""
    return (
        f'"""Fill the texts back into a text-free deserter-bench export from your own copies of the articles.\n\n'
        f"Usage: python {REBUILD} EXPORT_FOLDER ARTICLES_FOLDER\n\n"
        "ARTICLES_FOLDER holds the articles as UTF-8 text files, named as below. Every paragraph's SHA-256 is\n"
        'checked against the export. Needs the `datasets` package.\n"""\n\n'
        "import hashlib\nimport re\nimport sys\nfrom pathlib import Path\n\nimport datasets\n\n"
        f"METADATA_PREFIX = re.compile({corpus_module.METADATA_PREFIX.pattern!r})\n"
        f"WHITESPACE = {corpus_module.WHITESPACE!r}\n"
        f"FILES = {json.dumps({d.doc: d.file for d in corpus.documents}, indent=4)}\n\n\n"
        + "\n\n".join(inspect.getsource(f) for f in (corpus_module.seed_text, corpus_module.split_paragraphs,
                                                          corpus_module.strip_metadata))
        + REBUILD_MAIN)


def classification_fields(schema: Schema) -> list[str]:
    """Task fields without a target: each is a config of its own, its label in `label`."""
    return [f.name for f in schema.task_fields if not f.target]


def configs(schema: Schema) -> list[str]:
    """Every paragraph, one config per classification field, and one for all stance targets together."""
    return [PARAGRAPHS, *classification_fields(schema), *([STANCE] if stance_fields(schema) else [])]


def all_configs(schema: Schema) -> list[str]:
    """The data configs (one split per language), then the folds and the alignment (one split each)."""
    return [*configs(schema), FOLDS, ALIGNMENT]


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


def card(corpus: Corpus, rows: dict[str, list[dict]], schema: Schema, records: Results, agreement: dict,
         texts: bool = True) -> str:
    """The dataset card: YAML metadata for the Hub and `datasets`, then the sections a reader needs."""
    import yaml

    languages = sorted({p.language for p in corpus.paragraphs})
    metadata = {
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
    counts = {config: {language: sum(r["language"] == language for r in rows[config]) for language in languages}
              for config in configs(schema)}
    first_task = classification_fields(schema)[0]
    example = json.dumps(rows[first_task][0], ensure_ascii=False, indent=2)
    definitions = "\n".join(
        f"- **{name}**" + (f" (target: {field.target})" if field.target else "") + "\n"
        + "".join(f"  - `{label}`: {text}\n" for label, text in field.definitions.items())
        for name, field in schema.fields.items())
    sources = "\n".join(f"| {d.doc} | {d.language} | {d.date or 'not stated'} | {d.story} | {d.source} |"
                        for d in corpus.documents)
    size_table = "\n".join(f"| {config} | " + " | ".join(str(counts[config][lang]) for lang in languages) + " |"
                           for config in configs(schema))
    results = main_tables(records) if records else "No results recorded yet.\n"
    limits = "".join(f"- {line}\n" for line in data_limits(corpus, rows, schema, languages))
    task_configs = "".join(f"- `{name}`: the body paragraphs with their {name} as `label`.\n"
                           for name in classification_fields(schema))
    withheld = "" if texts else (
        f"\nThis copy withholds the texts: every `text` is empty, while ids, hashes and labels stay. `{REBUILD}` "
        "fills them in from your own copies of the articles, checking each paragraph's SHA-256.\n")
    return f"""---
{yaml.safe_dump(metadata, sort_keys=False, allow_unicode=True, width=1000)}---

# {PRETTY_NAME}

## Summary

Paragraphs of {len(corpus.documents)} news articles ({", ".join(languages)}) about Russian soldiers who desert or defect,
each labelled for its kind, its topic and its stance toward two targets: Russia's war against Ukraine,
and the deserter or defector the article is about. It is the data of the `deserter-bench` benchmark,
which trains baselines in one language and tests them in the same or the other language.

## Languages

Dutch (`nl`) and English (`en`). Every config has one split per language; the benchmark's settings
(leave one document out, and train on one language, test on the other) are built from these splits and
the `doc` column. No split is a train or test split in itself.

## Dataset structure

| config | {" | ".join(languages)} |
|---|{"---|" * len(languages)}
{size_table}

- `paragraphs`: every paragraph of every kind with all four labels (`kind`, `topic`, `stance_war`,
  `stance_defector`), its position in the article, the article's date and the text's sha256.
{task_configs}- `stance`: one row per body paragraph and target (`war`, `defector`), with the target's description,
  so a model can be conditioned on the target.
- `folds` (one split, `all`): every fold of every setting of the benchmark, with the documents and stories
  on each side and whether the setting is story-disjoint, so that results can be reproduced exactly.
- `alignment` (one split, `all`): pairs of a Dutch and an English paragraph of the one story told in both
  languages (`equivalent` or `partial`), made by reading in two blind passes and an adjudication.
{withheld}
Labels are `ClassLabel` features; their names come from the annotation guidelines. An example row of
`{first_task}`:

```json
{example}
```

## Label definitions

{definitions}
## Source data

| doc | language | date | story | source |
|---|---|---|---|---|
{sources}

The texts are used as published, cut into paragraphs at blank lines; a metadata prefix such as
`date 2023-06` is moved out of the text. One English title is repeated as an identical paragraph
(labelled `boilerplate`).

## Annotation process

Each paragraph was labelled in two independent, blind passes against written guidelines with worked
examples from the corpus. Each pass was made by a separate AI annotation agent: a large language model of
the Claude family (Anthropic) working as an annotator, which read every paragraph; no keyword rule or
classifier chose a label. Every disagreement was adjudicated against the guidelines, by an agent of the same
kind, with a one-line reason kept in the gold file. No human has yet annotated or checked the labels:
treat them as silver labels. Agreement of the two passes before adjudication:

{agreement_table(agreement)}
Two runs of the same kind of AI agent with the same guidelines agree more than independent human
annotators would; these figures are no human ceiling.

## Baseline results

Macro-F1 over the classes in the test gold, on body paragraphs, in the story-disjoint settings (no story on
both sides of a split), mean±sd over seeds with a bootstrap confidence interval over test paragraphs, from
the benchmark's harness. Both stance tasks are two-class in practice: no body paragraph is `favor` toward
the war or `against` the defector, so F_avg is computed over the poles that occur in the test gold.

{results}
## Intended uses and limits

- For research on topic classification and target-conditioned stance detection, in particular
  cross-lingual transfer between Dutch and English, and as a seed for a larger annotated corpus.
{limits}- The articles report claims that were not independently verified (casualty figures, the circumstances
  of the defections). The labels describe what the texts say, not whether it is true.

## Changelog

{CHANGELOG}

## Licence

{LICENCE}
## Citation

```bibtex
{CITATION}
```
"""


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


def export(out: Path, corpus: Corpus, gold: dict[str, LabelRow], schema: Schema, records: Results,
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

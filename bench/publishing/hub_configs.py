"""The configs of the Hugging Face export: their rows, their `datasets` features, their files and sizes; and the
names of the export's other files."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from ..data.alignment import RELATIONS, Alignment
from ..data.corpus import Corpus
from ..data.labels import LabelRow
from ..data.schema import KIND_FIELD, Schema
from ..evaluation.settings import SETTINGS, evaluations, split
from ..evaluation.tasks import build_examples, tasks_from_schema
from ..files import BenchError

PARAGRAPHS, STANCE, FOLDS, ALIGNMENT = "paragraphs", "stance", "folds", "alignment"
DEFAULT_CONFIG = PARAGRAPHS  # what `load_dataset(folder)` gives without a config name: every paragraph, every label
WHOLE = "full"  # the one split of the folds and alignment configs ("all" is reserved by `datasets`)
CARD_FILE, CROISSANT_FILE = "README.md", "croissant.json"  # the dataset card, and the release in Croissant
LICENSE_FILE = "LICENSE.md"  # what the card's `license_link` names, as the Hub asks with `license: other`
REBUILD = "rebuild_texts.py"  # a text-free export's script: the module of that name here, filled in


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


def alignment_rows(alignments: Sequence[Alignment]) -> list[dict]:
    return [{"alignment": alignment.name, "left": link.left, "right": link.right, "relation": link.relation}
            for alignment in alignments for link in alignment.links]


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
        return Features({"alignment": Value("string"), "left": Value("string"), "right": Value("string"),
                         "relation": ClassLabel(names=list(RELATIONS))})
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


def data_path(config: str, split_name: str) -> str:
    """Where a config's split lives in the export, as the Hub's data_files expect."""
    return f"{config}/{split_name}-00000-of-00001.parquet"


def parquet_tables(rows: dict[str, list[dict]], folds: list[dict],
                   alignment: list[dict]) -> dict[str, tuple[str, str, list]]:
    """Each Parquet file of the export (its path) with its config, its split and its rows: one per config and
    language, then the folds and the alignment whole."""
    tables = {data_path(config, language): (config, language, [r for r in found if r["language"] == language])
              for config, found in rows.items() for language in sorted({r["language"] for r in found})}
    return {**tables, data_path(FOLDS, WHOLE): (FOLDS, WHOLE, folds),
            data_path(ALIGNMENT, WHOLE): (ALIGNMENT, WHOLE, alignment)}


def split_dataset(rows: list[dict], config: str, schema: Schema):
    """One split of one config as a `datasets.Dataset` with its ClassLabel features."""
    from datasets import Dataset, disable_progress_bars

    disable_progress_bars()
    columns = {name: [row[name] for row in rows] for name in features(config, schema)}
    return Dataset.from_dict(columns, features=features(config, schema))


def parquet_bytes(dataset) -> bytes:
    """A split as Parquet, kept in memory until the export is written."""
    buffer = io.BytesIO()
    dataset.to_parquet(buffer)
    return buffer.getvalue()


def dataset_infos(splits: dict[str, tuple[str, str, Any]], files: dict[str, bytes]):
    """`datasets`' info of every config, read off its splits (path -> config, split, Dataset) and their Parquet
    files: features, each split's rows and bytes, so that the card's `dataset_info` is the data's own."""
    from datasets import DatasetInfo, SplitInfo
    from datasets.info import DatasetInfosDict
    from datasets.splits import SplitDict

    infos = DatasetInfosDict()
    for path, (config, name, dataset) in splits.items():
        info = infos.setdefault(config, DatasetInfo(features=dataset.features, splits=SplitDict(), download_size=0,
                                                    dataset_size=0, config_name=config))
        info.splits.add(SplitInfo(name=name, num_bytes=dataset.data.nbytes, num_examples=len(dataset)))
        info.download_size += len(files[path])
        info.dataset_size += dataset.data.nbytes
    return infos

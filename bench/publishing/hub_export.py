"""The Hugging Face export: Parquet configs per language with ClassLabel features, and a card rendered from the data."""

from __future__ import annotations

import contextlib
import glob
import inspect
import io
import json
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..data.alignment import RELATIONS, Alignment
from ..data.corpus import METADATA_PREFIX, WHITESPACE, Corpus, seed_text, split_paragraphs, strip_metadata
from ..data.labels import LabelRow
from ..data.schema import KIND_FIELD, Schema
from ..evaluation.settings import SETTINGS, evaluations, split
from ..evaluation.tasks import build_examples, tasks_from_schema
from ..files import BenchError, atomic_write, nearest_existing, read_text
from ..progress import Progress
from .prose import headline_of
from .records import Results
from .tables import agreement_table

PRETTY_NAME = "Deserter Bench: topic and stance in Dutch and English news on Russian deserters"
PARAGRAPHS, STANCE, FOLDS, ALIGNMENT = "paragraphs", "stance", "folds", "alignment"
WHOLE = "full"  # the one split of the folds and alignment configs ("all" is reserved by `datasets`)
REBUILD = "rebuild_texts.py"  # a text-free export's script: the module of that name here, filled in
MARKER = ".deserter-bench-export"
MARKER_TEXT = ("Written by `bench export-hf`, with the files listed below. The next export replaces them, and refuses "
               "while the folder holds any other file.\n")
STAGING, BACKUP = "export-new", "export-old"  # beside OUT, `.OUT.export-new-*` is an export being written, and
# `.OUT.export-old-*` the earlier one being replaced
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


def alignment_rows(alignments: Sequence[Alignment]) -> list[dict]:
    return [{"alignment": alignment.name, "left": link.left, "right": link.right, "relation": link.relation}
            for alignment in alignments for link in alignment.links]


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


def data_path(config: str, language: str) -> str:
    """Where a config's split lives in the export, as the Hub's data_files expect."""
    return f"{config}/{language}-00000-of-00001.parquet"


def parquet_bytes(rows: list[dict], config: str, schema: Schema) -> bytes:
    """One split of one config as Parquet, with its ClassLabel features, kept in memory until the export is written."""
    from datasets import Dataset, disable_progress_bars

    disable_progress_bars()
    columns = {name: [row[name] for row in rows] for name in features(config, schema)}
    buffer = io.BytesIO()
    Dataset.from_dict(columns, features=features(config, schema)).to_parquet(buffer)
    return buffer.getvalue()


def parquet_tables(rows: dict[str, list[dict]], folds: list[dict], alignment: list[dict]) -> dict[str, tuple[str, list]]:
    """Each Parquet file of the export (its path) with its config and rows: one per config and language, then the
    folds and the alignment whole."""
    tables = {data_path(config, language): (config, [r for r in found if r["language"] == language])
              for config, found in rows.items() for language in sorted({r["language"] for r in found})}
    return {**tables, data_path(FOLDS, WHOLE): (FOLDS, folds), data_path(ALIGNMENT, WHOLE): (ALIGNMENT, alignment)}


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


EXPORT_STEPS = 3  # the steps of `export` that its progress counts


def export(out: Path, corpus: Corpus, gold: dict[str, LabelRow], schema: Schema, *, records: Results,
           agreement: dict, alignments: Sequence[Alignment] = (), texts: bool = True,
           progress: Progress | None = None) -> list[Path]:
    """Write the release folder, built beside it first, so a failed or killed export leaves the old one intact.

    Without `texts`, every text is left empty (ids, hashes and labels stay; the card's example too) and the folder
    gains a script that rebuilds the texts from a user's own copies of the articles, for publishers who cannot
    redistribute them. `progress` counts its EXPORT_STEPS.
    """
    step = progress.step if progress is not None else contextlib.nullcontext
    out = Path(out).resolve()  # `export-hf .` must stage beside the folder, not inside it
    rows = config_rows(corpus, gold, schema)
    if not texts:
        rows = {config: [{**row, "text": None} for row in found] for config, found in rows.items()}
    tables = parquet_tables(rows, fold_rows(corpus, gold, schema), alignment_rows(alignments))
    extra = {} if texts else {REBUILD: rebuild_script(corpus)}
    check_destination(out, [*tables, "README.md", LICENSE_FILE, *extra])
    with step("the card, with the tests against chance"):
        text = card(corpus, rows, schema, records, agreement, texts)
        check_card(text)
    with step("the Parquet files"):
        files = {path: parquet_bytes(found, config, schema) for path, (config, found) in tables.items()}
    with step("writing the folder"):
        replace_export(out, {**files, **extra, "README.md": text, LICENSE_FILE: LICENCE})
    return release_files(out)


def check_destination(out: Path, names: list[str]) -> None:
    """OUT is new, empty, or an earlier export holding nothing but the files an export writes: anything else there
    (notes, copies of the articles, a `.git`) would go with the old export, so it is refused, never deleted."""
    if out.exists() and not out.is_dir():
        raise BenchError("is a file; export-hf writes a folder", out)
    if not out.is_dir() or all(unfinished(entry.name) == MARKER for entry in out.iterdir()):
        return  # new, or empty but for a marker that a kill cut short
    if not is_export(out):
        raise BenchError("output folder is not empty and holds no earlier export; choose another", out)
    foreign = first_foreign(out, {*names, MARKER, REBUILD, *written_by(out)})
    if foreign:
        raise BenchError("not written by export-hf; move it away or export to another folder", foreign)


def written_by(folder: Path) -> list[str]:
    """The files an earlier export lists in its marker (one a line after the first; none in an older marker)."""
    return [line for line in read_text(folder / MARKER).splitlines()[1:] if line]


def first_foreign(folder: Path, ours: set[str], below: str = "") -> Path | None:
    """The first entry below FOLDER, in name order, that is neither one of OURS (paths relative to the export) or a
    write of one that a kill cut short, nor a real folder holding some of them; a link never counts as ours."""
    for entry in sorted(folder.iterdir()):
        name, cut_short = f"{below}{entry.name}", unfinished(entry.name)
        if entry.is_symlink() or not (entry.is_file() and (name in ours or f"{below}{cut_short}" in ours and cut_short)
                                      or entry.is_dir() and any(path.startswith(f"{name}/") for path in ours)):
            return entry
        found = first_foreign(entry, ours, f"{name}/") if entry.is_dir() else None
        if found:
            return found
    return None


def unfinished(name: str) -> str | None:
    """The file that a temporary file of `atomic_write` (`.NAME.XXXXXXXX.tmp`), left by a kill mid-write, was for."""
    found = re.fullmatch(r"\.(.+)\.\w+\.tmp", name)
    return found[1] if found else None


def replace_export(out: Path, files: dict[str, str | bytes]) -> None:
    """Write the files into a staging folder beside OUT, then put it in OUT's place; then remove what a killed
    export left beside OUT."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.{STAGING}-", dir=nearest_existing(out.parent)))
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror}", out) from None
    try:
        write_staged(staging, out, files)
        put_in_place(staging, out)
    finally:
        if staging.is_dir():  # a failed export's, or the folder an empty OUT was filled from
            remove_ours(staging)
    for leftover in leftovers(out):
        remove_ours(leftover)


def write_staged(staging: Path, out: Path, files: dict[str, str | bytes]) -> None:
    """The marker first, listing the files, so that a staging folder a kill cuts short is known as ours."""
    marker = MARKER_TEXT + "".join(f"{name}\n" for name in sorted(files))
    for name, content in {MARKER: marker, **files}.items():
        write_as(staging / name, content, out / name)
    try:
        staging.chmod(0o755)
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror}", out) from None


def write_as(path: Path, content: str | bytes, shown: Path) -> None:
    """`atomic_write`, a failure (a full disk, say) named as SHOWN: the file of OUT that was being written."""
    try:
        atomic_write(path, content)
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror or err}", shown) from None
    except BenchError as err:
        raise BenchError(err.message, shown) from None


def put_in_place(staging: Path, out: Path) -> None:
    """Rename the staged export to OUT. An earlier export is renamed aside first and removed only once the new one
    is in place, so at every moment a complete export exists (at OUT, or beside it under a name `leftovers` knows)."""
    try:
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(out)
        elif not is_export(out):  # an empty folder of the user's: fill it, keep it
            fill(staging, out)
        else:
            backup = out.with_name(staging.name.replace(f".{STAGING}-", f".{BACKUP}-"))
            out.rename(backup)
            try:
                staging.rename(out)
            except BaseException:
                backup.rename(out)
                raise
            remove_ours(backup)
    except OSError as err:
        raise BenchError(f"cannot write: {err.strerror or err}", out) from None


def fill(staging: Path, out: Path) -> None:
    """Copy the staged files into an empty OUT, the marker first, keeping the staged export whole until all are in
    (a kill leaves it complete beside OUT); on failure OUT is emptied of them again."""
    for stale in out.iterdir():  # the marker's temporary file, left by a kill while it was being written here
        if unfinished(stale.name) == MARKER:
            stale.unlink()
    written: list[Path] = []
    try:
        for path in sorted(staging.rglob("*"), key=lambda p: p.name != MARKER):
            if path.is_file():
                write_as(out / path.relative_to(staging), path.read_bytes(), out / path.relative_to(staging))
                written.append(out / path.relative_to(staging))
    except BaseException:
        with contextlib.suppress(OSError):
            for path in reversed(written):
                path.unlink()
            for folder in {path.parent for path in written} - {out}:
                folder.rmdir()
        raise


def leftovers(out: Path) -> list[Path]:
    """Staging and backup folders of OUT that a killed export left beside it: named as ours, and holding our marker
    (or only the marker's temporary file, or nothing, when the kill came before it was written or after it went)."""
    ours = re.compile(rf"\.{re.escape(out.name)}\.({STAGING}|{BACKUP})-\w+")
    return [path for path in out.parent.glob(f".{glob.escape(out.name)}.*")
            if ours.fullmatch(path.name) and path.is_dir() and not path.is_symlink()
            and (is_export(path) or all(entry.name.startswith(f".{MARKER}.") for entry in path.iterdir()))]


def remove_ours(folder: Path, keep_folder: bool = False) -> None:
    """Delete a staging or backup folder (or only what it holds), its marker last, so that one a kill cuts short is
    still known as ours. What cannot be removed now is left for the next export."""
    with contextlib.suppress(OSError):
        for entry in folder.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            elif entry.name != MARKER:
                entry.unlink()
        (folder / MARKER).unlink(missing_ok=True)
        if not keep_folder:
            folder.rmdir()


def is_export(folder: Path) -> bool:
    return (Path(folder) / MARKER).is_file()


def release_files(folder: Path) -> list[Path]:
    """What an upload sends: every file of the export but the marker and a write that a kill cut short."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and p.name != MARKER and not unfinished(p.name))

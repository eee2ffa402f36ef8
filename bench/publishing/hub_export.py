"""The Hugging Face export: Parquet configs per language with ClassLabel features, the card and croissant.json
rendered from the data, written so that a failed or killed export never leaves a half one."""

from __future__ import annotations

import contextlib
import glob
import inspect
import json
import re
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from .. import __version__
from ..data.alignment import Alignment
from ..data.corpus import METADATA_PREFIX, WHITESPACE, Corpus, seed_text, split_paragraphs, strip_metadata
from ..data.labels import GoldChange, LabelRow
from ..data.schema import Schema
from ..files import BenchError, atomic_write, nearest_existing, read_text
from ..progress import Progress
from .card import LICENCE, card, check_card, current_passes
from .croissant import croissant
from .hub_configs import (
    CARD_FILE,
    CROISSANT_FILE,
    LICENSE_FILE,
    REBUILD,
    alignment_rows,
    config_rows,
    dataset_infos,
    fold_rows,
    parquet_bytes,
    parquet_tables,
    split_dataset,
)
from .records import Results

MARKER = ".deserter-bench-export"
MARKER_TEXT = ("Written by `bench export-hf`, with the files listed below. The next export replaces them, and refuses "
               "while the folder holds any other file.\n")
STAGING, BACKUP = "export-new", "export-old"  # beside OUT, `.OUT.export-new-*` is an export being written, and
# `.OUT.export-old-*` the earlier one being replaced
HERE = Path(__file__).parent


def rebuild_script(corpus: Corpus) -> str:
    """`rebuild_texts.py` of a text-free export: the module's source with the corpus functions it imports written
    out, and FILES and SOURCES naming the corpus's articles and where each was published, so the script runs with
    `datasets` alone."""
    inlined = ("import re\n\n"
               f"METADATA_PREFIX = re.compile({METADATA_PREFIX.pattern!r})\n"
               f"WHITESPACE = {WHITESPACE!r}\n\n\n"
               + "\n\n".join(inspect.getsource(f) for f in (seed_text, split_paragraphs, strip_metadata)) + "\n")
    files = json.dumps({d.doc: d.file for d in corpus.documents}, indent=4)
    sources = json.dumps({d.doc: [d.publisher, d.url] for d in corpus.documents}, indent=4, ensure_ascii=False)
    replacements = {"from ..data.corpus import": inlined, "FILES: dict[str, str] = {}": f"FILES = {files}\n",
                    "SOURCES: dict[str, list[str]] = {}": f"SOURCES = {sources}\n"}
    lines = (HERE / REBUILD).read_text(encoding="utf-8").splitlines(keepends=True)
    for start, replacement in replacements.items():
        [at] = [number for number, line in enumerate(lines) if line.startswith(start)]
        lines[at] = replacement
    return "".join(lines)


EXPORT_STEPS = 3  # the steps of `export` that its progress counts


def export(out: Path, corpus: Corpus, gold: dict[str, LabelRow], schema: Schema, *, records: Results,
           agreement: dict, alignments: Sequence[Alignment] = (), changes: tuple[str, Sequence[GoldChange]] = ("", ()),
           texts: bool = True, progress: Progress | None = None) -> list[Path]:
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
    check_destination(out, [*tables, CARD_FILE, LICENSE_FILE, CROISSANT_FILE, *extra])
    with step("the Parquet files"):
        splits = {path: (config, name, split_dataset(found, config, schema))
                  for path, (config, name, found) in tables.items()}
        files = {path: parquet_bytes(dataset) for path, (_, _, dataset) in splits.items()}
    with step("the card and croissant.json, with the tests against chance"):
        infos = dataset_infos(splits, files)
        text = card(corpus, rows, schema, infos, records=records, agreement=agreement, changes=changes, texts=texts)
        check_card(text)
        described = croissant(text, infos, languages=sorted({p.language for p in corpus.paragraphs}),
                              version=__version__, passes=len(current_passes(agreement)[1]))
    with step("writing the folder"):
        replace_export(out, {**files, **extra, CARD_FILE: text, LICENSE_FILE: LICENCE, CROISSANT_FILE: described})
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

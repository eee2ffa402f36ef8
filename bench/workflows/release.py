"""The Hugging Face release: export the data set with its card, and upload it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..annotation.agreement import round_agreements
from ..data.alignment import load_alignments
from ..data.labels import changes_from_previous
from ..evaluation.provenance import git
from ..files import BenchError
from ..progress import Progress
from ..publishing.hub import check_repo_id, push
from ..publishing.hub_export import EXPORT_STEPS, export, is_export, release_files
from ..publishing.records import load_records
from .project import Project


def export_release(project: Project, folder: Path, texts: bool = True) -> list[Path]:
    """Export the corpus, gold, scheme, folds, alignment, the latest records, the agreement and the gold's changes
    from the previous round into FOLDER, showing the progress of its steps."""
    with Progress(1 + EXPORT_STEPS, "export", logged=False) as progress:  # seconds: a log needs no lines
        with progress.step("reading the data, labels and records"):
            schema, corpus = project.schema(), project.corpus()
            gold, records = project.valid_gold(schema, corpus), load_records(project.records)[0]
            agreement = round_agreements(project.labels, corpus)
            alignments = list(load_alignments(project.labels, corpus).values())
            changes = changes_from_previous(project.labels, schema, corpus)
        return export(folder, corpus, gold, schema, records=records, agreement=agreement, alignments=alignments,
                      changes=changes, texts=texts, progress=progress)


def export_hf(project: Project, out: str, without_texts: bool = False) -> int:
    """`bench export-hf`: write the release folder and list its files."""
    for path in export_release(project, Path(out), not without_texts):
        print(path)
    return 0


def push_hf(project: Project, repo_id: str, private: bool = False, dry_run: bool = False,
            folder: str | None = None) -> int:
    """`bench push-hf`: upload a fresh export (or a given one) in one commit, or list what would go."""
    check_repo_id(repo_id)
    if folder and not is_export(Path(folder)):
        raise BenchError("not a folder written by `bench export-hf`; export first, or upload with huggingface_hub "
                         "yourself", folder)
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(folder) if folder else Path(scratch) / "release"
        if not folder:
            export_release(project, source)
        files = release_files(source)
        if not files:
            raise BenchError("nothing to upload", source)
        if dry_run:
            print(f"would upload to dataset {repo_id}{' (private)' if private else ''}:")
            for path in files:
                print(f"  {path.relative_to(source)} ({path.stat().st_size} bytes)")
            return 0
        print(push(source, repo_id, private, git(project.root, "rev-parse", "HEAD") or "unknown"))
    return 0

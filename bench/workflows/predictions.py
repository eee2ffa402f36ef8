"""`bench predictions-template`: the rows a predictions file must cover, for a model run elsewhere to fill in."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ..evaluation.config import Config
from ..evaluation.tasks import build_examples, tasks_from_schema
from ..files import BenchError, atomic_write, check_destinations
from .project import Project

TEMPLATE_COLUMNS = ("id", "task", "target", "text", "label")  # `label` left empty; the reader ignores target and text


def predictions_template(project: Project, out: str, tasks: Sequence[str] | None = None) -> int:
    """Write one row per scored paragraph (the default `kinds: [body]`) and task, its label left empty.

    One label per row serves every setting, so the filled file is what a `predictions_file` config of a model
    that does not train on this corpus reads (its `path` relative to the config)."""
    path = Path(out)
    if path.suffix not in (".csv", ".jsonl"):
        raise BenchError("the template must be a .csv or .jsonl file, as a predictions file is", path)
    if path.exists() or path.is_symlink():
        raise BenchError("already exists; the template is written only to a new file, so no predictions are lost",
                         path)
    schema = project.schema()
    known = tasks_from_schema(schema)
    chosen = list(dict.fromkeys(tasks or known))
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise BenchError(f"unknown task(s) {', '.join(map(repr, unknown))} (known: {', '.join(known)})")
    check_destinations([path])
    corpus = project.corpus()
    gold = project.valid_gold(schema, corpus)
    rows = [{"id": e.id, "task": name, "target": e.target, "text": e.text, "label": ""}
            for name in chosen for e in build_examples(known[name], corpus, gold, Config("", "").kinds)]
    atomic_write(path, template_text(rows, path.suffix))
    print(f"wrote {len(rows)} rows to {path}: fill in `label` with one of", file=sys.stderr)
    for name in chosen:
        print(f"  {name}: {', '.join(known[name].labels)}", file=sys.stderr)
    return 0


def template_text(rows: list[dict[str, str]], suffix: str) -> str:
    """The rows as CSV with a header, or as JSON Lines."""
    if suffix == ".jsonl":
        return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    stream = io.StringIO()
    writer = csv.DictWriter(stream, TEMPLATE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue()

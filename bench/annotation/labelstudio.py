"""Label Studio interop: a labelling config from the scheme, tasks from the corpus, annotation rows from an export.

Paragraphs leave as tasks that carry their id and text hash, so labels coming back can be matched to the
paragraph and refused when its text changed meanwhile. Nothing here writes files; the CLI does.
Formats: https://labelstud.io/guide/task_format and https://labelstud.io/tags/choices.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from ..data.corpus import Corpus
from ..data.schema import Schema
from ..files import BenchError, read_text

TEXT = "text"  # the Text tag's name: every Choices labels it, and it shows the task's data.text
CONTEXT_STYLE = "color: #888; font-size: 0.9em"  # the neighbouring paragraphs, shown muted


def labelling_config(schema: Schema) -> str:
    """The labelling interface: the paragraph between its neighbours, then one required single choice per field.

    Neighbours are shown because some labels depend on them (a cryptic heading, a repeated title).
    """
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="Paragraph $id, document $doc ($language)")
    for name, style in (("previous", CONTEXT_STYLE), (TEXT, "margin: 0.5em 0"), ("next", CONTEXT_STYLE)):
        ET.SubElement(ET.SubElement(view, "View", style=style), "Text", name=name, value=f"${name}")
    for field in schema.fields.values():
        header = f"{field.name} (target: {field.target})" if field.target else field.name
        ET.SubElement(view, "Header", value=header, size="5")
        choices = ET.SubElement(view, "Choices", name=field.name, toName=TEXT, choice="single",
                                required="true", showInline="true")
        for label in field.labels:
            ET.SubElement(choices, "Choice", value=label, hint=field.definitions[label])
    ET.indent(view)
    return ET.tostring(view, encoding="unicode") + "\n"


def export_tasks(corpus: Corpus, schema: Schema, ids: Iterable[str] | None = None,
                 predictions: dict[str, dict[str, str]] | None = None, model_version: str = "") -> list[dict]:
    """Label Studio tasks in corpus order, optionally only `ids`, with predicted labels as pre-annotations."""
    known = corpus.by_id()
    wanted = None if ids is None else set(ids)
    if wanted is not None and (unknown := sorted(wanted - known.keys())):
        raise BenchError(f"unknown paragraph id(s): {', '.join(unknown)}")
    tasks = []
    for index, paragraph in enumerate(corpus.paragraphs):
        if wanted is not None and paragraph.id not in wanted:
            continue
        before = corpus.paragraphs[index - 1] if index > 0 else None
        after = corpus.paragraphs[index + 1] if index + 1 < len(corpus.paragraphs) else None
        task: dict[str, object] = {"data": {
            "id": paragraph.id, "sha256": paragraph.sha256, "doc": paragraph.doc, "language": paragraph.language,
            "story": paragraph.story, "text": paragraph.text,
            "previous": before.text if before and before.doc == paragraph.doc else "",
            "next": after.text if after and after.doc == paragraph.doc else "",
        }}
        if predictions is not None and paragraph.id in predictions:
            task["predictions"] = [{"model_version": model_version,
                                    "result": _prediction_result(paragraph.id, predictions[paragraph.id], schema)}]
        tasks.append(task)
    return tasks


def _prediction_result(paragraph_id: str, labels: dict[str, str], schema: Schema) -> list[dict]:
    """Choices items as Label Studio writes them; a wrong label would silently show as no choice, so refuse it."""
    for name, label in labels.items():
        if name not in schema.fields:
            raise BenchError(f"prediction for {paragraph_id} has unknown field {name!r}")
        if label not in schema.fields[name].labels:
            raise BenchError(f"prediction for {paragraph_id}: {label!r} is not a {name} label "
                             f"(allowed: {', '.join(schema.fields[name].labels)})")
    return [{"id": f"{paragraph_id}_{name}", "from_name": name, "to_name": TEXT, "type": "choices",
             "value": {"choices": [labels[name]]}} for name in schema.fields if name in labels]


def import_annotations(path: Path, corpus: Corpus, schema: Schema) -> list[dict]:
    """Annotation rows from a Label Studio JSON export, one per task with a non-cancelled annotation.

    Errors name the file and the task's 1-based position in the export (the line, for malformed JSON).
    """
    text = read_text(path)
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as err:
        raise BenchError(f"malformed JSON: {err.msg}", path, err.lineno) from None
    if not isinstance(tasks, list):
        first_line = text[: len(text) - len(text.lstrip())].count("\n") + 1
        raise BenchError("the top level must be a list of tasks, as in Label Studio's JSON export", path, first_line)
    paragraphs = corpus.by_id()
    rows: list[dict] = []
    first_item: dict[str, int] = {}
    for item, task in enumerate(tasks, start=1):
        if not isinstance(task, dict):
            raise BenchError("task is not a JSON object", path, item)
        data = task.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("id"), str) or not isinstance(data.get("sha256"), str):
            raise BenchError(f"{_task_name(task)} lacks data.id or data.sha256: "
                             "only tasks exported by bench can be imported", path, item)
        paragraph_id = data["id"]
        where = f"paragraph {paragraph_id} ({_task_name(task)})"
        annotation = _latest_annotation(task, where, path, item)
        if annotation is None:
            continue
        paragraph = paragraphs.get(paragraph_id)
        if paragraph is None:
            raise BenchError(f"unknown paragraph id {paragraph_id!r} ({_task_name(task)}): "
                             "not in the corpus; was it exported from another checkout?", path, item)
        if paragraph.sha256 != data["sha256"]:
            raise BenchError(
                f"stale item for {where}: the paragraph's text changed since it was exported "
                f"({corpus.seed_file(paragraph_id)}:{paragraph.line}); export it again and relabel it", path, item)
        if paragraph_id in first_item:
            raise BenchError(f"{where} is annotated twice (first in item {first_item[paragraph_id]})", path, item)
        first_item[paragraph_id] = item
        rows.append({"id": paragraph_id, "sha256": paragraph.sha256,
                     **_labels(annotation, schema, f"{where}, annotation {annotation.get('id', '?')}", path, item)})
    return rows


def _task_name(task: dict) -> str:
    return f"Label Studio task {task['id']}" if "id" in task else "Label Studio task without id"


def _latest_annotation(task: dict, where: str, path: Path, item: int) -> dict | None:
    """The annotation that counts: the newest non-cancelled one; the last listed when times are missing."""
    annotations = task.get("annotations", [])
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise BenchError(f"{where}: 'annotations' must be a list of objects", path, item)
    kept = [a for a in annotations if not a.get("was_cancelled")]
    if not kept:
        return None
    times = [_timestamp(a.get("updated_at") or a.get("created_at"), where, path, item) for a in kept]
    if None in times:
        return kept[-1]
    return kept[max(range(len(kept)), key=lambda i: (times[i], i))]


def _timestamp(value, where: str, path: Path, item: int) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise BenchError(f"{where}: annotation time {value!r} is not an ISO 8601 timestamp", path, item) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _labels(annotation: dict, schema: Schema, where: str, path: Path, item: int) -> dict[str, str]:
    """One allowed label per field, from the annotation's choices items."""
    result = annotation.get("result")
    if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
        raise BenchError(f"{where}: 'result' must be a list of objects", path, item)
    chosen: dict[str, list] = {}
    for region in result:
        if region.get("type") == "choices" and region.get("from_name") in schema.label_fields:
            value = region.get("value")
            choices = value.get("choices") if isinstance(value, dict) else None
            if not isinstance(choices, list):
                raise BenchError(f"{where}: the {region['from_name']} result has no list of choices", path, item)
            chosen.setdefault(region["from_name"], []).extend(choices)
    labels = {}
    for name, field in schema.fields.items():
        if name not in chosen:
            raise BenchError(f"{where}: no choice for {name}", path, item)
        if len(chosen[name]) != 1:
            raise BenchError(f"{where}: {name} needs exactly one choice, found {len(chosen[name])}", path, item)
        label = chosen[name][0]
        if label not in field.labels:
            raise BenchError(f"{where}: {label!r} is not a {name} label (allowed: {', '.join(field.labels)})",
                             path, item)
        labels[name] = label
    return labels

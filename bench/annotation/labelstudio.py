"""Label Studio interop: a labelling config from the scheme, tasks from the corpus, annotation rows from an export.

Paragraphs leave as tasks that carry their id and text hash, so labels coming back can be matched to the
paragraph and refused when its text changed meanwhile, in the corpus or inside Label Studio. Exports in
Label Studio's JSON and JSON_MIN formats are read; each Label Studio user's annotations become one
annotator's pass. Nothing here writes files; the CLI does.
Formats: https://labelstud.io/guide/task_format, https://labelstud.io/guide/export and
https://labelstud.io/tags/choices.
"""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..data.corpus import Corpus
from ..data.schema import Schema
from ..files import BenchError, check_name, parse_json, read_text, sha256_text

TEXT = "text"  # the Text tag's name: every Choices labels it, and it shows the task's data.text
# The paragraph's id in a task's data. Not `id`: the JSON_MIN export overwrites that with the task's number.
PARAGRAPH_ID = "paragraph_id"
CONTEXT_STYLE = "color: #888; font-size: 0.9em"  # the neighbouring paragraphs, shown muted


def labelling_config(schema: Schema) -> str:
    """The labelling interface: the paragraph between its neighbours, then one required single choice per field.

    Neighbours are shown because some labels depend on them (a cryptic heading, a repeated title).
    """
    view = ET.Element("View")
    ET.SubElement(view, "Header", value=f"Paragraph ${PARAGRAPH_ID}, document $doc ($language)")
    for name, style in (("previous", CONTEXT_STYLE), (TEXT, "margin: 0.5em 0"), ("next", CONTEXT_STYLE)):
        ET.SubElement(ET.SubElement(view, "View", style=style), "Text", name=name, value=f"${name}")
    for spec in schema.fields.values():
        header = f"{spec.name} (target: {spec.target})" if spec.target else spec.name
        ET.SubElement(view, "Header", value=header, size="5")
        choices = ET.SubElement(view, "Choices", name=spec.name, toName=TEXT, choice="single",
                                required="true", showInline="true")
        for label in spec.labels:
            ET.SubElement(choices, "Choice", value=label, hint=spec.definitions[label])
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
            PARAGRAPH_ID: paragraph.id, "sha256": paragraph.sha256, "doc": paragraph.doc, "language": paragraph.language,
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


@dataclass(frozen=True)
class Submitted:
    """One annotation of an export, in either format: where it is, whose it is, and what it chose."""

    place: str  # where it is in the export: "task 3" (the third task), or "row 5" of a JSON_MIN export
    name: str  # how Label Studio names the task: its id there
    paragraph_id: str | None
    sha256: str | None
    text: str | None
    annotation: str
    user: tuple[str, ...]  # the keys an annotator map may use: the user's id, and email where the export has it
    cancelled: bool
    time: datetime | None
    choices: dict[str, list] = field(default_factory=dict)

    def where(self) -> str:
        paragraph = f", paragraph {self.paragraph_id}" if self.paragraph_id else ""
        return f"{self.place} ({self.name}{paragraph}, annotation {self.annotation})"


@dataclass
class Imported:
    """Label rows per annotator id, and a line for every annotation or task that was not imported."""

    rows: dict[str, list[dict]]
    skipped: list[str]


def parse_user_map(text: str) -> dict[str, str]:
    """`1=a3,two@example.org=a4`: Label Studio user (id or email) to annotator id.

    One pass per user: a user named twice, or two entries sharing an annotator id (two users merged into one
    pass, or one user named by both id and email), is refused rather than resolved by order.
    """
    mapping: dict[str, str] = {}
    for pair in filter(None, (part.strip() for part in text.split(","))):
        user, _, annotator = (part.strip() for part in pair.partition("="))
        if not user or not annotator:
            raise BenchError(f"--annotator-map takes USER=ANNOTATOR pairs separated by commas, not {pair!r}")
        if user in mapping:
            raise BenchError(f"--annotator-map: user {user} is given twice ({user}={mapping[user]}, {pair}); "
                             "give each Label Studio user once")
        shared = next((other for other, given in mapping.items() if given == annotator), None)
        if shared is not None:
            raise BenchError(f"--annotator-map: {shared} and {user} both map to {annotator}; each Label Studio user's "
                             "pass needs an annotator id of its own, and a user is named once, by id or by email")
        mapping[user] = check_name(annotator, "annotator id")
    if not mapping:
        raise BenchError("--annotator-map is empty; give USER=ANNOTATOR pairs such as 1=a3,2=a4")
    return mapping


def import_annotations(path: Path, corpus: Corpus, schema: Schema, annotator: str | None = None,
                       user_map: dict[str, str] | None = None) -> Imported:
    """Label rows from a Label Studio JSON or JSON_MIN export, one per paragraph for each user's pass.

    Each user's newest non-cancelled annotation of a paragraph counts. All or nothing: every refused
    annotation (a stale or edited text, an unknown paragraph, a missing or unknown label) is listed in
    one error, and none is imported. `annotator` takes a single-user export; `user_map` maps users (by id
    or email) to annotator ids.
    """
    submitted, skipped = read_export(path, schema)
    paragraphs = corpus.by_id()
    problems = []
    for item in (s for s in submitted if not s.cancelled):
        problem = _check(item, paragraphs, corpus, schema)
        if problem:
            problems.append(f"{item.where()}: {problem}")
    if problems:
        raise BenchError(f"{len(problems)} annotation(s) refused, so none is imported:\n  " + "\n  ".join(problems),
                         path)
    owners = _annotators(submitted, annotator, user_map, path)
    newest: dict[tuple[str, str], Submitted] = {}
    for item in submitted:
        if item.cancelled:
            skipped.append(f"{item.where()}: cancelled (skipped) in Label Studio")
            continue
        assert item.paragraph_id is not None
        key = (owners[item.user], item.paragraph_id)
        earlier = newest.get(key)
        if earlier is not None and earlier.name != item.name:
            raise BenchError(f"{item.where()}: {key[0]} annotated paragraph {item.paragraph_id} in two tasks "
                             f"(also in {earlier.place}, {earlier.name})", path)
        if earlier is None or _later(item, earlier):
            if earlier is not None:
                skipped.append(f"{earlier.where()}: replaced by the same user's newer annotation {item.annotation}")
            newest[key] = item
        else:
            skipped.append(f"{item.where()}: replaced by the same user's newer annotation {earlier.annotation}")
    rows: dict[str, list[dict]] = {name: [] for name in dict.fromkeys(owners.values())}
    for (owner, paragraph_id), item in newest.items():
        rows[owner].append({"id": paragraph_id, "sha256": paragraphs[paragraph_id].sha256,
                            **{name: item.choices[name][0] for name in schema.fields}})
    return Imported(rows, skipped)


def read_export(path: Path, schema: Schema) -> tuple[list[Submitted], list[str]]:
    """Every annotation of a JSON or JSON_MIN export, and a line for each task that has none."""
    text = read_text(path)
    start = text.lstrip()[:1]
    if start and start not in "[{":
        raise BenchError("this looks like a CSV or TSV export; export the project from Label Studio as JSON "
                         "(or JSON_MIN)", path, 1)
    items = parse_json(text, path)
    if not isinstance(items, list):
        first_line = text[: len(text) - len(text.lstrip())].count("\n") + 1
        raise BenchError("the top level must be a list of tasks, as in Label Studio's JSON export", path, first_line)
    submitted: list[Submitted] = []
    skipped: list[str] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise BenchError(f"task {number} is not a JSON object", path)
        if isinstance(item.get("data"), dict):
            found = _full_task(number, item, schema, path)
            if not found:
                skipped.append(f"task {number} ({_task_name(item)}, paragraph "
                               f"{_paragraph_id(item['data'])}): no annotation")
            submitted += found
        elif "annotation_id" in item or "annotator" in item:
            submitted.append(_min_row(number, item, schema, path))
        else:
            raise BenchError(f"task {number} ({_task_name(item)}) is neither a JSON task (with `data`) nor a "
                             "JSON_MIN row (with `annotator`): only exports of tasks written by bench can be imported",
                             path)
    return submitted, skipped


def _full_task(number: int, task: dict, schema: Schema, path: Path) -> list[Submitted]:
    """The annotations of one task of the JSON export."""
    data = task["data"]
    annotations = task.get("annotations", [])
    if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
        raise BenchError(f"task {number} ({_task_name(task)}): 'annotations' must be a list of objects", path)
    found = []
    for annotation in annotations:
        item = Submitted(f"task {number}", _task_name(task), _paragraph_id(data), _string(data.get("sha256")),
                         _string(data.get(TEXT)), str(annotation.get("id", "?")), _user(annotation.get("completed_by")),
                         bool(annotation.get("was_cancelled")), None)
        result = annotation.get("result")
        if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
            raise BenchError(f"{item.where()}: 'result' must be a list of objects", path)
        choices: dict[str, list] = {}
        for region in result:
            if region.get("type") == "choices" and region.get("from_name") in schema.label_fields:
                value = region.get("value")
                chosen = value.get("choices") if isinstance(value, dict) else None
                if not isinstance(chosen, list):
                    raise BenchError(f"{item.where()}: the {region['from_name']} result has no list of choices", path)
                choices.setdefault(region["from_name"], []).extend(chosen)
        found.append(_timed(item, annotation, choices, path))
    return found


def _min_row(number: int, row: dict, schema: Schema, path: Path) -> Submitted:
    """One annotation of the JSON_MIN export: the data fields at the top, each choice under its field's name."""
    paragraph_id = _string(row.get(PARAGRAPH_ID))
    item = Submitted(f"row {number}", _task_name(row), paragraph_id, _string(row.get("sha256")), _string(row.get(TEXT)),
                     str(row.get("annotation_id", "?")), _user(row.get("annotator")), False, None)
    if paragraph_id is None:
        raise BenchError(f"{item.where()}: no {PARAGRAPH_ID}; tasks exported by an older bench keep the paragraph id "
                         "only in the JSON export, so export the project as JSON", path)
    choices = {}
    for name in schema.label_fields:
        value = row.get(name)
        chosen = value.get("choices") if isinstance(value, dict) else value
        choices[name] = [] if chosen is None else chosen if isinstance(chosen, list) else [chosen]
    return _timed(item, row, choices, path)


def _timed(item: Submitted, annotation: dict, choices: dict[str, list], path: Path) -> Submitted:
    value = annotation.get("updated_at") or annotation.get("created_at")
    moment = None
    if value is not None:
        try:
            moment = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise BenchError(f"{item.where()}: annotation time {value!r} is not an ISO 8601 timestamp", path) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return dataclasses.replace(item, time=moment, choices=choices)


def _later(item: Submitted, than: Submitted) -> bool:
    """Whether `item` replaces `than`: newer, or, without times, listed later."""
    if item.time is None or than.time is None:
        return True
    return item.time >= than.time


def _check(item: Submitted, paragraphs: dict, corpus: Corpus, schema: Schema) -> str | None:
    """Why an annotation cannot be imported, or None."""
    if item.paragraph_id is None or item.sha256 is None:
        return f"lacks data.{PARAGRAPH_ID} or data.sha256: only tasks exported by bench can be imported"
    paragraph = paragraphs.get(item.paragraph_id)
    if paragraph is None:
        return f"unknown paragraph id {item.paragraph_id!r}: not in the corpus; was it exported from another checkout?"
    if item.text is not None and sha256_text(item.text) != item.sha256:
        return "its text was edited in Label Studio, so the labels may not fit the corpus's text; label the task again"
    if paragraph.sha256 != item.sha256:
        return (f"stale: the paragraph's text changed since it was exported ({corpus.seed_file(item.paragraph_id)}:"
                f"{paragraph.line}); export it again and relabel it")
    for name, spec in schema.fields.items():
        chosen = item.choices.get(name, [])
        if not chosen:
            return f"no choice for {name}"
        if len(chosen) != 1:
            return f"{name} needs exactly one choice, found {len(chosen)}"
        if chosen[0] not in spec.labels:
            return f"{chosen[0]!r} is not a {name} label (allowed: {', '.join(spec.labels)})"
    return None


def _annotators(submitted: list[Submitted], annotator: str | None, user_map: dict[str, str] | None,
                path: Path) -> dict[tuple[str, ...], str]:
    """Each user's annotator id: the one given, or the map's entry for the user's id or email."""
    users = list(dict.fromkeys(s.user for s in submitted if not s.cancelled))
    listed = ", ".join(" / ".join(user) or "unknown" for user in users)
    if user_map is None:
        if len(users) > 1:
            raise BenchError(f"annotations by {len(users)} Label Studio users ({listed}): give --annotator-map "
                             "USER=ANNOTATOR,... so that each user's pass keeps its own file", path)
        return {user: str(annotator) for user in users}
    owners, unmapped = {}, []
    for user in users:
        keys = [key for key in user if key in user_map]
        if len(keys) > 1:
            raise BenchError(f"--annotator-map: {' and '.join(keys)} are one Label Studio user (its id and email in "
                             f"this export), mapped to {' and '.join(user_map[key] for key in keys)}; name the user "
                             "once", path)
        if not keys:
            unmapped.append(" / ".join(user) or "unknown")
        else:
            owners[user] = user_map[keys[0]]
    if unmapped:
        raise BenchError(f"--annotator-map has no annotator for Label Studio user(s) {', '.join(unmapped)}; the users "
                         f"in this export are {listed}", path)
    return owners


def _user(value) -> tuple[str, ...]:
    """A user as the exports name them: an id (JSON's completed_by, JSON_MIN's annotator), or an object with id
    and email."""
    if isinstance(value, dict):
        return tuple(str(value[key]) for key in ("id", "email") if value.get(key) is not None)
    return () if value is None else (str(value),)


def _paragraph_id(data: dict) -> str | None:
    """The paragraph's id: `paragraph_id`, or `id` in tasks exported by an older bench."""
    return _string(data.get(PARAGRAPH_ID)) or _string(data.get("id"))


def _string(value) -> str | None:
    return value if isinstance(value, str) else None


def _task_name(task: dict) -> str:
    return f"Label Studio task {task['id']}" if "id" in task else "Label Studio task without id"

"""The annotation commands: label in the terminal, go to and from Label Studio, agreement, adjudication."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..annotation import adjudication
from ..annotation.adjudication import parse_choices, resolve
from ..annotation.agreement import agreement, disputes
from ..annotation.labelstudio import export_tasks, import_annotations, labelling_config, parse_user_map
from ..annotation.terminal import Session, terminal_keys
from ..data.corpus import Corpus
from ..data.labels import LabelRow, load_annotations, load_gold, read_label_file
from ..files import BenchError, append_jsonl, atomic_write, dump_json, locked
from .project import Project


def report_agreement(project: Project) -> int:
    """`bench agreement`: print the agreement tables, each pair's confusion tables and every disputed label."""
    from ..publishing.tables import agreement_table, confusion_tables

    schema, corpus = project.schema(), project.corpus()
    passes = load_annotations(project.labels, schema, corpus)
    if len(passes) < 2:
        raise BenchError("agreement needs at least two annotation files", project.labels / "annotations")
    result = agreement(passes, schema)
    print(agreement_table(result))
    print(confusion_tables(result, {name: f.labels for name, f in schema.fields.items()}))
    disputed = disputes(passes, schema, corpus)
    print(f"{len(disputed)} disputed label(s)")
    for item in disputed:
        print(f"- {item['id']} {item['field']}: " + ", ".join(f"{a}={label}" for a, label in item["labels"].items()))
    return 0


def label(project: Project, annotator: str, doc: Sequence[str] | None = None) -> int:
    """Label the paragraphs this annotator has not labelled yet, in the terminal."""
    schema, corpus = project.schema(), project.corpus()
    known = [document.doc for document in corpus.documents]
    unknown = [name for name in doc or () if name not in known]
    if unknown:
        raise BenchError(f"no such document (known: {', '.join(known)})", unknown[0])
    path = project.annotation_log(annotator)
    done = set()
    if path.exists():
        done = {row.id for row in read_label_file(path, schema, corpus, revisions=True).rows}
    def show(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    session = Session(corpus, schema, path, terminal_keys(), show, done)
    saved = session.run(doc)
    print(f"{saved} paragraph(s) saved to {path}")
    return 0


def predict_cross_fitted(config_path: Path, project: Project, corpus: Corpus, gold: dict[str, LabelRow],
                         ids: Sequence[str]) -> tuple[dict[str, dict[str, str]], str]:
    """Labels for the given paragraphs from a config's model, each document's paragraphs predicted by a model
    trained on the gold paragraphs of the other documents only.

    A model that had trained on a paragraph's own gold label would pre-fill it unrealistically well (with
    `--all`) and steer the annotator toward it. Returns the predictions by paragraph id and field, and the
    model version that Label Studio shows.
    """
    from ..evaluation.config import load_config
    from ..evaluation.tasks import Example, build_examples, frame, tasks_from_schema
    from ..models import build_model, configured

    config = load_config(config_path)
    tasks = tasks_from_schema(project.schema())
    paragraphs = corpus.by_id()
    predictions: dict[str, dict[str, str]] = {i: {} for i in ids}
    for name in config.tasks:
        task = tasks[name]
        examples = build_examples(task, corpus, gold, config.kinds)
        for doc in dict.fromkeys(paragraphs[i].doc for i in ids):
            train = [e for e in examples if e.doc != doc]
            todo = [i for i in ids if paragraphs[i].doc == doc]
            rows = [Example(i, doc, paragraphs[i].language, paragraphs[i].story, task.target or "", paragraphs[i].text,
                            "") for i in todo]
            model = configured(build_model(config.model, config.params), config.seeds[0], task.definitions)
            for i, predicted in zip(todo, model.fit(frame(train), [e.label for e in train]).predict(frame(rows))):
                predictions[i][name] = str(predicted)
    return predictions, f"{config.name}, each document predicted by a model trained on the other documents' gold"


def labelstudio_export(project: Project, out: str, config: str | None = None, include_labelled: bool = False,
                       predict: str | None = None) -> int:
    """Write Label Studio tasks (optionally pre-annotated by a model) and the matching labelling config."""
    schema, corpus = project.schema(), project.corpus()
    gold = load_gold(project.labels, schema, corpus)
    ids = [p.id for p in corpus.paragraphs if include_labelled or p.id not in gold]
    predictions, version = None, ""
    if predict:
        predictions, version = predict_cross_fitted(Path(predict), project, corpus, gold, ids)
    tasks_path = Path(out)
    config_path = Path(config) if config else tasks_path.with_suffix(".xml")
    atomic_write(tasks_path, dump_json(export_tasks(corpus, schema, ids, predictions, version)))
    atomic_write(config_path, labelling_config(schema))
    print(f"{len(ids)} task(s) written to {tasks_path}; labelling config in {config_path}")
    return 0


def labelstudio_import(project: Project, export: str, annotator: str | None = None,
                       annotator_map: str | None = None) -> int:
    """Append a Label Studio export's annotations to the annotators' files, one per Label Studio user, and list
    every annotation that was not imported."""
    schema, corpus = project.schema(), project.corpus()
    if annotator is not None:
        project.annotation_log(annotator)  # a bad id fails before the export is read
    users = parse_user_map(annotator_map) if annotator_map is not None else None
    imported = import_annotations(Path(export), corpus, schema, annotator, users)
    for line in imported.skipped:
        print(f"not imported: {line}")
    for name, rows in imported.rows.items():
        path = project.annotation_log(name)
        for row in rows:
            append_jsonl(path, row)
        print(f"{len(rows)} annotation(s) from {export} appended to {path}")
    return 0


def adjudicate(project: Project, min_annotators: int = 2, resolve_id: str | None = None,
               choices: Sequence[str] = (), reason: str | None = None) -> int:
    """Add agreed paragraphs to gold and list the conflicts, or resolve one conflict into gold.

    Gold is read, decided on and appended to under its folder's lock, so two runs at once never add a row twice.
    """
    chosen = resolution_choices(resolve_id, choices, reason)
    schema, corpus = project.schema(), project.corpus()
    gold_path = project.gold_file()
    with locked(gold_path):
        gold_ids = set(load_gold(project.labels, schema, corpus))
        proposed, conflicts = adjudication.adjudicate(load_annotations(project.labels, schema, corpus), gold_ids,
                                                      schema, corpus, min_annotators)
        if resolve_id:
            if resolve_id in gold_ids:
                raise BenchError(f"{resolve_id} already has a gold label; it is never overwritten", gold_path)
            conflict = next((c for c in conflicts if c["id"] == resolve_id), None)
            if conflict is None:
                raise BenchError(f"{resolve_id} is not in dispute (see `bench adjudicate`)")
            append_jsonl(gold_path, resolve(conflict, chosen, reason or "", schema))
        else:
            append_jsonl(gold_path, *proposed)
    if resolve_id:
        print(f"resolved {resolve_id} into {gold_path}")
        return 0
    print(f"{len(proposed)} paragraph(s) where the annotators agree added to {gold_path}")
    print_conflicts(conflicts, corpus)
    return 0


def resolution_choices(resolve_id: str | None, choices: Sequence[str], reason: str | None) -> dict[str, str]:
    """The `--set FIELD=LABEL` choices: only with `--resolve`, and one per field, so none is silently dropped."""
    if not resolve_id and (choices or reason is not None):
        raise BenchError(f"{'--set' if choices else '--reason'} needs --resolve ID: it decides one conflict")
    fields = Counter(choice.split("=", 1)[0] for choice in choices if "=" in choice)
    repeated = [name for name, count in fields.items() if count > 1]
    if repeated:
        raise BenchError(f"--set {repeated[0]} is given {fields[repeated[0]]} times; choose one label per field")
    return parse_choices(choices)


def print_conflicts(conflicts: list[dict], corpus: Corpus) -> None:
    """Each conflict with its text, the disputed labels and the command that resolves it."""
    print(f"{len(conflicts)} paragraph(s) in conflict")
    paragraphs = corpus.by_id()
    for conflict in conflicts:
        print(f"\n{conflict['id']}: {' '.join(paragraphs[conflict['id']].text.split())[:200]}")
        for name, given in conflict["disputed"].items():
            print(f"  {name}: " + ", ".join(f"{a}={label}" for a, label in given.items()))
        print(f"  resolve: bench adjudicate --resolve {conflict['id']} "
              + " ".join(f"--set {name}=LABEL" for name in conflict["disputed"]) + ' --reason "..."')

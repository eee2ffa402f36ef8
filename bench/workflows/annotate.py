"""The annotation commands: label in the terminal, go to and from Label Studio, agreement, adjudication."""

from __future__ import annotations

import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..annotation import adjudication
from ..annotation.adjudication import parse_choices, resolve
from ..annotation.agreement import disputes, round_agreements
from ..annotation.labelstudio import export_tasks, import_annotations, labelling_config, parse_user_map
from ..annotation.terminal import Session, terminal_keys
from ..data.corpus import Corpus
from ..data.labels import GOLD, LabelRow, label_rounds, load_annotations, load_gold, read_label_file
from ..files import BenchError, append_jsonl, atomic_write, check_destinations, dump_json, locked
from .project import Project

if TYPE_CHECKING:
    from ..evaluation.config import Config


def report_agreement(project: Project) -> int:
    """`bench agreement`: print the agreement of every round of labels, then the confusion tables of the current
    round's passes in it, and every label the current passes dispute (a trial pass's too: adjudication reads it)."""
    from ..publishing.tables import agreement_table, confusion_tables

    schema, corpus = project.schema(), project.corpus()
    passes = load_annotations(project.labels, schema, corpus)
    if len(passes) < 2:
        raise BenchError("agreement needs at least two annotation files", project.labels / "annotations")
    rounds = round_agreements(project.labels, corpus)
    print(agreement_table(rounds))
    current = rounds[next(iter(label_rounds(project.labels)))]  # the passes of the table, no trial among them
    print(confusion_tables(current.fields, {name: f.labels for name, f in schema.fields.items()}))
    disputed = disputes(passes, schema, corpus)
    print(f"{len(disputed)} disputed label(s)")
    for item in disputed:
        print(f"- {item['id']} {item['field']}: " + ", ".join(f"{a}={label}" for a, label in item["labels"].items()))
    return 0


def label(project: Project, annotator: str | None = None, doc: Sequence[str] | None = None,
          practice: str | None = None) -> int:
    """Label the paragraphs this annotator has not labelled yet, in the terminal; with `practice` (a file, or ""
    for a new temporary one), a trial whose labels go to that file and never to labels/."""
    schema, corpus = project.schema(), project.corpus()
    known = [document.doc for document in corpus.documents]
    unknown = [name for name in doc or () if name not in known]
    if unknown:
        raise BenchError(f"no such document (known: {', '.join(known)})", unknown[0])
    path = project.annotation_log(annotator or "") if practice is None else _practice_file(project, practice)
    done = set()
    if path.exists():
        done = {row.id for row in read_label_file(path, schema, corpus, revisions=True).rows}
    def show(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    session = Session(corpus, schema, path, terminal_keys(), show, done)
    session.run(doc)
    if practice is None:
        print(f"{session.summary()}, saved to {path}")
    else:
        print(f"Practice: {session.summary()}, saved to {path} (labels/ untouched)")
    return 0


def _practice_file(project: Project, practice: str) -> Path:
    """Where a practice session writes: the file given, never one inside the benchmark's own folders, or a new
    temporary file."""
    if not practice:
        descriptor, name = tempfile.mkstemp(prefix="bench-practice-", suffix=".jsonl")
        os.close(descriptor)
        return Path(name)
    path = Path(practice)
    check_destinations([path])
    for folder, what in _benchmark_folders(project):
        if _real_path(path).is_relative_to(folder):
            raise BenchError(f"is in {what}; a practice file goes elsewhere, so that practice never changes the "
                             "benchmark", path)
    return path


# The folds of a pre-annotation: each document predicted by the model trained on the other documents' gold.
PRE_ANNOTATION = "pre_annotation"


def predict_cross_fitted(config_path: Path, project: Project, corpus: Corpus, gold: dict[str, LabelRow],
                         ids: Sequence[str]) -> tuple[dict[str, dict[str, str]], str]:
    """Labels for the given paragraphs from a config's model, each document's paragraphs predicted by a model
    trained on the gold paragraphs of the other documents only.

    A model that had trained on a paragraph's own gold label would pre-fill it unrealistically well (with
    `--all`) and steer the annotator toward it. Each document's model is the one `bench run` would fit on
    that training side (runner.trained_side_model): the config's definitions, per-target copies and grid
    selection included. Returns the predictions by paragraph id and field, and the model version that Label
    Studio shows.
    """
    from ..evaluation.runner import fit, trained_side_model
    from ..evaluation.settings import Evaluation, Fold, split
    from ..evaluation.tasks import Example, build_examples, frame, tasks_from_schema

    config = _pre_annotating_config(config_path, project)
    tasks = tasks_from_schema(project.schema())
    paragraphs = corpus.by_id()
    documents = list(dict.fromkeys(p.doc for p in corpus.paragraphs))
    held_out = dict.fromkeys(paragraphs[i].doc for i in ids)
    evaluation = Evaluation(PRE_ANNOTATION, "all", "all",
                            tuple(Fold(tuple(d for d in documents if d != doc), (doc,)) for doc in held_out))
    predictions: dict[str, dict[str, str]] = {i: {} for i in ids}
    for name in config.tasks:
        task = tasks[name]
        examples = build_examples(task, corpus, gold, config.kinds)
        for number, fold in enumerate(evaluation.folds):
            train = split(examples, fold)[0]
            if len({e.label for e in train}) < 2:
                raise BenchError(f"{name}: the gold of the documents other than {fold.test[0]} has "
                                 f"{'a single class' if train else 'no paragraph'}; --predict trains on it, so "
                                 "label more documents first", project.labels / GOLD)
            todo = [i for i in ids if paragraphs[i].doc == fold.test[0]]
            rows = [Example(i, paragraphs[i].doc, paragraphs[i].language, paragraphs[i].story, task.target or "",
                            paragraphs[i].text, "") for i in todo]
            model, _ = trained_side_model(config, task, train, evaluation, number)
            for i, predicted in zip(todo, fit(model, train).predict(frame(rows))):
                predictions[i][name] = str(predicted)
    return predictions, f"{config.name}, each document predicted by a model trained on the other documents' gold"


def _pre_annotating_config(config_path: Path, project: Project) -> Config:
    """The --predict config, checked as `bench run` checks it, and refused where it cannot pre-annotate."""
    from ..evaluation.config import known_names, load_config
    from ..evaluation.tasks import tasks_from_schema
    from ..models import build_model
    from ..models.protocol import ChecksData

    schema = project.schema()
    config = load_config(config_path, known_names(tasks_from_schema(schema), schema.fields["kind"].labels))
    if config.dataset is not None:
        raise BenchError("--predict pre-annotates the benchmark's paragraphs, but this config runs on an external "
                         "data set", config_path)
    if isinstance(build_model(config.model, config.params), ChecksData):
        raise BenchError(f"--predict trains the config's model on the other documents' gold, but {config.model} "
                         "reads fixed predictions from a file, which cannot be trained; give a config whose model "
                         "predicts the paragraphs itself", config_path)
    return config


def labelstudio_export(project: Project, out: str, config: str | None = None, include_labelled: bool = False,
                       predict: str | None = None) -> int:
    """Write Label Studio tasks (optionally pre-annotated by a model) and the matching labelling config."""
    tasks_path, config_path = _export_destinations(project, Path(out), config, predict)
    schema, corpus = project.schema(), project.corpus()
    gold = load_gold(project.labels, schema, corpus)
    ids = [p.id for p in corpus.paragraphs if include_labelled or p.id not in gold]
    predictions, version = None, ""
    if predict:
        predictions, version = predict_cross_fitted(Path(predict), project, corpus, gold, ids)
    tasks = dump_json(export_tasks(corpus, schema, ids, predictions, version))
    atomic_write(tasks_path, tasks)
    atomic_write(config_path, labelling_config(schema))
    print(f"{len(ids)} task(s) written to {tasks_path}; labelling config in {config_path}")
    return 0


def _export_destinations(project: Project, tasks_path: Path, config: str | None,
                         predict: str | None) -> tuple[Path, Path]:
    """The tasks file and the labelling config, each checked before any work: a place a file can be written,
    two different files, and neither an existing file of the benchmark (corpus, labels, configs, results) nor
    the --predict config."""
    check_destinations([tasks_path])  # first: a folder such as `.` has no name to put `.xml` after
    config_path = Path(config) if config else tasks_path.with_suffix(".xml")
    check_destinations([config_path])
    real = [(path, _real_path(path)) for path in (tasks_path, config_path)]
    if real[0][1] == real[1][1]:
        raise BenchError("the labelling config and the tasks file must be different files", config_path)
    inputs = [(folder, f"a file of {what}") for folder, what in _benchmark_folders(project)]
    if predict:
        inputs.append((_real_path(Path(predict)), "the --predict config"))
    for path, resolved in real:
        if resolved.is_dir():
            raise BenchError("is a folder, but a file must be written here", path)
        if resolved.exists():
            for place, what in inputs:
                if resolved == place or resolved.is_relative_to(place):
                    raise BenchError(f"would overwrite {what}; write the tasks and the labelling config elsewhere",
                                     path)
    return tasks_path, config_path


def _benchmark_folders(project: Project) -> list[tuple[Path, str]]:
    """The benchmark's input folders (links resolved): an export may overwrite no file in them, and a practice
    file may not go there at all."""
    return [(_real_path(folder), f"the benchmark's {folder.name}/ folder")
            for folder in (project.seeds, project.labels, project.experiments)]


def _real_path(path: Path) -> Path:
    """The path with links and `..` resolved, so that two names of one file compare equal."""
    try:
        return path.resolve()
    except (ValueError, OSError, RuntimeError):  # a NUL byte in the name; a loop of links
        raise BenchError("not a valid file name", repr(str(path))) from None


def labelstudio_import(project: Project, export: str, annotator: str | None = None,
                       annotator_map: str | None = None) -> int:
    """Append a Label Studio export's annotations to the annotators' files, one per Label Studio user, and list
    every annotation that was not imported."""
    schema, corpus = project.schema(), project.corpus()
    if annotator is not None:
        project.annotation_log(annotator)  # a bad id fails before the export is read
    users = parse_user_map(annotator_map) if annotator_map is not None else None
    imported = import_annotations(Path(export), corpus, schema, annotator, users)
    logs = {name: project.annotation_log(name) for name in imported.rows}
    check_destinations(logs.values())  # every annotator's file, before the first is appended to
    for line in imported.skipped:
        print(f"not imported: {line}")
    for name, rows in imported.rows.items():
        with locked(logs[name]):  # the annotators' folder: no other writer of labels/ appends meanwhile
            append_jsonl(logs[name], *rows)  # all of one annotator's rows, or none
        print(f"{len(rows)} annotation(s) from {export} appended to {logs[name]}")
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

"""deserter-bench as MTEB classification tasks: topic, stance toward the war, stance toward the defector.

Each task reads the benchmark's Hugging Face export (`bench export-hf FOLDER`, or the released data set) and
has one `hf_subset` per story-disjoint fold of the harness, named `EVALUATION/FOLD` as in the export's `folds`
config (e.g. `leave_one_story_out:all/1`), each a `DatasetDict(train=..., test=...)`. MTEB then fits its
classifier on every training paragraph of the fold (no undersampling, one experiment) and scores the test
paragraphs with the benchmark's own metrics: macro-F1 over the classes in the test gold (`topic`) and F_avg,
the mean F1 of the stance poles favor and against that are in the test gold (`stance_*`).

Runs in MTEB's environment only (mteb 2.26, datasets, scikit-learn); nothing here imports the harness.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from datasets import Dataset, DatasetDict, load_dataset
from mteb.abstasks.classification import AbsTaskClassification
from mteb.abstasks.task_metadata import TaskMetadata
from sklearn.metrics import accuracy_score, f1_score

LANGUAGES = {"en": "eng-Latn", "nl": "nld-Latn"}
POLES = ("favor", "against")  # the stance labels F_avg averages over, as in bench/evaluation/scores.py
ALL_TRAINING_ROWS = 10**9  # MTEB keeps `samples_per_label` rows of each class; the harness trains on all of them


def story_disjoint_folds(source: str) -> list[dict]:
    """The export's folds that keep every story on one side: the ones the MTEB tasks evaluate, in export order."""
    folds = load_dataset(source, "folds", split="full")
    return [row for row in folds if row["story_disjoint"]]


def subset_name(fold: dict) -> str:
    """A fold's `hf_subset`: its evaluation and number, as the harness names a fold (`bench.models.registry`)."""
    return f"{fold['evaluation']}/{fold['fold']}"


def metadata(name: str, description: str, main_score: str, subtypes: list) -> TaskMetadata:
    return TaskMetadata(
        name=name,
        description=description,
        dataset={"path": "deserter-bench", "revision": "export"},  # the source is given to the task (see __init__)
        type="Classification",
        category="t2c",
        modalities=["text"],
        eval_splits=["test"],
        eval_langs={"default": list(LANGUAGES.values())},  # replaced by the export's folds when a task is made
        main_score=main_score,
        date=("2023-06-01", "2025-11-10"),  # the dated articles (seeds/manifest.csv); the English ones are undated
        domains=["News", "Written"],
        task_subtypes=subtypes,
        license="not specified",  # labels MIT, texts excerpts under their publishers' copyright (the export's LICENSE.md)
        annotations_creators="LM-generated",
        dialect=[],
        sample_creation="found",
        bibtex_citation="",
    )


class DeserterBenchTask(AbsTaskClassification):
    """One task of the benchmark over the story-disjoint folds of an export.

    `source` is the export folder or the data set's Hub name (anything `datasets.load_dataset` takes).
    """

    config = ""  # the export's config holding the task's rows
    target = ""  # for a stance task: the `target` its rows have
    samples_per_label = ALL_TRAINING_ROWS
    n_experiments = 1

    def __init__(self, source: str | Path, **kwargs: Any) -> None:
        self.source = str(source)
        self.folds = story_disjoint_folds(self.source)
        eval_langs = {subset_name(f): sorted({LANGUAGES[lang] for lang in fold_languages(f)}) for f in self.folds}
        self.metadata = self.metadata.model_copy(update={"eval_langs": eval_langs,
                                                         "dataset": {"path": self.source, "revision": "export"}})
        super().__init__(**kwargs)

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        """One DatasetDict(train, test) per fold, from the task's rows of the documents on each side."""
        if self.data_loaded:
            return
        loaded = load_dataset(self.source, self.config)
        rows = [row for split in loaded.values() for row in split if not self.target or row["target"] == self.target]
        if any(not row["text"] for row in rows):
            raise ValueError(f"{self.source}: an export without texts (`--without-texts`); fill them in with its "
                             "rebuild_texts.py first")
        names = next(iter(loaded.values())).features["label"].names  # labels as names: predictions are readable
        self.dataset = {}
        for fold in self.folds:
            sides = {side: [r for r in rows if r["doc"] in set(fold[f"{side}_docs"])] for side in ("train", "test")}
            self.dataset[subset_name(fold)] = DatasetDict({
                side: Dataset.from_dict({"id": [r["id"] for r in chosen], "text": [r["text"] for r in chosen],
                                         "label": [names[r["label"]] for r in chosen]})
                for side, chosen in sides.items()})
        self.data_loaded = True

    def _calculate_scores(self, y_test, y_pred) -> dict:  # type: ignore[override]
        """The benchmark's metrics instead of MTEB's (whose average precision assumes labels 0 and 1)."""
        gold, pred = list(y_test), list(y_pred)
        present = sorted(set(gold))
        scores = {"accuracy": float(accuracy_score(gold, pred)),
                  "macro_f1": float(f1_score(gold, pred, labels=present, average="macro", zero_division=0))}
        if self.target:
            poles = [pole for pole in POLES if pole in set(gold)]
            scores["f_avg"] = (float(np.mean(f1_score(gold, pred, labels=poles, average=None, zero_division=0)))
                               if poles else 0.0)
        return scores  # type: ignore[return-value]

    def _save_task_predictions(self, predictions, model, prediction_folder: Path, hf_split: str,
                               hf_subset: str) -> None:
        """MTEB saves a bare list of labels per experiment; with the paragraph ids, the task and the fold they can
        be scored by the harness (`bench.workflows.import_mteb.read_mteb`)."""
        evaluation, fold = hf_subset.rsplit("/", 1)
        [labels] = predictions  # one experiment
        keyed = {"task": self.task_name, "evaluation": evaluation, "fold": int(fold),
                 "id": list(self.dataset[hf_subset][hf_split]["id"]), "label": list(labels)}
        super()._save_task_predictions(keyed, model, prediction_folder, hf_split=hf_split, hf_subset=hf_subset)

    @property
    def task_name(self) -> str:
        """The harness's name of the task: the config, or the stance field of the target."""
        return f"stance_{self.target}" if self.target else self.config


def fold_languages(fold: dict) -> set[str]:
    """The languages of a fold's documents, read off the harness's evaluation name (`setting:en>nl`, `setting:all`)."""
    languages = fold["evaluation"].split(":", 1)[1]
    return set(LANGUAGES) if languages == "all" else set(languages.split(">"))


class DeserterBenchTopic(DeserterBenchTask):
    config = "topic"
    metadata = metadata(
        "DeserterBenchTopic",
        "Topic of a news paragraph about a Russian deserter (motivation, losses, escape, asylum_policy, other), Dutch "
        "and English; one subset per story-disjoint fold of deserter-bench. Main score: macro-F1 over the classes "
        "in the test gold.", "macro_f1", ["Topic classification"])


class DeserterBenchStanceWar(DeserterBenchTask):
    config, target = "stance", "war"
    metadata = metadata(
        "DeserterBenchStanceWar",
        "Stance of a news paragraph toward Russia's war against Ukraine (favor, against, none), Dutch and English; "
        "one subset per story-disjoint fold of deserter-bench. Main score: F_avg, the mean F1 of the poles favor "
        "and against present in the test gold.", "f_avg", ["Political classification"])


class DeserterBenchStanceDefector(DeserterBenchTask):
    config, target = "stance", "defector"
    metadata = metadata(
        "DeserterBenchStanceDefector",
        "Stance of a news paragraph toward the deserter and his decision (favor, against, none), Dutch and English; "
        "one subset per story-disjoint fold of deserter-bench. Main score: F_avg, the mean F1 of the poles favor "
        "and against present in the test gold.", "f_avg", ["Political classification"])


TASKS = (DeserterBenchTopic, DeserterBenchStanceWar, DeserterBenchStanceDefector)


def tasks(source: str | Path) -> list[DeserterBenchTask]:
    """The three tasks over one export (a folder or a Hub name)."""
    return [task(source) for task in TASKS]


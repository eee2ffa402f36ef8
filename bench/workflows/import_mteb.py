"""MTEB's saved predictions (`integrations/mteb`) as rows of the harness's predictions file.

`mteb.evaluate(..., prediction_folder=FOLDER)` writes `FOLDER/TASK_predictions.json`, one object per task with an
entry per `hf_subset` (here a fold, `EVALUATION/FOLD`) and split. The deserter-bench tasks save each fold's test
predictions with the paragraph ids, the harness's task name and the fold, since MTEB's own list of labels says
neither which paragraph nor which fold: a model that trains predicts each paragraph once per fold it is tested in.
"""

from __future__ import annotations

from pathlib import Path

from ..files import BenchError, read_json_object

SPLIT = "test"
META = "mteb_model_meta"  # the one entry of the file that is not a fold
KEYS = ("task", "evaluation", "fold", "id", "label")


def read_mteb(path: Path) -> list[dict]:
    """Rows {id, task, label, evaluation, fold} from an MTEB predictions file, or from every `*_predictions.json` in
    a folder; a file that is not what the deserter-bench tasks save is an error naming it."""
    files = sorted(path.glob("*_predictions.json")) if path.is_dir() else [path]
    if not files:
        raise BenchError("no MTEB predictions (*_predictions.json) in this folder", path)
    rows: list[dict] = []
    for file in files:
        saved = read_json_object(file, "MTEB's predictions of one task, by hf_subset and split")
        for subset, splits in saved.items():
            if subset != META:
                rows += fold_rows(splits.get(SPLIT) if isinstance(splits, dict) else None, subset, file)
    return rows


def fold_rows(entry, subset: str, file: Path) -> list[dict]:
    """The rows of one fold's saved test predictions."""
    if not isinstance(entry, dict) or any(key not in entry for key in KEYS):
        raise BenchError(f"subset {subset!r} has no {SPLIT!r} predictions with {', '.join(KEYS)}: not saved by the "
                         "deserter-bench MTEB tasks (integrations/mteb)", file)
    ids, labels = entry["id"], entry["label"]
    if not isinstance(ids, list) or not isinstance(labels, list) or len(ids) != len(labels):
        raise BenchError(f"subset {subset!r}: `id` and `label` must be lists of one length", file)
    common = {"task": str(entry["task"]), "evaluation": str(entry["evaluation"]), "fold": str(entry["fold"])}
    return [{"id": str(paragraph), "label": str(label), **common} for paragraph, label in zip(ids, labels)]

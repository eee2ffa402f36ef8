"""The `bench` command: parse the arguments, then call the one function in `bench.workflows` behind the command.

Each command's module is imported only when it runs, so `bench --help` loads no model library.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys

from .files import BenchError

# Every command: its name, the workflow function that runs it (`module:function` in bench.workflows), its help,
# and its arguments as (flags, keywords of `add_argument`); a list of arguments is a choice of exactly one.
COMMANDS: tuple[tuple[str, str, str, tuple], ...] = (
    ("corpus", "corpus:corpus", "list the documents, paragraph counts and duplicate paragraphs", ()),
    ("validate", "corpus:validate", "check gold and annotations against the corpus and the label scheme", ()),
    ("agreement", "annotate:report_agreement", "inter-annotator agreement per field (Cohen's kappa, Krippendorff's alpha)",
     ()),
    ("label", "annotate:label", "label paragraphs in the terminal, saving each one at once", (
        [(("--annotator",), {"help": "your annotator id, e.g. a3"}),
         (("--practice",), {"nargs": "?", "const": "", "metavar": "FILE", "help": "a trial: write the labels to FILE "
                            "(default: a new temporary file, named on exit), never to labels/"})],
        (("--doc",), {"action": "append", "help": "only this document (repeatable)"}),
    )),
    ("adjudicate", "annotate:adjudicate", "add agreed labels to gold and list the conflicts", (
        (("--min-annotators",), {"type": int, "default": 2, "help": "passes needed (default: 2)"}),
        (("--resolve",), {"dest": "resolve_id", "metavar": "ID", "help": "resolve one conflict into gold"}),
        (("--set",), {"dest": "choices", "action": "append", "default": [], "metavar": "FIELD=LABEL",
                      "help": "with --resolve: the chosen label of a disputed field (repeatable)"}),
        (("--reason",), {"help": "with --resolve: a one-line reason for the decision"}),
    )),
    ("labelstudio-export", "annotate:labelstudio_export", "Label Studio tasks (JSON) and labelling config (XML)", (
        (("out",), {"help": "the tasks file to write, e.g. tasks.json"}),
        (("--config",), {"help": "the labelling config to write (default: OUT with .xml)"}),
        (("--all",), {"dest": "include_labelled", "action": "store_true",
                      "help": "every paragraph, not only those without gold"}),
        (("--predict",), {"metavar": "CONFIG", "help": "pre-annotate with this experiment's model, each document "
                          "predicted by a copy trained on the other documents' gold"}),
    )),
    ("labelstudio-import", "annotate:labelstudio_import",
     "add a Label Studio export to the annotators' labels, one file per Label Studio user", (
        (("export",), {"help": "the JSON or JSON_MIN file exported from Label Studio"}),
        [(("--annotator",), {"help": "whose labels they are, e.g. a3 (an export of one user's annotations)"}),
         (("--annotator-map",), {"metavar": "USER=ID,...", "help": "each Label Studio user's annotator id, the user "
                                 "given by id or email, e.g. 1=a3,2=a4"})],
    )),
    ("run", "experiments:run", "run experiments, write records and tables", (
        (("configs",), {"nargs": "*", "metavar": "CONFIG", "help": "experiment configs (default: experiments/*.yaml)"}),
        (("--all",), {"dest": "include_fine_tuning", "action": "store_true",
                      "help": "also run the fine-tuning experiments in experiments/finetune/"}),
        (("--out",), {"metavar": "FOLDER", "help": "write records and tables here instead of experiments/results "
                      "(needed for external data); the tables also show the checkout's committed records "
                      "(experiments/results/records/) as rows marked [committed baseline], ranked and tested with "
                      "the new ones; they are read, never copied"}),
        (("--no-baselines",), {"dest": "baselines", "action": "store_false",
                               "help": "with --out: leave the committed baselines out of the tables (they are left "
                               "out anyway for a run only on external data sets)"}),
        (("--jobs",), {"type": int, "default": 1, "metavar": "N",
                       "help": "run the folds in N parallel jobs (default: 1)"}),
        (("--backend",), {"default": "loky", "metavar": "NAME", "help": "joblib backend: loky (default), threading, "
                          "or ray or dask on a cluster (needs the ray or dask[distributed] package)"}),
        (("--check",), {"action": "store_true", "help": "rerun the (default) experiments in a scratch copy and fail "
                        "with a diff if the committed tables differ; nothing in the checkout changes"}),
    )),
    ("predictions-template", "predictions:predictions_template",
     "write the rows a predictions file must cover, its labels empty, for a model run elsewhere to fill in", (
        (("out",), {"help": "the file to write (.csv or .jsonl; an existing file is refused): one row per scored "
                    "paragraph (kind body) and task, with id, task, target, text and an empty label; filled in, "
                    "a predictions_file config scores it"}),
        (("--tasks",), {"nargs": "+", "metavar": "TASK", "help": "only these tasks (default: every task)"}),
    )),
    ("inner-check", "experiments:inner_check",
     "score a config's selected model against majority on the inner validation folds, per seed", (
        (("config_path",), {"metavar": "CONFIG", "help": "an experiment config with a `grid`"}),
        (("--setting",), {"default": "leave_one_story_out",
                          "help": "whose outer folds' training sides (default: leave_one_story_out)"}),
        (("--seeds",), {"type": int, "nargs": "+", "default": [0, 1, 2], "help": "seeds (default: 0 1 2)"}),
        (("--out",), {"help": "also write every fold's and seed's scores to this JSON file"}),
    )),
    ("export-hf", "release:export_hf", "write the Hugging Face dataset folder (Parquet and card)", (
        (("out",), {"help": "the folder to write; an earlier export there is replaced, and a folder holding "
                            "anything an export did not write is refused"}),
        (("--without-texts",), {"action": "store_true", "help": "leave every text empty and add a script that "
                                "rebuilds them from one's own copies"}),
    )),
    ("push-hf", "release:push_hf", "upload the dataset to the Hugging Face Hub in one commit", (
        (("repo_id",), {"help": "the dataset repository, e.g. user/deserter-bench"}),
        (("--private",), {"action": "store_true", "help": "create the repository as private"}),
        (("--dry-run",), {"action": "store_true", "help": "list what would be uploaded; use no network"}),
        (("--folder",), {"help": "upload this export instead of a fresh one"}),
    )),
    ("import", "importing:import_predictions", "turn another tool's per-sample output (lm-eval's --log_samples, "
     "inspect's JSON eval logs, MTEB's saved predictions) into a predictions file that `bench run` scores", (
        (("tool",), {"help": "the tool that wrote the output: lm-eval, inspect or mteb"}),
        (("output",), {"help": "the folder the tool wrote (lm_eval's --output_path, inspect's --log-dir, the "
                       "prediction folder of integrations/mteb/run_mteb.py)"}),
        (("--out",), {"required": True, "metavar": "PREDICTIONS.csv", "help": "the predictions file to write "
                      "(CSV: id, task, label, and evaluation and fold for MTEB's per-fold predictions)"}),
    )),
    ("report", "publish:report", "regenerate tables, results page, error analysis and figures from the records", ()),
    ("perf", "performance:perf", "measure wall time and peak memory of the commands; update docs/performance.md", (
        (("--repeats",), {"type": int, "default": 3, "help": "runs per quick command (default: 3)"}),
        (("--only",), {"nargs": "+", "metavar": "PART", "help": "only these parts: commands, per_target (against "
                       "the plain scikit-learn script), scale (synthetic corpora), language_model (the prompted "
                       "model's cost); default: all"}),
        (("--scale-only",), {"dest": "only", "action": "store_const", "const": ["scale"],
                             "help": "only the scale benchmark: the same as --only scale"}),
        (("--no-fine-tuning",), {"action": "store_true", "help": "skip timing the slow `bench run --all`"}),
        (("--sizes",), {"type": int, "nargs": "+", "metavar": "N",
                        "help": "synthetic corpus sizes in paragraphs (default: 1000 10000 100000)"}),
        (("--jobs",), {"type": int, "default": 2, "metavar": "N",
                       "help": "jobs for the scale experiment (default: 2)"}),
    )),
)


def parser() -> argparse.ArgumentParser:
    """Every command of COMMANDS with its arguments; each names the workflow function that runs it."""
    main = argparse.ArgumentParser(prog="bench", description=(
        "Topic and stance benchmark on Dutch and English news about Russian deserters and defectors."))
    main.add_argument("--root", default=".", help="the benchmark checkout (default: the current folder)")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, handler, help, arguments in COMMANDS:
        sub = commands.add_parser(name, help=help)
        sub.set_defaults(handler=handler)
        for argument in arguments:
            group = sub.add_mutually_exclusive_group(required=True) if isinstance(argument, list) else sub
            for flags, options in argument if isinstance(argument, list) else [argument]:
                group.add_argument(*flags, **options)
    return main


def main(argv: list[str] | None = None) -> int:
    """Run one command; a BenchError becomes `error: FILE:LINE: message` and exit code 1."""
    arguments = vars(parser().parse_args(argv))
    module, function = arguments.pop("handler").split(":")
    root = arguments.pop("root")
    del arguments["command"]
    # SIGTERM raises KeyboardInterrupt, as Ctrl-C does, so a terminated run cleans up the same way.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        from .workflows.project import Project
        handler = getattr(importlib.import_module(f".workflows.{module}", __package__), function)
        code = handler(Project(root), **arguments)
        sys.stdout.flush()  # inside the try: a reader that left early must not end in a traceback at exit
        return code
    except BenchError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader left early, as `bench agreement | head` does: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so that the exit's flush cannot fail
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())

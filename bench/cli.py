"""The `bench` command: parse the arguments, then call the one function in `bench.workflows` behind the command.

Each command's module is imported only when it runs, so `bench --help` loads no model library.
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import signal
import sys
import textwrap

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


# What each command's --help says beyond its one line: what it does, what it writes, how long it takes where that is
# minutes (measured on 2 CPU cores), then examples. Long work shows its progress on stderr: a bar on a terminal, one
# line per finished step elsewhere.
ABOUT: dict[str, tuple[str, str]] = {
    "corpus": (
        "Print a table of the documents in seeds/ (file, language, date, story, paragraph count) and name every group "
        "of paragraphs with identical text, which a model could see in training and in test. Writes nothing.",
        "bench corpus\nbench --root ~/deserter-bench corpus"),
    "validate": (
        "Check the gold labels, every round's annotation passes and the alignments against the corpus and the label "
        "scheme: each problem is printed as `error: FILE:LINE: what is wrong`, and the exit code is 1 if there is "
        "one. Writes nothing; `make run` runs it first.",
        "bench validate"),
    "agreement": (
        "Print, per field, the pairwise raw agreement, Cohen's kappa and Krippendorff's alpha of the annotators of "
        "every round of labels, then the current passes' confusion tables and every disputed label. Writes nothing.",
        "bench agreement\nbench agreement | head -20"),
    "label": (
        "Label, in the terminal, the paragraphs this annotator has not labelled yet, each shown with the start of its "
        "article and its neighbours: one digit key per label, ? for the field's guideline, b back, s skip, q quit. "
        "Each finished paragraph is appended to labels/annotations/ANNOTATOR.jsonl at once, so a killed session "
        "loses at most the paragraph on screen.",
        "bench label --annotator a3\nbench label --annotator a3 --doc 005"),
    "adjudicate": (
        "Add to labels/gold.jsonl every paragraph on which at least --min-annotators passes agree and list the "
        "conflicts, each with the command that resolves it; or, with --resolve, write one conflict's decision into "
        "gold. A gold label, once written, is never overwritten.",
        "bench adjudicate\nbench adjudicate --resolve 001-04 --set topic=escape --reason \"the paragraph is about the "
        "crossing\""),
    "labelstudio-export": (
        "Write Label Studio tasks (JSON, one per paragraph without gold, or every paragraph with --all) and the "
        "matching labelling config (XML). With --predict CONFIG the choices are pre-filled by that experiment's "
        "model, each document predicted by a copy trained on the other documents' gold (one fit per document: "
        "seconds for the n-gram models, longer for the transformer ones).",
        "bench labelstudio-export tasks.json\nbench labelstudio-export tasks.json --all --predict experiments/tfidf.yaml"),
    "labelstudio-import": (
        "Append the annotations of a Label Studio export (JSON or JSON_MIN) to the annotators' files in "
        "labels/annotations/, one file per Label Studio user, and list every annotation not imported (cancelled, "
        "replaced, missing). All or nothing: one error lists every refused annotation and nothing is written.",
        "bench labelstudio-import project-1.json --annotator-map 1=a3,2=a4\n"
        "bench labelstudio-import project-1.json --annotator a3"),
    "run": (
        "Run the experiment configs (default: experiments/*.yaml) and write one JSON record per experiment to "
        "experiments/results/records/ as soon as it completes, then rewrite the tables, figures, results page and "
        "error analysis in experiments/results/ and the README's results block; with --out FOLDER, the records and "
        "tables go there and the checkout is left as it is. A record whose results are unchanged and whose commit is "
        "still current is not rewritten. --all adds the fine-tuning in experiments/finetune/ (and experiments/gpu/ "
        "where torch sees a GPU). --check reruns the default experiments in a scratch copy and fails with a diff if "
        "the committed tables differ; it writes nothing in the checkout. Every config is checked and every fold "
        "planned before the first record is written. On 2 idle CPU cores the default run takes about a minute (the "
        "first one also builds multilingual-e5-small and encodes every paragraph), --all about 12 minutes, --check "
        "about a minute and a half; a busy machine takes longer. Progress goes to stderr, the tables to stdout; the "
        "last line names what was written.",
        "bench run                                  # the default experiments, about a minute\n"
        "bench run --all                            # with the fine-tuning, about 12 minutes (`make run`)\n"
        "bench run --check                          # the reproducibility gate\n"
        "bench run experiments/svm.yaml --jobs 2    # one experiment, its folds in two processes\n"
        "bench run mine.yaml --out results-mine/    # a config of one's own, kept apart from the benchmark's"),
    "predictions-template": (
        "Write the rows a predictions file must cover (one per scored paragraph and task, with id, task, target and "
        "text) with the label left empty, as CSV or JSON Lines by the file's suffix; an existing file is refused. "
        "Filled in by a model run elsewhere, a `predictions_file` config scores it with `bench run`.",
        "bench predictions-template mine/predictions.csv\nbench predictions-template stance.jsonl --tasks stance_war"),
    "inner-check": (
        "Rerun a config's hyperparameter selection on the training sides of one setting's outer folds, seed by seed, "
        "and print its inner macro-F1 against majority on the same inner folds, never on a test fold: whether the "
        "model learns where selection measures it. The table goes to stdout, each fold's and seed's score to stderr; "
        "--out also writes them to a JSON file. The fine-tuned config with three seeds takes about 16 minutes on 2 "
        "CPU cores.",
        "bench inner-check experiments/tfidf.yaml --seeds 0\n"
        "bench inner-check experiments/finetune/e5_finetuned.yaml --seeds 0 1 2 "
        "--out experiments/results/inner_check/e5_finetuned.json"),
    "export-hf": (
        "Write the Hugging Face dataset folder: Parquet files of the paragraphs, topic, stance, folds and alignment "
        "configs, a dataset card generated from the data and the latest results, and the licence; then list its "
        "files. An earlier export there is replaced, built beside it first so a kill leaves one whole export. Takes "
        "seconds.",
        "bench export-hf release/\nbench export-hf release/ --without-texts   # no news text, and a rebuild script"),
    "push-hf": (
        "Export afresh (or take --folder, an earlier export) and upload it to a Hugging Face dataset repository in "
        "one commit that names the checkout's commit; the token comes from HF_TOKEN or `hf auth login`. --dry-run "
        "lists what would be uploaded and uses no network.",
        "bench push-hf USER/deserter-bench --dry-run\nbench push-hf USER/deserter-bench --private"),
    "import": (
        "Read another tool's per-sample output (lm-evaluation-harness's --log_samples files, inspect-ai's JSON eval "
        "logs, MTEB's saved predictions) and write a predictions file (CSV: id, task, label, and evaluation and fold "
        "for MTEB's per-fold predictions) that a `predictions_file` config scores with `bench run`. A malformed or "
        "repeated sample is an error naming its file and line, before anything is written.",
        "bench import lm-eval /tmp/lm-eval --out /tmp/lm-eval.csv\n"
        "bench import inspect logs/ --out /tmp/inspect.csv\n"
        "bench import mteb /tmp/mteb-out/predictions --out /tmp/mteb.csv"),
    "report": (
        "Rewrite everything derived from the records in experiments/results/records/, without running anything: "
        "the tables, figures, results page and error analysis in experiments/results/ and the README's results "
        "block. Takes about 20 seconds; the last line names what was written.",
        "bench report"),
    "perf": (
        "Measure the wall time and peak memory of the bench commands, each in a fresh process on a scratch copy with "
        "an empty model cache, the per-target run against a plain scikit-learn script, the scale benchmark on "
        "synthetic corpora, and the prompted language model's cost; then rewrite "
        "experiments/results/performance.json and the README's performance block (a part not measured keeps its "
        "earlier figures). On 2 CPU cores the whole of it takes about 50 minutes: the scale part about 35, the "
        "timing of `bench run --all` about 12 (--no-fine-tuning skips it).",
        "bench perf                                 # everything, about 50 minutes (`make perf`)\n"
        "bench perf --only commands --repeats 1 --no-fine-tuning\n"
        "bench perf --scale-only --sizes 1000 10000"),
}


def parser() -> argparse.ArgumentParser:
    """Every command of COMMANDS with its arguments; each names the workflow function that runs it."""
    main = argparse.ArgumentParser(prog="bench", description=(
        "Topic and stance benchmark on Dutch and English news about Russian deserters and defectors."),
        epilog="`bench COMMAND --help` says what a command does, what it writes, how long it takes, with examples.")
    main.add_argument("--root", default=".", help="the benchmark checkout (default: the current folder)")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    width = min(100, shutil.get_terminal_size().columns - 2)  # as argparse wraps the arguments' help
    for name, handler, help, arguments in COMMANDS:
        description, examples = ABOUT[name]
        sub = commands.add_parser(name, help=help, description=textwrap.fill(description, width),
                                  epilog="examples:\n" + textwrap.indent(examples, "  "),
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
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

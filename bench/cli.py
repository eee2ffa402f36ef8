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


def parser() -> argparse.ArgumentParser:
    """Every command and its arguments; each names the workflow function that runs it."""
    main = argparse.ArgumentParser(prog="bench", description=(
        "Topic and stance benchmark on Dutch and English news about Russian deserters and defectors."))
    main.add_argument("--root", default=".", help="the benchmark checkout (default: the current folder)")
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.set_defaults(handler=handler)
        return sub

    command("corpus", "corpus:corpus", "list the documents, paragraph counts and duplicate paragraphs")
    command("validate", "corpus:validate", "check gold and annotations against the corpus and the label scheme")
    command("agreement", "annotate:agreement",
            "inter-annotator agreement per field (Cohen's kappa, Krippendorff's alpha)")
    label = command("label", "annotate:label", "label paragraphs in the terminal, saving each one at once")
    label.add_argument("--annotator", required=True, help="your annotator id, e.g. a3")
    label.add_argument("--doc", action="append", help="only this document (repeatable)")
    adjudicate = command("adjudicate", "annotate:adjudicate", "add agreed labels to gold and list the conflicts")
    adjudicate.add_argument("--min-annotators", type=int, default=2, help="passes needed (default: 2)")
    adjudicate.add_argument("--resolve", dest="resolve_id", metavar="ID", help="resolve one conflict into gold")
    adjudicate.add_argument("--set", dest="choices", action="append", default=[], metavar="FIELD=LABEL",
                            help="with --resolve: the chosen label of a disputed field (repeatable)")
    adjudicate.add_argument("--reason", help="with --resolve: a one-line reason for the decision")
    ls_export = command("labelstudio-export", "annotate:labelstudio_export",
                        "Label Studio tasks (JSON) and labelling config (XML)")
    ls_export.add_argument("out", help="the tasks file to write, e.g. tasks.json")
    ls_export.add_argument("--config", help="the labelling config to write (default: OUT with .xml)")
    ls_export.add_argument("--all", dest="include_labelled", action="store_true",
                           help="every paragraph, not only those without gold")
    ls_export.add_argument("--predict", metavar="CONFIG", help="pre-annotate with this experiment's model, each document "
                           "predicted by a copy trained on the other documents' gold")
    ls_import = command("labelstudio-import", "annotate:labelstudio_import",
                        "add a Label Studio export to the annotators' labels, one file per Label Studio user")
    ls_import.add_argument("export", help="the JSON or JSON_MIN file exported from Label Studio")
    whose = ls_import.add_mutually_exclusive_group(required=True)
    whose.add_argument("--annotator", help="whose labels they are, e.g. a3 (an export of one user's annotations)")
    whose.add_argument("--annotator-map", metavar="USER=ID,...",
                       help="each Label Studio user's annotator id, the user given by id or email, e.g. 1=a3,2=a4")
    run = command("run", "experiments:run", "run experiments, write records and tables")
    run.add_argument("configs", nargs="*", metavar="CONFIG", help="experiment configs (default: experiments/*.yaml)")
    run.add_argument("--all", dest="include_fine_tuning", action="store_true",
                     help="also run the fine-tuning experiments in experiments/finetune/")
    run.add_argument("--out", metavar="FOLDER",
                     help="write records and tables here instead of experiments/results (needed for external data)")
    run.add_argument("--jobs", type=int, default=1, metavar="N", help="run the folds in N parallel jobs (default: 1)")
    run.add_argument("--backend", default="loky", metavar="NAME",
                     help="joblib backend: loky (default), threading, or ray or dask on a cluster "
                          "(needs the ray or dask[distributed] package)")
    run.add_argument("--check", action="store_true",
                     help="rerun the (default) experiments in a scratch copy and fail with a diff if the committed "
                          "tables differ; nothing in the checkout changes")
    inner = command("inner-check", "experiments:inner_check",
                    "score a config's selected model against majority on the inner validation folds, per seed")
    inner.add_argument("config_path", metavar="CONFIG", help="an experiment config with a `grid`")
    inner.add_argument("--setting", default="multilingual", help="whose outer folds' training sides (default: multilingual)")
    inner.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds (default: 0 1 2)")
    inner.add_argument("--out", help="also write every fold's and seed's scores to this JSON file")
    export_hf = command("export-hf", "release:export_hf", "write the Hugging Face dataset folder (Parquet and card)")
    export_hf.add_argument("out", help="the folder to write; an earlier export there is replaced")
    export_hf.add_argument("--without-texts", action="store_true",
                           help="leave every text empty and add a script that rebuilds them from one's own copies")
    push_hf = command("push-hf", "release:push_hf", "upload the dataset to the Hugging Face Hub in one commit")
    push_hf.add_argument("repo_id", help="the dataset repository, e.g. user/deserter-bench")
    push_hf.add_argument("--private", action="store_true", help="create the repository as private")
    push_hf.add_argument("--dry-run", action="store_true", help="list what would be uploaded; use no network")
    push_hf.add_argument("--folder", help="upload this export instead of a fresh one")
    command("report", "publish:report", "regenerate tables, results page, error analysis and figures from the records")
    perf = command("perf", "performance:perf", "measure wall time and peak memory of the commands; update the README")
    perf.add_argument("--repeats", type=int, default=3, help="runs per quick command (default: 3)")
    perf.add_argument("--only", nargs="+", metavar="PART",
                      help="only these parts: commands, per_target (against the plain scikit-learn script), scale "
                           "(synthetic corpora), language_model (the prompted model's cost); default: all")
    perf.add_argument("--scale-only", dest="only", action="store_const", const=["scale"],
                      help="only the scale benchmark: the same as --only scale")
    perf.add_argument("--no-fine-tuning", action="store_true", help="skip timing the slow `bench run --all`")
    perf.add_argument("--sizes", type=int, nargs="+", metavar="N",
                      help="synthetic corpus sizes in paragraphs (default: 1000 10000 100000)")
    perf.add_argument("--jobs", type=int, default=2, metavar="N", help="jobs for the scale experiment (default: 2)")
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

"""A researcher's run beside the benchmark's baselines: the committed records an `--out` run's tables compare with."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from ..evaluation.provenance import stale_records
from ..evaluation.results import Record
from ..evaluation.runner import Plan
from ..files import BenchError
from ..publishing.records import BASELINE_MARK, load_records
from .project import RECORDS, Project


def committed_baselines(project: Project, plans: list[Plan], out: Path) -> list[Record]:
    """The checkout's committed result records, marked, for the tables of a run written to `out`; none where the
    run is only on external data sets (the baselines are the benchmark's) or the checkout has none.

    A record of the same name as one of this run or of `out`'s records is left out: the researcher's own wins.
    Records made from other code or data than the checkout's (other labels, say) are refused: a comparison with
    them would be wrong; the kept ones (GPU, run once) are compared as the gate keeps them, at their own
    commit. They are only read; nothing is copied into `out`.
    """
    if all(found.config.dataset is not None for found in plans):
        print("note: no committed baselines in the tables: the run is only on external data sets", file=sys.stderr)
        return []
    records = list(load_records(project.records)[0]) if project.records.is_dir() else []
    if not records:
        print(f"note: no committed baselines in the tables: {project.records} holds no result record", file=sys.stderr)
        return []
    stale = stale_records(project.root, [r for r in records if r.experiment not in project.kept_experiments()])
    if stale is None:
        print("note: not a git checkout, so whether the committed baselines are current is not checked",
              file=sys.stderr)
    elif stale:
        raise BenchError("the committed baselines were not made from this checkout's code and data, so a comparison "
                         "with them would be wrong; rerun them (`make run`) or leave them out with --no-baselines:\n  "
                         + "\n  ".join(stale), project.records)
    own = {found.config.name for found in plans} | {path.stem for path in (out / RECORDS).glob("*.json")}
    for record in records:
        if record.experiment in own:
            print(f"note: {record.experiment} of this run (or of {out / RECORDS}) stands in the tables instead of "
                  "the committed baseline of that name", file=sys.stderr)
    kept = [record for record in records if record.experiment not in own]
    commits = sorted({record.provenance.get("commit", "unknown")[:12] for record in kept})
    print(f"note: the tables compare with {len(kept)} committed baseline(s) read from {project.records} (commit "
          f"{', '.join(commits)}), marked [{BASELINE_MARK}]: {', '.join(r.experiment for r in kept)}", file=sys.stderr)
    return [dataclasses.replace(record, marks=[*record.marks, BASELINE_MARK]) for record in kept]

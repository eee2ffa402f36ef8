"""A benchmark checkout: where each stage keeps its files, and its data loaded and checked."""

from __future__ import annotations

import shutil
from pathlib import Path

from ..data.corpus import Corpus, load_corpus
from ..data.labels import GOLD, LabelRow, load_gold, validate
from ..data.schema import Schema, load_schema
from ..files import BenchError, check_inside, check_name

FINE_TUNING = "finetune"  # experiments too slow for the default run, in experiments/finetune/
GPU = "gpu"  # experiments that need a GPU, in experiments/gpu/: run by `--all` only where one is present
SLOW = "slow"  # experiments run once, by name, in experiments/slow/: their records are kept, never rerun by `--all`
RECORDS = "records"  # inside a results folder, beside the outputs derived from them


class Project:
    """Where a checkout keeps each stage's files."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.seeds = self.root / "seeds"
        self.labels = self.root / "labels"
        self.guidelines = self.labels / "GUIDELINES.md"
        self.experiments = self.root / "experiments"
        self.results = self.experiments / "results"
        self.records = self.results / RECORDS
        self.readme = self.root / "README.md"
        self.performance_page = self.root / "docs" / "performance.md"  # its generated block holds `bench perf`'s tables

    def annotation_log(self, annotator: str) -> Path:
        """An annotator's append-only label file, to write to; the id becomes a file name, so it is kept plain,
        and no symbolic link may carry the writes out of the checkout."""
        path = self.labels / "annotations" / f"{check_name(annotator, 'annotator id')}.jsonl"
        check_inside(path, self.root)
        return path

    def gold_file(self) -> Path:
        """The adjudicated gold labels, to write to: never through a symbolic link out of the checkout."""
        path = self.labels / GOLD
        check_inside(path, self.root)
        return path

    def schema(self) -> Schema:
        """The label scheme; a folder without GUIDELINES.md is no checkout."""
        if not self.guidelines.exists():
            raise BenchError(f"not found, so {self.root.resolve()} is not a benchmark checkout; run bench from "
                             "the checkout or pass --root", self.guidelines)
        return load_schema(self.guidelines)

    def corpus(self) -> Corpus:
        """The corpus from the seeds folder."""
        return load_corpus(self.seeds)

    def valid_gold(self, schema: Schema, corpus: Corpus) -> dict[str, LabelRow]:
        """Gold labels, after checking every label file; experiments and releases need complete, clean labels."""
        problems = validate(self.labels, schema, corpus)
        if problems:
            raise problems[0]
        return load_gold(self.labels, schema, corpus)

    def config_paths(self, include_fine_tuning: bool = False, include_gpu: bool = False) -> list[Path]:
        """The default experiments; the slow fine-tuning ones in experiments/finetune/ and the GPU ones in
        experiments/gpu/ only when asked."""
        paths = sorted(self.experiments.glob("*.yaml"))
        if include_fine_tuning:
            paths += sorted((self.experiments / FINE_TUNING).glob("*.yaml"))
        return paths + self.gpu_config_paths() if include_gpu else paths

    def gpu_config_paths(self) -> list[Path]:
        return sorted((self.experiments / GPU).glob("*.yaml"))

    def slow_config_paths(self) -> list[Path]:
        return sorted((self.experiments / SLOW).glob("*.yaml"))

    def kept_experiments(self) -> set[str]:
        """The experiments whose committed records are kept, never rerun by `--all` nor checked for currency: the
        GPU ones and those run once."""
        return {path.stem for path in self.gpu_config_paths() + self.slow_config_paths()}


def scratch_copy(root: Path, target: Path) -> Project:
    """The data and configs, without results, so measuring or rechecking never touches the checkout."""
    for folder in ("seeds", "labels"):
        shutil.copytree(root / folder, target / folder)
    shutil.copytree(root / "experiments", target / "experiments", ignore=shutil.ignore_patterns("results"))
    return Project(target)

"""Reports: results tables derived from the JSON records, never edited by hand."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from .files import BenchError, atomic_write, read_text
from .scores import transfer_ratio

TABLES = Path("results") / "tables"
SETTING_ORDER = ("in_language", "cross_lingual", "multilingual")
METRIC_NAMES = {"macro_f1": "macro-F1", "f_avg": "F_avg", "accuracy": "accuracy"}


MODEL_ORDER = ("majority", "stratified", "tfidf", "zero_shot", "encoder_logreg", "fine_tuned")


def load_records(records_dir: Path) -> list[dict]:
    """Every record, baselines first, then by model kind and experiment name."""
    records = []
    for path in sorted(records_dir.glob("*.json")):
        try:
            records.append(json.loads(read_text(path)))
        except json.JSONDecodeError as err:
            raise BenchError(f"malformed record: {err.msg}", path, err.lineno) from None
    rank = {model: i for i, model in enumerate(MODEL_ORDER)}
    return sorted(records, key=lambda r: (rank.get(r["model"], len(rank)), r["experiment"]))


def evaluation_order(records: list[dict]) -> list[str]:
    """Columns: settings in their fixed order, then train and test language."""
    seen = {(r["setting"], r["train_language"], r["test_language"], r["evaluation"])
            for record in records for r in record["results"]}
    ranked = sorted(seen, key=lambda s: (SETTING_ORDER.index(s[0]) if s[0] in SETTING_ORDER else len(SETTING_ORDER),
                                         s[0], s[1], s[2]))
    return [s[3] for s in ranked]


def task_order(records: list[dict]) -> list[str]:
    tasks: list[str] = []
    for record in records:
        for result in record["results"]:
            if result["task"] not in tasks:
                tasks.append(result["task"])
    return tasks


def results_by_cell(records: list[dict]) -> dict[tuple[str, str, str], dict]:
    return {(record["experiment"], r["task"], r["evaluation"]): r for record in records for r in record["results"]}


def ratio_columns(records: list[dict]) -> list[tuple[str, str, str]]:
    """(column name, cross-lingual evaluation, in-language evaluation of its test language)."""
    names = set(evaluation_order(records))
    columns = []
    for record in records:
        for r in record["results"]:
            if r["setting"] == "cross_lingual":
                home = f"in_language:{r['test_language']}"
                column = (f"ratio {r['train_language']}>{r['test_language']}", r["evaluation"], home)
                if home in names and column not in columns:
                    columns.append(column)
    return sorted(columns)


def cell(score: dict, seeds: int) -> str:
    spread = f"±{score['std']:.3f}" if seeds > 1 else ""
    return f"{score['mean']:.3f}{spread} [{score['ci_low']:.3f}, {score['ci_high']:.3f}]"


def table_rows(records: list[dict], task: str, metric: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of one task's table: experiments by evaluations, then transfer ratios."""
    cells = results_by_cell(records)
    evaluations = evaluation_order(records)
    ratios = ratio_columns(records)
    header = ["model", *evaluations, *(name for name, _, _ in ratios)]
    rows = []
    for record in records:
        name = record["experiment"]
        if not any((name, task, e) in cells for e in evaluations):
            continue
        row = [name]
        for evaluation in evaluations:
            result = cells.get((name, task, evaluation))
            score = result and result["scores"].get(metric)
            row.append(cell(score, len(score["per_seed"])) if score else "")
        for _, cross, home in ratios:
            a, b = cells.get((name, task, cross)), cells.get((name, task, home))
            ratio = a and b and transfer_ratio(a["scores"][metric]["mean"], b["scores"][metric]["mean"])
            row.append(f"{ratio:.2f}" if ratio is not None and ratio is not False else "")
        rows.append(row)
    return header, rows


def task_metrics(records: list[dict], task: str) -> list[str]:
    for record in records:
        for r in record["results"]:
            if r["task"] == task:
                return list(r["scores"])
    return []


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def unseen_notes(records: list[dict], task: str) -> list[str]:
    notes = set()
    for record in records:
        for r in record["results"]:
            if r["task"] != task:
                continue
            for fold in r["folds"]:
                if fold["unseen_classes"]:
                    notes.add(f"{r['evaluation']} (test {', '.join(fold['test_docs'])}): "
                              f"{', '.join(fold['unseen_classes'])}")
    return sorted(notes)


def main_tables(records: list[dict]) -> str:
    """The headline tables: macro-F1 per task, with the mean over seeds, its spread and the 95% CI."""
    parts = []
    for task in task_order(records):
        header, rows = table_rows(records, task, "macro_f1")
        parts.append(f"**{task}** (macro-F1, mean±sd over seeds [95% bootstrap CI])\n\n" + markdown_table(header, rows))
    return "\n".join(parts)


def full_markdown(records: list[dict]) -> str:
    parts = ["# Results\n\nGenerated by `bench run` from the records in `experiments/results/records/`; "
             "do not edit.\n\nCells: mean±sd over seeds [95% percentile bootstrap CI over test paragraphs]. "
             "Columns: `in_language:L` leaves one document of language L out at a time; `cross_lingual:A>B` trains "
             "on all of A and tests on all of B; `multilingual:all` leaves one document out of all languages; "
             "`ratio A>B` is the cross-lingual macro-F1 divided by the in-language macro-F1 of B.\n"]
    for task in task_order(records):
        parts.append(f"## {task}\n")
        for metric in task_metrics(records, task):
            header, rows = table_rows(records, task, metric)
            parts.append(f"### {METRIC_NAMES.get(metric, metric)}\n\n" + markdown_table(header, rows))
        notes = unseen_notes(records, task)
        if notes:
            parts.append("Classes in the test gold without a training example:\n\n" +
                         "".join(f"- {note}\n" for note in notes))
    return "\n".join(parts)


def csv_table(records: list[dict]) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(["experiment", "model", "task", "evaluation", "setting", "train_language", "test_language",
                     "n_test", "n_seeds", "metric", "mean", "std", "ci_low", "ci_high"])
    for record in records:
        for r in record["results"]:
            for metric, s in r["scores"].items():
                writer.writerow([record["experiment"], record["model"], r["task"], r["evaluation"], r["setting"],
                                 r["train_language"], r["test_language"], r["n_test"], len(s["per_seed"]), metric,
                                 *(f"{s[k]:.4f}" for k in ("mean", "std", "ci_low", "ci_high"))])
    return stream.getvalue()


def latex_escape(text: str) -> str:
    return text.replace("\\", r"\textbackslash{}").replace("_", r"\_").replace("&", r"\&").replace(
        "%", r"\%").replace("#", r"\#").replace(">", r"$\rightarrow$").replace("±", r"$\pm$")


def latex_tables(records: list[dict]) -> str:
    parts = ["% Generated by `bench run`; needs \\usepackage{booktabs}.\n"]
    for task in task_order(records):
        header, rows = table_rows(records, task, "macro_f1")
        parts.append("\\begin{table}[t]\n\\centering\n\\small\n"
                     f"\\begin{{tabular}}{{l{'c' * (len(header) - 1)}}}\n\\toprule\n"
                     + " & ".join(latex_escape(h) for h in header) + " \\\\\n\\midrule\n"
                     + "".join(" & ".join(latex_escape(c) for c in row) + " \\\\\n" for row in rows)
                     + "\\bottomrule\n\\end{tabular}\n"
                     f"\\caption{{{latex_escape(task)}: macro-F1, mean$\\pm$sd over seeds, 95\\% bootstrap CI.}}\n"
                     f"\\label{{tab:{task.replace('_', '-')}}}\n\\end{{table}}\n")
    return "\n".join(parts)


def agreement_table(result: dict) -> str:
    rows = []
    for field, values in result.items():
        alpha = values["krippendorff_alpha"]
        for pair in values["pairs"]:
            rows.append([field, " vs ".join(pair["annotators"]), str(pair["units"]), f"{pair['raw_agreement']:.3f}",
                         _number(pair["cohen_kappa"]), _number(alpha)])
    return markdown_table(["field", "annotators", "paragraphs", "raw agreement", "Cohen's kappa",
                           "Krippendorff's alpha"], rows)


def confusion_tables(result: dict, schema_labels: dict[str, tuple[str, ...]]) -> str:
    """Each pair's confusion table per field: rows are the first annotator's labels, columns the second's."""
    parts = []
    for field, values in result.items():
        labels = list(schema_labels[field])
        for pair in values["pairs"]:
            left, right = pair["annotators"]
            rows = [[label, *map(str, counts)] for label, counts in zip(labels, pair["confusion"])]
            parts.append(f"{field}: {left} (rows) by {right} (columns)\n\n"
                         + markdown_table([f"{left} \\ {right}", *labels], rows))
    return "\n".join(parts)


def _number(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.3f}"


def write_tables(experiments_dir: Path, records: list[dict]) -> list[Path]:
    out = experiments_dir / TABLES
    written = []
    for name, content in (("results.md", full_markdown(records)), ("results.csv", csv_table(records)),
                          ("results.tex", latex_tables(records))):
        atomic_write(out / name, content)
        written.append(out / name)
    return written


def update_readme(readme: Path, section: str, block: str) -> bool:
    """Replace the text between `<!-- section:start -->` and `<!-- section:end -->`; else leave the README alone."""
    if not readme.exists():
        return False
    text = read_text(readme)
    start_marker, end_marker = f"<!-- {section}:start -->", f"<!-- {section}:end -->"
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        return False
    updated = text[: start + len(start_marker)] + "\n" + block + text[end:]
    if updated != text:
        atomic_write(readme, updated)
    return True

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
SETTING_ORDER = ("in_language", "cross_lingual", "multilingual", "given_split")
METRIC_NAMES = {"macro_f1": "macro-F1", "f_avg": "F_avg", "accuracy": "accuracy"}


MODEL_ORDER = ("majority", "stratified", "tfidf", "zero_shot", "encoder_logreg", "fine_tuned")


def load_records(records_dir: Path) -> tuple[list[dict], list[dict]]:
    """The result records and the learning curves, read once; each baselines first, then by model kind and name."""
    records = []
    for path in sorted(records_dir.glob("*.json")):
        try:
            records.append(json.loads(read_text(path)))
        except json.JSONDecodeError as err:
            raise BenchError(f"malformed record: {err.msg}", path, err.lineno) from None
    rank = {model: i for i, model in enumerate(MODEL_ORDER)}
    records.sort(key=lambda r: (rank.get(r["model"], len(rank)), r["experiment"]))
    return [r for r in records if not r.get("learning_curve")], [r for r in records if r.get("learning_curve")]


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
                    tested = ", ".join(fold["test"][:5]) + (" …" if len(fold["test"]) > 5 else "")
                    notes.add(f"{r['evaluation']} (test {tested}): "
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


def write_tables(out: Path, records: list[dict]) -> list[Path]:
    written = []
    for name, content in (("results.md", full_markdown(records)), ("results.csv", csv_table(records)),
                          ("results.tex", latex_tables(records))):
        atomic_write(out / name, content)
        written.append(out / name)
    return written


def publish_tables(tables_dir: Path, records: list[dict]) -> tuple[dict, str]:
    """Write the table files; return the significance tests and the headline tables marked with them."""
    tests = significance(records)
    write_tables(tables_dir, records)
    return tests, marked_tables(records, tests)


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


ALPHA = 0.05
HEADLINE = "multilingual:all"


def seed_predictions(result: dict) -> list[list[str]]:
    """Each seed's predictions for the test paragraphs, in the record's order."""
    rows = result["predictions"]
    return [[row["pred"][i] for row in rows] for i in range(len(rows[0]["pred"]))] if rows else []


def significance(records: list[dict], resamples: int = 1000, seed: int = 0) -> dict[tuple[str, str], dict]:
    """Per task and evaluation: the best experiment by mean macro-F1 and each other's paired-bootstrap p-value."""
    from .scores import paired_bootstrap

    cells: dict[tuple[str, str], dict[str, dict]] = {}
    for record in records:
        for result in record["results"]:
            cells.setdefault((result["task"], result["evaluation"]), {})[record["experiment"]] = result
    tests = {}
    for key, results in cells.items():
        best = max(sorted(results), key=lambda name: results[name]["scores"]["macro_f1"]["mean"])
        reference = results[best]
        gold = [row["gold"] for row in reference["predictions"]]
        order = [row["id"] for row in reference["predictions"]]
        p_values = {}
        for name, result in sorted(results.items()):
            if name == best:
                continue
            position = {row["id"]: i for i, row in enumerate(result["predictions"])}
            aligned = [[preds[position[i]] for i in order] for preds in seed_predictions(result)]
            p_values[name] = paired_bootstrap(gold, seed_predictions(reference), aligned, reference["labels"],
                                              resamples, seed)
        tests[key] = {"best": best, "p": p_values}
    return tests


def marked_tables(records: list[dict], tests: dict) -> str:
    """Macro-F1 per task with the best result in bold and † on results the test cannot tell from it."""
    parts = []
    for task in task_order(records):
        header, rows = table_rows(records, task, "macro_f1")
        evaluations = header[1:1 + len(evaluation_order(records))]
        for row in rows:
            for column, evaluation in enumerate(evaluations, start=1):
                test = tests.get((task, evaluation))
                if not test or not row[column]:
                    continue
                if test["best"] == row[0]:
                    row[column] = f"**{row[column]}**"
                elif test["p"].get(row[0], 0) >= ALPHA:
                    row[column] += " †"
        parts.append(f"### {task}\n\n" + markdown_table(header, rows))
    return "\n".join(parts)


def per_class_tables(records: list[dict], evaluation: str = HEADLINE) -> str:
    """F1 of every class for every experiment in one evaluation, averaged over seeds."""
    from .scores import per_class

    parts = []
    cells = results_by_cell(records)
    for task in task_order(records):
        labels: list[str] = []
        rows = []
        for record in records:
            result = cells.get((record["experiment"], task, evaluation))
            if not result:
                continue
            labels = result["labels"]
            gold = [row["gold"] for row in result["predictions"]]
            scores = [per_class(gold, pred, labels) for pred in seed_predictions(result)]
            rows.append([record["experiment"], *(f"{sum(s[label]['f1'] for s in scores) / len(scores):.3f}"
                                                 for label in labels)])
        if rows:
            support = [str(sum(row["gold"] == label for row in result["predictions"])) for label in labels]
            rows.append(["(test paragraphs)", *support])
            parts.append(f"### {task}\n\n" + markdown_table(["model", *labels], rows))
    return "\n".join(parts)


def best_results(records: list[dict], tests: dict, evaluation: str) -> list[tuple[str, str, dict]]:
    """(task, experiment, result) of each task's best experiment in one evaluation."""
    cells = results_by_cell(records)
    return [(task, tests[(task, evaluation)]["best"], cells[(tests[(task, evaluation)]["best"], task, evaluation)])
            for task in task_order(records) if (task, evaluation) in tests]


def human_reference(records: list[dict], passes: dict, body_ids: set[str], tests: dict,
                    evaluation: str = HEADLINE) -> str:
    """Each annotator pair's macro-F1 against the other on body paragraphs, beside the best model."""
    from .scores import point_scores

    rows = []
    annotators = sorted(passes)
    for task, name, best in best_results(records, tests, evaluation):
        for left, right in ((a, b) for i, a in enumerate(annotators) for b in annotators[i + 1:]):
            shared = sorted(body_ids & set(passes[left]) & set(passes[right]))
            reference = [passes[left][i].labels[task] for i in shared]
            other = [passes[right][i].labels[task] for i in shared]
            agreement = point_scores(reference, other, best["labels"])["macro_f1"]
            rows.append([task, f"{left} vs {right}", f"{agreement:.3f}", name,
                         cell(best["scores"]["macro_f1"], len(best["scores"]["macro_f1"]["per_seed"]))])
    return markdown_table(["task", "annotators", "annotator macro-F1", f"best model ({evaluation})", "its macro-F1"],
                          rows)


def error_analysis(records: list[dict], texts: dict[str, str], tests: dict, evaluation: str = HEADLINE) -> str:
    """The best model's misclassified test paragraphs per task, with gold and predicted labels."""
    parts = ["# Error analysis\n\nGenerated by `bench report`. For each task, the paragraphs that the best model "
             f"in `{evaluation}` got wrong (the prediction of its first seed).\n"]
    for task, name, result in best_results(records, tests, evaluation):
        wrong = [row for row in result["predictions"] if row["pred"][0] != row["gold"]]
        rows = [[row["id"], row["gold"], row["pred"][0], " ".join(texts[row["id"]].split())[:160].replace("|", "/")]
                for row in wrong]
        parts.append(f"## {task}: {name}, {len(wrong)} of {len(result['predictions'])} wrong\n\n"
                     + markdown_table(["paragraph", "gold", "predicted", "text"], rows))
    return "\n".join(parts)


def results_page(records: list[dict], tests: dict, tables: str, human: str, figures: list[str]) -> str:
    return (
        "# Results\n\nGenerated by `bench report` from the records in `records/`; do not edit. Cells: macro-F1, "
        "mean±sd over seeds [95% percentile bootstrap CI over test paragraphs]. In each column the best result is "
        f"**bold**; † marks results that a paired bootstrap test (1000 resamples, one-sided p ≥ {ALPHA}) cannot "
        "tell apart from it. `ratio A>B` is the cross-lingual macro-F1 divided by the in-language macro-F1 of B. "
        "CSV and LaTeX versions: [tables/](tables/); error analysis: [errors.md](errors.md).\n\n"
        "## Main table\n\n" + tables
        + "\n## Annotators as a human reference\n\nEach annotator pair's macro-F1 against each other on the body "
          "paragraphs, beside the best model. The passes were made by AI annotation agents, so this is a "
          "reference point, not a human ceiling.\n\n" + human
        + f"\n## Per-class F1 ({HEADLINE})\n\n" + per_class_tables(records)
        + "\n## Figures\n\n" + "".join(f"![{name}](figures/{name}.png)\n\n" for name in figures)
        + "PDF versions for papers are in [figures/](figures/).\n")


def publish(experiments_dir: Path, records: list[dict], curves: list[dict], passes: dict, corpus, gold: dict,
            schema) -> str:
    """Everything derived from the records and learning curves: tables, results page, error analysis, figures."""
    from . import figures
    from .release import config_rows

    tests, tables = publish_tables(experiments_dir / TABLES, records)
    folder = experiments_dir / figures.FIGURES
    rows = config_rows(corpus, gold, schema)["paragraphs"]
    drawn = {"label_distribution": figures.label_distribution(rows, {n: f.labels for n, f in schema.fields.items()}),
             "confusion_matrices": figures.confusion_matrices(records, tests),
             "transfer_heatmap": figures.transfer_heatmap(records)}
    if curves:
        drawn["learning_curve"] = figures.learning_curve(curves)
    drawn = {name: figure for name, figure in drawn.items() if figure is not None}
    for name, figure in drawn.items():
        figures.save(figure, folder, name)
    body = {i for i, row in gold.items() if row.labels["kind"] == "body"}
    results = experiments_dir / "results"
    human = human_reference(records, passes, body, tests)
    atomic_write(results / "README.md", results_page(records, tests, tables, human, list(drawn)))
    texts = {p.id: p.text for p in corpus.paragraphs}
    atomic_write(results / "errors.md", error_analysis(records, texts, tests))
    return tables

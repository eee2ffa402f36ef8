import csv
import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from bench.cli import main
from bench.evaluation.config import load_config
from bench.evaluation.external import DatasetSpec, load
from bench.evaluation.runner import plan, run_plans
from bench.evaluation.settings import split
from bench.files import BenchError

# A small stance set: the wording carries the stance, in two languages, with groups and a given split.
WORDS = {
    ("en", "FAVOR"): "I fully support {t}, it is right and good",
    ("en", "AGAINST"): "I strongly oppose {t}, it is wrong and bad",
    ("en", "NONE"): "Today there was news about {t} and the weather",
    ("nl", "FAVOR"): "Ik steun {t} volledig, het is goed en juist",
    ("nl", "AGAINST"): "Ik ben fel tegen {t}, het is slecht en fout",
    ("nl", "NONE"): "Vandaag was er nieuws over {t} en het weer",
}
TARGETS = ("the new law", "the mayor")


def stance_rows(per_cell: int = 4) -> list[dict]:
    rows = []
    for (language, label), template in WORDS.items():
        for i in range(per_cell):
            target = TARGETS[i % 2]
            rows.append({"id": f"{language}{label}{i}", "tweet": template.format(t=target) + f" ({i})",
                         "stance": label, "target": target, "lang": language, "source": f"{language}-g{i % 3}",
                         "part": "test" if i == 0 else "train"})
    return rows


def write_csv(path, rows, delimiter=",", encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]), delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_config(folder, dataset: dict, settings=("given_split",), model="tfidf", name="external") -> str:
    path = folder / f"{name}.yaml"
    path.write_text(json.dumps({"name": name, "model": {"name": model}, "settings": list(settings),
                                "folds": 3, "dataset": dataset}), encoding="utf-8")
    return str(path)


COLUMNS = {"text": "tweet", "label": "stance", "target": "target", "language": "lang", "group": "source",
           "split": "part", "id": "id"}


@pytest.mark.parametrize("suffix, delimiter, encoding", [(".csv", ",", "utf-8"), (".tsv", "\t", "latin-1")])
def test_a_delimited_file_runs_every_setting(project, tmp_path, capsys, suffix, delimiter, encoding):
    rows = stance_rows()
    rows[0]["tweet"] += " café"  # a character whose bytes differ between the encodings
    write_csv(tmp_path / f"stance{suffix}", rows, delimiter, encoding)
    config = write_config(tmp_path, {"path": f"stance{suffix}", "encoding": encoding, "columns": COLUMNS,
                                     "labels": ["FAVOR", "AGAINST", "NONE"]},
                          settings=("given_split", "in_language", "cross_lingual", "leave_one_story_out"))
    out = tmp_path / "out"
    assert main(["--root", str(project.root), "run", config, "--out", str(out)]) == 0
    record = json.loads((out / "records" / "external.json").read_text())
    assert record["dataset"]["rows"] == len(rows)
    assert record["provenance"]["data_sha256"] == record["dataset"]["sha256"]
    results = {r["evaluation"]: r for r in record["results"]}
    assert set(results) == {"given_split:all", "in_language:en", "in_language:nl", "cross_lingual:en>nl",
                            "cross_lingual:nl>en", "leave_one_story_out:all"}
    given = results["given_split:all"]
    fold = {key: value for key, value in given["folds"][0].items() if key not in ("train_docs", "test_docs")}
    assert given["n_test"] == 6 and len(given["folds"]) == 1 and fold == {
        "by": "split", "train": ["train"], "test": ["test"], "n_train": 18, "n_test": 6, "unseen_classes": [],
        "test_classes": ["FAVOR", "AGAINST", "NONE"]}
    assert given["story_disjoint"] is None, "an external data set declares no stories"
    assert given["scores"]["macro_f1"]["mean"] == 1.0, "the wording decides the stance"
    assert "f_avg" in given["scores"], "FAVOR and AGAINST are recognised as the stance poles"
    for fold in results["in_language:en"]["folds"]:
        assert len(fold["test"]) == 1, "three groups in a language: leave one group out"
    # The split column holds in every setting: a language's test rows (i = 0, all in group g0) are tested by a
    # model trained on its train rows of the other groups (i = 1, 2: six rows), or, across languages, on all
    # of the other language's train rows (i = 1, 2, 3: nine rows); validation and test rows never train.
    assert [(f["test"], f["n_train"], f["n_test"]) for f in results["in_language:en"]["folds"]] == [(["en-g0"], 6, 3)]
    assert [(f["n_train"], f["n_test"]) for f in results["cross_lingual:en>nl"]["folds"]] == [(9, 3)]
    assert sum(f["n_test"] for f in results["leave_one_story_out:all"]["folds"]) == 6
    for r in results.values():
        for fold in r["folds"]:
            assert not set(fold["train"]) & set(fold["test"])
    assert "given_split:all" in (out / "tables" / "results.md").read_text()
    assert not (project.experiments / "results" / "records" / "external.json").exists()


def test_json_lines_and_grouped_k_fold(project, tmp_path):
    rows = stance_rows(per_cell=8)
    (tmp_path / "stance.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    columns = {"text": "tweet", "label": "stance", "group": "id"}  # every row its own group: 48 > 3 folds
    config = load_config(write_config(tmp_path, {"path": "stance.jsonl", "columns": columns},
                                      settings=("leave_one_story_out",)))
    task, examples, _ = load(config.dataset)
    assert task.labels == ("AGAINST", "FAVOR", "NONE") and task.target is None
    [[result]] = run_plans([plan(config, {}, None, None, "")])
    assert len(result.folds) == 3, "more groups than folds: GroupKFold"
    tested = [group for fold in result.folds for group in fold.test]
    assert sorted(tested) == sorted(r["id"] for r in rows)


def test_a_datasets_folder_with_its_own_splits(tmp_path):
    datasets = pytest.importorskip("datasets")
    rows = stance_rows()
    splits = {name: datasets.Dataset.from_list([{k: r[k] for k in ("tweet", "stance")} for r in rows
                                                if r["part"] == name]) for name in ("train", "test")}
    datasets.DatasetDict(splits).save_to_disk(str(tmp_path / "saved"))
    config = load_config(write_config(tmp_path, {"path": "saved", "columns": {"text": "tweet", "label": "stance"}}))
    assert config.dataset.kind == "datasets"
    [[result]] = run_plans([plan(config, {}, None, None, "")])
    assert result.evaluation == "given_split:all" and result.n_test == 6


def test_the_same_results_with_two_jobs(tmp_path):
    write_csv(tmp_path / "stance.csv", stance_rows())
    config = load_config(write_config(tmp_path, {"path": "stance.csv", "columns": COLUMNS},
                                      settings=("in_language", "leave_one_story_out"), model="stratified"))
    one = run_plans([plan(config, {}, None, None, "")], jobs=1)
    assert run_plans([plan(config, {}, None, None, "")], jobs=2) == one


@pytest.mark.parametrize("content, message, line", [
    ('{"tweet": "a", "stance": "FAVOR"}\n{"tweet": "b", "stance": \n', "malformed JSON", 2),
    ('{"tweet": "a", "stance": "FAVOR"}\n{"tweet": "b", "stance": "MAYBE"}\n', "unknown label 'MAYBE'", 2),
    ('{"tweet": "a", "stance": "FAVOR", "id": 1}\n{"tweet": "b", "stance": "NONE", "id": 1}\n',
     "duplicate id '1' (first on line 1)", 2),
    ('{"tweet": "a", "stance": "FAVOR"}\n\n{"tweet": "  ", "stance": "NONE"}\n', "empty text in column 'tweet'", 3),
    ('{"tweet": "a", "label": "FAVOR"}\n', "no column 'stance' for the label", 1),
    ('{"tweet": "a", "stance": "FAVOR", "part": "holdout"}\n', "unknown split 'holdout'", 1),
])
def test_bad_rows_name_the_file_and_line(tmp_path, content, message, line):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    columns = {"text": "tweet", "label": "stance", "id": "id", "split": "part"}
    if "id" not in content:
        del columns["id"]
    if "part" not in content:
        del columns["split"]
    spec = DatasetSpec(str(path), columns, labels=("FAVOR", "AGAINST", "NONE"))
    with pytest.raises(BenchError) as error:
        load(spec)
    assert error.value.path == str(path) and error.value.line == line and message in error.value.message


def test_an_undecodable_file_names_its_encoding_and_line(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"tweet,stance\nok,FAVOR\n" + b"caf\xe9,NONE\n")
    with pytest.raises(BenchError, match=r"bad.csv:3: not valid UTF-8"):
        load(DatasetSpec(str(path), {"text": "tweet", "label": "stance"}))
    task, examples, _ = load(DatasetSpec(str(path), {"text": "tweet", "label": "stance"}, encoding="latin-1"))
    assert examples[1].text == "café"


def test_poles_must_be_labels_of_the_data(tmp_path):
    path = write_csv(tmp_path / "stance.csv", [{k: r[k] for k in ("tweet", "stance")} for r in stance_rows()])
    spec = DatasetSpec(str(path), {"text": "tweet", "label": "stance"}, poles=("FAVOUR", "AGAINST"))
    with pytest.raises(BenchError, match=r"stance.csv: pole\(s\) 'FAVOUR' not among the labels found"):
        load(spec)
    task, _, _ = load(DatasetSpec(str(path), {"text": "tweet", "label": "stance"}, poles=("FAVOR", "AGAINST")))
    assert task.poles == ("FAVOR", "AGAINST")


@pytest.mark.parametrize("dataset, message", [
    ({"path": "x.csv", "columns": {"text": "t"}}, "the column mapping needs label"),
    ({"path": "x.csv", "columns": {"text": "t", "label": "l", "tag": "x"}}, "unknown column role(s) tag"),
    ({"path": "x.xlsx", "columns": {"text": "t", "label": "l"}}, "unknown data set format '.xlsx'"),
    ({"path": "x.csv", "encoding": "utf-9", "columns": {"text": "t", "label": "l"}}, "unknown encoding 'utf-9'"),
    ({"path": "x.csv", "colums": {}}, "must be a mapping with a 'path' and a 'columns'"),
])
def test_dataset_config_errors(tmp_path, dataset, message):
    with pytest.raises(BenchError) as error:
        load_config(write_config(tmp_path, dataset))
    assert message in error.value.message and error.value.line is not None


def test_external_runs_need_their_own_folder_and_a_possible_setting(project, tmp_path, capsys):
    write_csv(tmp_path / "stance.csv", [{k: r[k] for k in ("tweet", "stance")} for r in stance_rows()])
    config = write_config(tmp_path, {"path": "stance.csv", "columns": {"text": "tweet", "label": "stance"}})
    assert main(["--root", str(project.root), "run", config]) == 1
    assert "needs --out FOLDER" in capsys.readouterr().err
    assert main(["--root", str(project.root), "run", config, "--out", str(tmp_path / "out")]) == 1
    assert f"{config}: external: setting 'given_split' needs a split column" in capsys.readouterr().err
    assert not (tmp_path / "out" / "records" / "external.json").exists()


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.dictionaries(st.sampled_from(["tweet", "stance", "id", "part", "lang"]),
                                     st.one_of(st.sampled_from(["a", "FAVOR", "NONE", "train", "test", "", " "]),
                                               st.integers(0, 2), st.none(), st.lists(st.integers(), max_size=1)),
                                     max_size=5), max_size=6))
def test_any_json_lines_rows_load_or_name_the_line(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("data") / "fuzz.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    spec = DatasetSpec(str(path), {"text": "tweet", "label": "stance", "id": "id", "split": "part", "language": "lang"})
    try:
        task, examples, summary = load(spec)
    except BenchError as error:
        assert error.path == str(path) and (error.line is None or 1 <= error.line <= len(rows))
    else:
        assert len(examples) == len(rows) == summary["rows"]
        assert all(e.text.strip() and e.label in task.labels for e in examples)


def test_the_documented_example_runs(repo, project, tmp_path):
    section = (repo.root / "docs" / "extending.md").read_text(encoding="utf-8").split("## Running the baselines on another data set")[1]
    (tmp_path / "semeval2016_tfidf.yaml").write_text(section.split("```yaml\n")[1].split("```")[0])
    (tmp_path / "data").mkdir()
    names = {"id": "ID", "tweet": "Tweet", "stance": "Stance", "target": "Target", "part": "Split",
             "source": "Source", "lang": "Language"}
    write_csv(tmp_path / "data" / "semeval2016.tsv", [{names[k]: v for k, v in r.items()} for r in stance_rows()],
              "\t", "latin-1")
    out = tmp_path / "results-semeval"
    assert main(["--root", str(project.root), "run", str(tmp_path / "semeval2016_tfidf.yaml"), "--out", str(out)]) == 0
    record = json.loads((out / "records" / "semeval2016_tfidf.json").read_text())
    assert [r["evaluation"] for r in record["results"]] == ["given_split:all"]


def test_without_settings_every_setting_the_data_supports_runs(tmp_path):
    rows = [{k: r[k] for k in ("tweet", "stance", "part", "source")} for r in stance_rows()]  # one language
    (tmp_path / "stance.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    path = tmp_path / "implicit.yaml"
    path.write_text(json.dumps({"model": {"name": "majority"}, "dataset": {"path": "stance.jsonl", "columns": {
        "text": "tweet", "label": "stance", "split": "part", "group": "source"}}}))
    [results] = run_plans([plan(load_config(path), {}, None, None, "")])
    assert [r.evaluation for r in results] == ["in_language:und", "leave_one_story_out:all", "given_split:all"]


# Bad input, round three: values that are no label or no text.

def load_jsonl(tmp_path, lines: list[str], labels=()):
    path = tmp_path / "data.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return load(DatasetSpec(str(path), {"text": "tweet", "label": "stance"}, labels=labels))


@pytest.mark.parametrize("lines, message, line", [
    (['{"tweet": "a", "stance": "FAVOR"}', '{"tweet": "b", "stance": NaN}'], "empty label in column 'stance'", 2),
    (['{"tweet": "a", "stance": "FAVOR"}', '{"tweet": "\\u200b\\u2060 \\ufeff", "stance": "NONE"}'],
     "empty text in column 'tweet'", 2),
    (['{"tweet": "a", "stance": "FAVOR"}', '{"tweet": "b", "stance": "\\u200b"}'], "empty label in column 'stance'", 2),
    (['{"tweet": "a", "stance": "FAVOR"}', '{"tweet": "b", "stance": "nan"}'],
     "label 'nan' reads as a missing value; list the data set's `labels:` to accept it", 2),
    (['{"tweet": "a", "stance": 1}', '{"tweet": "b", "stance": 2}', '{"tweet": "c", "stance": "1.0"}'],
     "label '1.0' is the number '1' written another way (first on line 1); write each label one way", 3),
    (['{"tweet": "a", "stance": "FAVOR", "stance": "NONE"}'], "key 'stance' given twice in one object", 1),
    (['{"tweet": "a", "stance": "FAVOR"}', '{"tweet": "b", "stance": ' + "[" * 60 + "]" * 60 + "}"],
     "nested more than 50 levels deep", 2),
])
def test_values_that_are_no_label_or_no_text_are_refused_at_their_line(tmp_path, lines, message, line):
    with pytest.raises(BenchError) as refused:
        load_jsonl(tmp_path, lines)
    assert (refused.value.message, refused.value.path, refused.value.line) == (message, str(tmp_path / "data.jsonl"), line)


def test_a_number_is_one_label_however_json_writes_it(tmp_path):
    """1 and 1.0 are the same JSON number, so the same class; labels lose white space and invisible characters."""
    task, examples, _ = load_jsonl(tmp_path, ['{"tweet": "a", "stance": 1}', '{"tweet": "b", "stance": 1.0}',
                                              '{"tweet": "c", "stance": 2}', '{"tweet": "d", "stance": " 2\\u200b"}'])
    assert task.labels == ("1", "2") and [e.label for e in examples] == ["1", "1", "2", "2"]
    task, _, _ = load_jsonl(tmp_path, ['{"tweet": "a", "stance": "NaN"}', '{"tweet": "b", "stance": "NONE"}'],
                            labels=("NaN", "NONE"))
    assert task.labels == ("NaN", "NONE"), "a label the config lists is a label"


def test_a_csv_of_two_columns_of_one_name_or_numbers_written_two_ways_is_refused(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("tweet,stance,stance\na,FAVOR,NONE\n")
    with pytest.raises(BenchError, match=r"data\.csv:1: column 'stance' appears twice in the header"):
        load(DatasetSpec(str(path), {"text": "tweet", "label": "stance"}))
    path.write_text("tweet,stance\na,1\nb,2\nc,1.00\n")
    with pytest.raises(BenchError, match=r"data\.csv:4: label '1.00' is the number '1' written another way \(first on line 2\)"):
        load(DatasetSpec(str(path), {"text": "tweet", "label": "stance"}))


def test_a_column_without_a_name_is_refused_in_the_config(tmp_path):
    with pytest.raises(BenchError, match="the column mapping gives no column name for label") as refused:
        load_config(write_config(tmp_path, {"path": "x.csv", "columns": {"text": "tweet", "label": " "}}))
    assert refused.value.line is not None


def test_a_datasets_folder_of_numbers_and_missing_values(tmp_path):
    """Parquet and `datasets` store numbers as floats: 1.0 is the label 1; a missing one (null, NaN) is refused."""
    datasets = pytest.importorskip("datasets")
    saved = str(tmp_path / "saved")
    datasets.Dataset.from_dict({"tweet": ["a", "b", "c"], "stance": [1.0, 2.0, 1.0]}).save_to_disk(saved)
    task, examples, _ = load(DatasetSpec(saved, {"text": "tweet", "label": "stance"}, labels=("1", "2")))
    assert [e.label for e in examples] == ["1", "2", "1"]
    for missing in (None, float("nan")):
        datasets.Dataset.from_dict({"tweet": ["a", "b"], "stance": [1.0, missing]}).save_to_disk(saved)
        with pytest.raises(BenchError) as refused:
            load(DatasetSpec(saved, {"text": "tweet", "label": "stance"}))
        assert (refused.value.message, refused.value.line) == ("empty label in column 'stance'", 2)


# Fuzzing the data set reader as `bench run` calls it (plan -> load): any header, cells and nesting.

CELLS = st.one_of(st.sampled_from(["a", "FAVOR", "NONE", "train", "test", "", " ", "\u200b", "1", "1.0", "NaN"]),
                  st.text(max_size=5))
COLUMN_NAMES = st.one_of(st.sampled_from(["tweet", "stance", "id", "part", "lang", ""]), st.text(max_size=3))
JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), CELLS),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(COLUMN_NAMES, inner, max_size=3)), max_leaves=8)


def csv_text(rows: list[list[str]]) -> str:
    stream = io.StringIO()
    csv.writer(stream).writerows(rows)
    return stream.getvalue()


FILES = {
    "csv": st.one_of(
        st.tuples(st.lists(COLUMN_NAMES, max_size=6), st.lists(st.lists(CELLS, max_size=6), max_size=8)),
        st.tuples(st.just(["tweet", "stance"]), st.lists(st.tuples(st.text("abé", min_size=1, max_size=4),
                                                                   st.sampled_from(["FAVOR", "NONE", "1", "2.0"])),
                                                         min_size=2, max_size=8)),
    ).map(lambda parts: csv_text([parts[0], *parts[1]])),
    "jsonl": st.lists(st.one_of(st.dictionaries(COLUMN_NAMES, JSON_VALUES, max_size=6).map(json.dumps),
                                JSON_VALUES.map(json.dumps),
                                st.integers(0, 120).map(lambda depth: '{"tweet": ' + "[" * depth + "]" * depth + "}")),
                      max_size=8).map(lambda lines: "\n".join(lines)),
}


@settings(max_examples=100, deadline=timedelta(seconds=5))
@given(data=st.data(), kind=st.sampled_from(sorted(FILES)))
def test_any_data_file_loads_or_is_refused_and_is_left_as_it_was(tmp_path_factory, data, kind):
    folder = tmp_path_factory.mktemp("data")
    path = folder / f"fuzz.{kind}"
    content = data.draw(FILES[kind]).encode("utf-8")
    path.write_bytes(content)
    try:
        task, examples, _ = load(DatasetSpec(str(path), {"text": "tweet", "label": "stance"}))
    except BenchError as error:
        event(f"refused: {error.message[:25]}")
        assert error.path == str(path)
    else:
        event("accepted")
        assert all(e.text.strip() and e.label in task.labels for e in examples)
        assert len(set(task.labels)) == len(task.labels) >= 2
    assert list(folder.iterdir()) == [path] and path.read_bytes() == content, "reading writes nothing"


# Cross-lingual given split: train on some languages' train rows, test on others' test rows, scores per language.

def write_yaml_config(folder, dataset_lines: str, settings: str | None = "settings: [given_split]") -> str:
    """A config written line by line, so each error's line can be read off the text."""
    path = folder / "xling.yaml"
    path.write_text("model: {name: tfidf}\ndataset:\n  path: stance.csv\n" + dataset_lines
                    + (f"{settings}\n" if settings else ""), encoding="utf-8")
    return str(path)


XLING_COLUMNS = "  columns: {text: tweet, label: stance, language: lang, split: part, id: id}\n"


@pytest.mark.parametrize("dataset_lines, settings, message, key", [
    ("  columns: {text: tweet, label: stance}\n  train_languages: [en]\n", "settings: [given_split]",
     "'train_languages' needs a language column", "train_languages"),
    (XLING_COLUMNS + "  test_languages: nl\n", "settings: [given_split]",
     "'dataset.test_languages' must be a non-empty list of names", "test_languages"),
    (XLING_COLUMNS + "  train_languages: []\n", "settings: [given_split]",
     "'dataset.train_languages' must be a non-empty list of names", "train_languages"),
    (XLING_COLUMNS + "  languages: [en, nl, en]\n", "settings: [given_split]",
     "'dataset.languages' names 'en' twice", "languages"),
    (XLING_COLUMNS + "  languages: [en]\n  test_languages: [nl]\n", "settings: [given_split]",
     "'test_languages' names 'nl', which 'languages' leaves out", "test_languages"),
    (XLING_COLUMNS + "  report_by: [language, '']\n", "settings: [given_split]",
     "'dataset.report_by' must be a non-empty list of names", "report_by"),
    (XLING_COLUMNS + "  train_languages: [en]\n  test_languages: [nl]\n", "settings: [given_split, in_language]",
     "setting(s) 'in_language' choose their own languages; 'dataset.train_languages' and 'test_languages' apply "
     "to given_split only", "settings"),
])
def test_cross_lingual_config_errors_name_the_line(tmp_path, dataset_lines, settings, message, key):
    path = write_yaml_config(tmp_path, dataset_lines, settings)
    lines = (tmp_path / "xling.yaml").read_text().splitlines()
    with pytest.raises(BenchError) as refused:
        load_config(path)
    assert message in refused.value.message
    assert refused.value.line == next(i for i, line in enumerate(lines, 1) if line.strip().startswith(f"{key}:"))


def test_without_settings_chosen_languages_run_the_given_split_alone(tmp_path):
    config = load_config(write_yaml_config(tmp_path, XLING_COLUMNS + "  train_languages: [en]\n", settings=None))
    assert config.settings == ("given_split",)


def xling_plan(tmp_path, rows, dataset_lines: str):
    write_csv(tmp_path / "stance.csv", rows)
    return plan(load_config(write_yaml_config(tmp_path, dataset_lines)), {}, None, None, "")


def test_a_cross_lingual_given_split_trains_on_no_row_of_a_test_language_or_the_test_split(tmp_path):
    rows = stance_rows()
    rows += [dict(r, id=r["id"].replace("en", "de", 1), lang="de", tweet=r["tweet"] + " (de)")
             for r in stance_rows() if r["lang"] == "en"]
    for r in rows[::5]:
        r["part"] = "val"  # the usual short name of the validation split: never trained or tested on
    found = xling_plan(tmp_path, rows, XLING_COLUMNS + "  train_languages: [en, nl]\n  test_languages: [de]\n")
    [(task, examples, evaluation, _)] = found.units
    assert evaluation.name == "given_split:en+nl>de"
    [fold] = evaluation.folds
    train, test = split(examples, fold)
    by_id = {r["id"]: r for r in rows}
    assert {(by_id[e.id]["lang"], by_id[e.id]["part"]) for e in train} == {("en", "train"), ("nl", "train")}
    assert {(by_id[e.id]["lang"], by_id[e.id]["part"]) for e in test} == {("de", "test")}
    assert {e.id for e in train} == {r["id"] for r in rows if r["lang"] in ("en", "nl") and r["part"] == "train"}
    assert {e.id for e in test} == {r["id"] for r in rows if r["lang"] == "de" and r["part"] == "test"}
    [[result]] = run_plans([found])
    assert result.train_language == "en+nl" and result.test_language == "de"
    assert result.folds[0].n_train == len(train) and not set(result.folds[0].train_docs) & {
        r["id"] for r in rows if r["lang"] == "de" or r["part"] != "train"}


def test_per_language_and_per_column_scores_in_the_record(project, tmp_path):
    from sklearn.metrics import f1_score
    write_csv(tmp_path / "stance.csv", stance_rows())
    config = write_yaml_config(tmp_path, XLING_COLUMNS + "  train_languages: [en]\n  test_languages: [en, nl]\n"
                               "  report_by: [language, source]\n")
    out = tmp_path / "out"
    assert main(["--root", str(project.root), "run", config, "--out", str(out)]) == 0
    [result] = json.loads((out / "records" / "xling.json").read_text())["results"]
    assert result["evaluation"] == "given_split:en>en+nl"
    assert list(result["reported_by"]) == ["language", "source"]
    language = {row["id"]: row["lang"] for row in stance_rows()}
    source = {row["id"]: row["source"] for row in stance_rows()}
    for column, of in (("language", language), ("source", source)):
        values = result["reported_by"][column]
        assert set(values) == {of[p["id"]] for p in result["predictions"]}
        assert sum(v["n_test"] for v in values.values()) == result["n_test"]
        for value, subset in values.items():
            rows = [p for p in result["predictions"] if of[p["id"]] == value]
            gold, pred = [p["gold"] for p in rows], [p["pred"][0] for p in rows]
            assert subset["n_test"] == len(rows)
            assert subset["scores"]["macro_f1"]["mean"] == pytest.approx(
                f1_score(gold, pred, labels=sorted(set(gold)), average="macro", zero_division=0))
    table = (out / "tables" / "results.md").read_text()
    assert "### By reported column" in table and "| given_split:en>en+nl | language | nl |" in table


def test_a_language_the_data_lacks_or_a_side_without_rows_is_refused(project, tmp_path, capsys):
    write_csv(tmp_path / "stance.csv", stance_rows())
    config = write_yaml_config(tmp_path, XLING_COLUMNS + "  train_languages: [en]\n  test_languages: [it]\n")
    assert main(["--root", str(project.root), "run", config, "--out", str(tmp_path / "out")]) == 1
    assert "stance.csv: dataset.test_languages: no row of language 'it' (the data's languages: en, nl)" in \
        capsys.readouterr().err
    rows = [r for r in stance_rows() if r["lang"] == "en" or r["part"] == "train"]  # no Dutch test row
    write_csv(tmp_path / "stance.csv", rows)
    config = write_yaml_config(tmp_path, XLING_COLUMNS + "  train_languages: [en]\n  test_languages: [nl]\n")
    assert main(["--root", str(project.root), "run", config, "--out", str(tmp_path / "out")]) == 1
    assert "(train rows in en, test rows in nl; the data's languages: en, nl)" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_language_filter_keeps_its_languages_rows(tmp_path):
    write_csv(tmp_path / "stance.csv", stance_rows())
    config = load_config(write_yaml_config(tmp_path, XLING_COLUMNS + "  languages: [nl]\n",
                                           settings="settings: [given_split, in_language]"))
    task, examples, summary = load(config.dataset)
    assert {e.language for e in examples} == {"nl"}
    assert summary["rows"] == len(examples) == summary["rows_of_other_languages"] == len(stance_rows()) // 2


def test_a_tab_separated_csv_file_is_named_as_such(tmp_path):
    write_csv(tmp_path / "stance.csv", [{k: r[k] for k in ("tweet", "stance")} for r in stance_rows()], "\t")
    with pytest.raises(BenchError, match="stance.csv:1: the header is separated by tabs, not commas: set `format: tsv`"):
        load(DatasetSpec(str(tmp_path / "stance.csv"), {"text": "tweet", "label": "stance"}))
    task, examples, _ = load(DatasetSpec(str(tmp_path / "stance.csv"), {"text": "tweet", "label": "stance"},
                                         format="tsv"))
    assert len(examples) == len(stance_rows())


def test_the_documented_cross_lingual_block_is_the_shipped_example_s(repo, tmp_path):
    section = (repo.root / "docs" / "extending.md").read_text(encoding="utf-8").split("### Training on some languages, testing on another")[1]
    (tmp_path / "documented.yaml").write_text("model: {name: tfidf}\n" + section.split("```yaml\n")[1].split("```")[0])
    shipped = repo.root / "experiments" / "examples" / "multilingual_tfidf.yaml"
    (tmp_path / "multilingual.csv").write_bytes((shipped.parent / "multilingual.csv").read_bytes())
    written, example = load_config(tmp_path / "documented.yaml"), load_config(shipped)
    assert written.settings == example.settings
    assert replace(written.dataset, path="", languages=()) == replace(example.dataset, path="", format="")
    [[result]] = run_plans([plan(written, {}, None, None, "")])
    assert set(result.reported_by["language"]) == {"de", "en", "nl"}

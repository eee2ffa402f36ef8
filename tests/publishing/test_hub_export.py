import ast
import errno
import itertools
import json
import os
import re
from pathlib import Path

import pytest

pytest.importorskip("datasets")

from bench.cli import main  # noqa: E402
from bench.publishing.hub_configs import config_rows, configs  # noqa: E402
from bench.workflows.release import export_release  # noqa: E402


@pytest.mark.parametrize("config", ["paragraphs", "topic", "stance"])
def test_load_dataset_returns_the_gold_rows(exported, repo, config, tmp_path):
    from datasets import load_dataset
    schema, corpus = repo.schema(), repo.corpus()
    gold = repo.valid_gold(schema, corpus)
    assert configs(schema) == ["paragraphs", "topic", "stance"], "configs follow the label scheme"
    expected = config_rows(corpus, gold, schema)[config]
    loaded = load_dataset(str(exported), config, cache_dir=str(tmp_path))
    assert sorted(loaded) == ["en", "nl"]
    rows = []
    for language in ("en", "nl"):
        split = loaded[language]
        label_columns = [name for name, feature in split.features.items() if hasattr(feature, "names")]
        for row in split:
            rows.append({k: split.features[k].int2str(v) if k in label_columns else v for k, v in row.items()})
    assert sorted(rows, key=lambda r: (r["id"], r.get("target", ""))) == sorted(
        expected, key=lambda r: (r["id"], r.get("target", "")))
    if config == "paragraphs":
        assert len(rows) == 91
        for name, field in schema.fields.items():
            assert loaded["en"].features[name].names == list(field.labels)
    else:
        labels = schema.fields["topic" if config == "topic" else "stance_war"].labels
        assert loaded["nl"].features["label"].names == list(labels)
    if config == "stance":
        assert len(rows) == 2 * 70 and {r["target"] for r in rows} == {"war", "defector"}  # 70 body paragraphs


def test_load_dataset_without_a_config_name_gives_the_default_every_paragraph(exported, repo, tmp_path):
    from datasets import load_dataset
    from huggingface_hub import DatasetCard
    [default] = [c["config_name"] for c in DatasetCard.load(exported / "README.md").data.configs if c.get("default")]
    loaded = load_dataset(str(exported), cache_dir=str(tmp_path))
    assert default == "paragraphs" and sorted(loaded) == ["en", "nl"]
    assert sorted([*loaded["en"]["id"], *loaded["nl"]["id"]]) == sorted(p.id for p in repo.corpus().paragraphs)


def test_export_is_byte_identical_on_a_rerun(exported, repo, tmp_path):
    again = tmp_path / "again"
    export_release(repo, again)
    first = {p.relative_to(exported): p.read_bytes() for p in exported.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert first == second


def test_card_metadata_parses_with_the_hub_tooling(exported):
    from huggingface_hub import DatasetCard
    card = DatasetCard.load(exported / "README.md")
    data = card.data
    assert data.pretty_name and data.language == ["en", "nl"] and data.license
    assert "stance-detection" in data.tags and "cross-lingual" in data.tags
    assert {c["config_name"] for c in data.configs} == {"paragraphs", "topic", "stance", "folds", "alignment"}
    assert "Krippendorff" in card.text and "| tfidf |" in card.text


def test_export_refuses_a_folder_it_did_not_write(tmp_path, repo):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["--root", str(repo.root), "export-hf", str(tmp_path)]) == 1
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_push_dry_run_lists_the_files_without_network(repo, capsys, no_network, monkeypatch):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    assert main(["--root", str(repo.root), "push-hf", "someone/deserter-bench", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would upload to dataset someone/deserter-bench" in out
    assert "README.md" in out and "stance/nl-00000-of-00001.parquet" in out
    assert ".deserter-bench-export" not in out


def test_push_without_a_token_is_a_clear_error(repo, capsys, monkeypatch, tmp_path, no_network):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert main(["--root", str(repo.root), "push-hf", "someone/deserter-bench"]) == 1
    assert "no Hugging Face token: set HF_TOKEN or log in" in capsys.readouterr().err


def test_push_never_prints_the_token(repo, capsys, monkeypatch, tmp_path, no_network):
    secret = "hf_" + "s3cr3t" * 6
    monkeypatch.setenv("HF_TOKEN", secret)
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    assert main(["--root", str(repo.root), "push-hf", "someone/deserter-bench"]) == 1
    captured = capsys.readouterr()
    assert "could not reach the Hugging Face Hub" in captured.err
    assert secret not in captured.out + captured.err


def test_folds_and_alignment_load_as_configs(exported, tmp_path):
    from datasets import load_dataset
    folds = load_dataset(str(exported), "folds", cache_dir=str(tmp_path))["full"]
    disjoint = {row["evaluation"] for row in folds if row["story_disjoint"]}
    assert disjoint == {"in_language:nl", "cross_lingual:en>nl", "cross_lingual:nl>en", "leave_one_story_out:all"}
    for row in folds:
        assert not set(row["train_docs"]) & set(row["test_docs"])
        if row["story_disjoint"]:
            assert not set(row["train_stories"]) & set(row["test_stories"])
    alignment = load_dataset(str(exported), "alignment", cache_dir=str(tmp_path))["full"]
    by_name = {name: [row for row in alignment if row["alignment"] == name]
               for name in ("cross_language", "same_language")}
    assert all(by_name.values()) and len(alignment) == sum(map(len, by_name.values()))
    assert all(row["left"].startswith("000-") for row in by_name["cross_language"])
    assert all(row["left"].startswith("001-") and row["right"].startswith("003-") for row in by_name["same_language"])
    assert alignment.features["relation"].names == ["equivalent", "partial"]


def without_sizes(value):
    """Card metadata without the byte sizes of `dataset_info`, which an export without texts has smaller."""
    if isinstance(value, dict):
        return {key: without_sizes(item) for key, item in value.items()
                if key not in ("num_bytes", "download_size", "dataset_size")}
    return [without_sizes(item) for item in value] if isinstance(value, list) else value


def test_a_text_free_export_is_rebuilt_from_ones_own_copies(repo, exported, tmp_path):
    import shutil
    import subprocess
    import sys
    bare = tmp_path / "bare"
    export_release(repo, bare, texts=False)
    from huggingface_hub import DatasetCard
    withheld = ("This copy withholds the texts: every `text` is empty, while ids, hashes and labels stay. "
                "`rebuild_texts.py` fills them in from your own copies of the articles (Source Data says where each "
                "was published), checking each paragraph's SHA-256.\n\n")
    full, without = (DatasetCard.load(folder / "README.md") for folder in (exported, bare))
    at = full.text.index("Labels are `ClassLabel` features")
    example = config_rows(repo.corpus(), repo.valid_gold(repo.schema(), repo.corpus()), repo.schema())["topic"][0]
    shown, withheld_example = (f'"text": {json.dumps(text, ensure_ascii=False)},' for text in (example["text"], None))
    assert without.text == (full.text[:at] + withheld + full.text[at:]).replace(shown, withheld_example)
    assert without_sizes(without.data.to_dict()) == without_sizes(full.data.to_dict()), "only the empty texts' bytes"
    script = (bare / "rebuild_texts.py").read_text()
    imported = {alias.name.split(".")[0] for node in ast.walk(ast.parse(script)) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(ast.parse(script))
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported == {"__future__", "hashlib", "re", "sys", "pathlib", "datasets"}, "the script needs no bench"
    copies = tmp_path / "copies"
    shutil.copytree(repo.seeds, copies)
    done = subprocess.run([sys.executable, str(bare / "rebuild_texts.py"), str(bare), str(copies)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    usage = subprocess.run([sys.executable, str(bare / "rebuild_texts.py")], capture_output=True, text=True)
    assert usage.returncode != 0 and "Usage: python rebuild_texts.py" in usage.stderr
    assert all(f"  {d.file}: {d.publisher}, {d.url}\n" in usage.stderr for d in repo.corpus().documents), usage.stderr
    from datasets import Dataset
    for path in sorted(exported.glob("*/*.parquet")):
        rebuilt = Dataset.from_parquet(str(bare / path.relative_to(exported)))
        assert rebuilt.to_list() == Dataset.from_parquet(str(path)).to_list() or "text" not in rebuilt.column_names
    # An altered copy is refused, naming the paragraph, and nothing is filled in.
    again = tmp_path / "again"
    export_release(repo, again, texts=False)
    first = sorted(copies.glob("000_*.txt"))[0]
    first.write_text(first.read_text().replace("Mishov", "Misjov", 1))
    refused = subprocess.run([sys.executable, str(again / "rebuild_texts.py"), str(again), str(copies)],
                             capture_output=True, text=True)
    assert refused.returncode != 0 and "000-01 differs" in refused.stderr


def test_the_card_shows_the_headline_with_what_it_can_detect(exported, repo):
    """The card's results are the README's headline block, legend and detectable differences included; its
    version and changelog are the package's."""
    from huggingface_hub import DatasetCard

    from bench import __version__
    from bench.publishing.prose import headline_of
    from bench.publishing.records import load_records

    card = (exported / "README.md").read_text(encoding="utf-8")
    headline = headline_of(load_records(repo.records)[0])
    assert headline in card and "detectable difference (α 0.05, power 0.8)" in headline
    assert "F_avg over the poles present in the test gold" in card and "§" not in card
    assert "| transfer " not in headline and "(same story)" not in headline
    assert "version" not in DatasetCard(card).data.to_dict(), "the Hub ignores a version key: it is in the prose"
    assert f"describes version {__version__} of the data set" in card and f"- **{__version__}**:" in card
    assert f"(Version {__version__}) [Data set]" in card
    assert "multilingual:all" not in card and "leave_one_story_out:all" in card


def test_the_cards_configs_and_splits_are_the_files_the_export_writes(exported):
    from huggingface_hub import DatasetCard
    card = DatasetCard.load(exported / "README.md")
    named = {f["path"]: (c["config_name"], f["split"]) for c in card.data.configs for f in c["data_files"]}
    assert set(named) == {str(p.relative_to(exported)) for p in exported.glob("*/*.parquet")}
    assert all(path.startswith(f"{config}/{split}-") for path, (config, split) in named.items())
    for config in ("folds", "alignment"):
        [split] = {split for name, split in named.values() if name == config}
        assert f"- `{config}` (one split, `{split}`)" in card.text
    languages = sorted({split for name, split in named.values() if name == "paragraphs"})
    assert f"| config | {' | '.join(languages)} |" in card.text


def test_export_onto_a_file_is_refused(tmp_path, repo, capsys):
    target = tmp_path / "taken"
    target.write_text("mine")
    assert main(["--root", str(repo.root), "export-hf", str(target)]) == 1
    assert f"{target}: is a file; export-hf writes a folder" in capsys.readouterr().err
    assert target.read_text() == "mine" and [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_export_into_the_current_folder_fills_an_empty_one_and_never_deletes_another(tmp_path, repo, capsys,
                                                                                    monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    assert main(["--root", str(repo.root), "export-hf", "."]) == 0
    assert empty.is_dir() and (empty / "README.md").is_file() and (empty / ".deserter-bench-export").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["empty"], "no staging folder is left beside it"
    assert main(["--root", str(repo.root), "export-hf", "."]) == 0, "an earlier export is replaced"
    monkeypatch.chdir(repo.root)
    before = {p: p.stat().st_mtime_ns for p in repo.root.iterdir()}
    assert main(["--root", str(repo.root), "export-hf", "."]) == 1
    assert "output folder is not empty and holds no earlier export" in capsys.readouterr().err
    assert {p: p.stat().st_mtime_ns for p in repo.root.iterdir()} == before


def test_the_card_links_its_licence_as_the_hub_asks_for_license_other(exported):
    from huggingface_hub import DatasetCard
    data = DatasetCard.load(exported / "README.md").data
    assert data.license == "other" and data.license_name == "research-excerpts"
    assert data.license_link == "LICENSE.md" and "MIT licence" in (exported / "LICENSE.md").read_text()


def test_the_marker_lists_every_file_the_export_writes_croissant_included(exported):
    from bench.publishing.hub_export import release_files, written_by
    assert written_by(exported) == sorted(str(p.relative_to(exported)) for p in release_files(exported))
    assert {"README.md", "LICENSE.md", "croissant.json"} <= set(written_by(exported))


@pytest.mark.parametrize("repo_id", ["bad id!!", "a/b/c", "someone/.x", "someone/x--"])
def test_push_refuses_an_invalid_repository_id_even_in_a_dry_run(repo, capsys, no_network, repo_id):
    assert main(["--root", str(repo.root), "push-hf", repo_id, "--dry-run"]) == 1
    assert "error: invalid dataset repository id" in capsys.readouterr().err


def test_push_refuses_a_folder_that_is_not_an_export(repo, capsys, no_network, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    for folder in (tmp_path, tmp_path / "missing"):
        assert main(["--root", str(repo.root), "push-hf", "someone/x", "--folder", str(folder)]) == 1
        assert f"{folder}: not a folder written by `bench export-hf`" in capsys.readouterr().err


# Bad input and failures, round three: what an export may replace, and what a failed or killed one leaves.

@pytest.fixture(scope="module")
def inputs(repo):
    from bench.annotation.agreement import round_agreements
    from bench.data.alignment import load_alignments
    from bench.data.labels import changes_from_previous
    schema, corpus = repo.schema(), repo.corpus()
    return {"corpus": corpus, "gold": repo.valid_gold(schema, corpus), "schema": schema,
            "agreement": round_agreements(repo.labels, corpus),
            "alignments": list(load_alignments(repo.labels, corpus).values()),
            "changes": changes_from_previous(repo.labels, schema, corpus)}


@pytest.fixture
def quick(inputs):
    """`export` of the checkout's data without records: the card's headline is what takes time, and these tests
    read no headline."""
    from bench.publishing.hub_export import export
    from bench.publishing.records import Results

    def run(out, texts=True):
        export(out, records=Results([]), texts=texts, **inputs)
        return out
    return run


def tree(root):
    """Every file (its bytes) and folder (None) below ROOT: what a kill at this moment would leave there."""
    return {str(p.relative_to(root)): p.read_bytes() if p.is_file() else None for p in sorted(Path(root).rglob("*"))}


def plant(state, root):
    """Lay out on disk a state that `tree` took of a folder."""
    Path(root).mkdir(parents=True)
    for name, content in state.items():
        path = Path(root) / name
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)


@pytest.mark.parametrize("added, named", [
    ("NOTES.md", "NOTES.md"), ("articles/000_mishov.txt", "articles"), (".git/HEAD", ".git"),
    ("topic/mine.txt", "topic/mine.txt")])
def test_an_earlier_export_holding_anything_of_the_users_is_refused_naming_it(repo, quick, tmp_path, refused, added,
                                                                              named):
    out = quick(tmp_path / "out")
    (out / added).parent.mkdir(parents=True, exist_ok=True)
    (out / added).write_text("mine")
    refused(repo, ["export-hf", str(out)],
            f"error: {out / named}: not written by export-hf; move it away or export to another folder", tmp_path)
    refused(repo, ["export-hf", str(out), "--without-texts"], f"error: {out / named}: not written", tmp_path)


def test_a_link_in_an_earlier_export_is_refused_and_what_it_points_to_kept(repo, quick, tmp_path, refused):
    out = quick(tmp_path / "export" / "out")
    mine = tmp_path / "mine"
    (mine / "notes").mkdir(parents=True)
    (mine / "notes" / "draft.md").write_text("mine")
    (out / "README.md").unlink()
    (out / "README.md").symlink_to(mine / "notes" / "draft.md")
    refused(repo, ["export-hf", str(out)], f"error: {out / 'README.md'}: not written by export-hf", tmp_path)
    assert (mine / "notes" / "draft.md").read_text() == "mine"


def test_an_earlier_exports_own_files_are_replaced_even_those_this_export_no_longer_writes(quick, tmp_path):
    from bench.publishing.hub_export import MARKER
    fresh = tree(quick(tmp_path / "fresh" / "out"))
    out = quick(tmp_path / "work" / "out", texts=False)
    (out / MARKER).write_text("Written by `bench export-hf`; the folder is replaced on the next export.\n")  # older
    assert tree(quick(out)) == fresh, "an older export (its marker lists no files) is replaced, its script too"
    retired = out / "sentiment" / "en-00000-of-00001.parquet"
    retired.parent.mkdir()
    retired.write_bytes(b"PAR1")
    (out / MARKER).write_text((out / MARKER).read_text() + "sentiment/en-00000-of-00001.parquet\n")
    assert tree(quick(out)) == fresh, "a file the earlier export lists as its own goes with it"
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def in_place(state, old, new):
    """OUT holds the old or the new export whole, or both lie beside it under our names (the new one alone where OUT
    was an empty folder)."""
    beside = {kind: [folder for name, folder in state.items() if name.startswith(f".out.export-{kind}-")]
              for kind in ("new", "old")}
    return state.get("out") in (old, new) or new in beside["new"] and (old in beside["old"] or not old)


@pytest.mark.parametrize("earlier", ["an export", "an empty folder"])
def test_a_kill_at_any_moment_leaves_a_complete_export_and_the_next_export_cleans_up(quick, tmp_path, monkeypatch,
                                                                                     earlier):
    """A kill -9 is a snapshot of the disk before any rename, replace or removal: each must hold a complete old or
    new export, and an export started from it must end with the new one alone."""
    new = tree(quick(tmp_path / "new" / "out"))
    out = tmp_path / "work" / "out"
    if earlier == "an export":
        quick(out, texts=False)
    else:
        out.mkdir(parents=True)
    old, states = tree(out), []

    def snapshotting(call):
        def run(*args, **kwargs):
            states.append({p.name: tree(p) for p in out.parent.iterdir()})
            return call(*args, **kwargs)
        return run

    with monkeypatch.context() as patched:
        for name in ("rename", "replace", "unlink", "rmdir"):
            patched.setattr(os, name, snapshotting(getattr(os, name)))
        quick(out)
    assert tree(out) == new and [p.name for p in out.parent.iterdir()] == ["out"]
    assert earlier != "an export" or any("out" not in state for state in states), "a moment between the renames"
    for number, state in enumerate(states):
        assert in_place(state, old, new), f"moment {number}: no complete export in place"
        again = tmp_path / f"restarted-{number}"
        for name, folder in state.items():
            plant(folder, again / name)
        assert tree(quick(again / "out")) == new
        assert [p.name for p in again.iterdir()] == ["out"], f"moment {number}: leftovers beside the export"


def failing_at(step, calls, call):
    """CALL, except that the STEP-th of the calls CALLS counts fails as on a full disk."""
    def run(*args, **kwargs):
        if next(calls) == step:
            raise OSError(errno.ENOSPC, "No space left on device")
        return call(*args, **kwargs)
    return run


def test_a_failure_at_any_step_is_one_error_and_leaves_the_earlier_export_as_it_was(quick, tmp_path, monkeypatch):
    from bench.files import BenchError
    out = quick(tmp_path / "out", texts=False)
    before = tree(tmp_path)
    for step in itertools.count():
        calls = itertools.count()
        with monkeypatch.context() as patched:
            patched.setattr(os, "rename", failing_at(step, calls, os.rename))
            patched.setattr(os, "replace", failing_at(step, calls, os.replace))
            try:
                quick(out)
            except BenchError as err:
                assert str(err).startswith(str(out)) and str(err).endswith(": cannot write: No space left on device")
                assert tree(tmp_path) == before, f"step {step}: the earlier export is not as it was"
                continue
        break
    assert step > 10, "every file's write and both renames were made to fail"
    assert "rebuild_texts.py" not in tree(out) and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_full_disk_is_one_error_naming_the_file_with_no_half_export(repo, quick, tmp_path, monkeypatch, capsys):
    out = quick(tmp_path / "out")
    before = tree(tmp_path)
    monkeypatch.setattr(os, "fsync", failing_at(1, itertools.count(), os.fsync))  # the marker, then a full disk
    assert main(["--root", str(repo.root), "export-hf", str(out), "--without-texts"]) == 1
    err = capsys.readouterr().err
    assert re.fullmatch(rf"error: {re.escape(str(out))}/paragraphs/\w+-00000-of-00001\.parquet: cannot write: "
                        r"No space left on device\n", err)
    assert tree(tmp_path) == before, "the earlier export stays, and nothing is left beside it"


def paragraph_leaks(folder, corpus):
    """Paragraph text in any file of an export: a whole paragraph of 40 or more characters, or 8 words in a row.

    A web address is no copy of the text: the export names the page each article was published on, and a page's
    address may spell out its title."""
    import pyarrow.parquet as pq

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, (list, dict)):
            for item in value.values() if isinstance(value, dict) else value:
                yield from strings(item)

    def words(text):
        return re.findall(r"\w+", re.sub(r'\\[nrt"\\]', " ", text).lower())

    def windows(text):
        found = words(text)
        return {tuple(found[i:i + 8]) for i in range(len(found) - 7)}

    found = []
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            texts = [*strings(table.to_pylist()), *(v.decode("utf-8") for v in (table.schema.metadata or {}).values())]
        else:
            texts = [path.read_text(encoding="utf-8")]
        texts = [re.sub(r"https?://[^\s\"',)|]+", " ", text) for text in texts]
        seen = set().union(*map(windows, texts))
        found += [(path.name, p.id) for p in corpus.paragraphs
                  if len(p.text) >= 40 and any(p.text in text for text in texts) or windows(p.text) & seen]
    return found


def test_an_export_without_texts_holds_no_paragraph_text_in_any_file(quick, inputs, tmp_path):
    corpus = inputs["corpus"]
    assert len(paragraph_leaks(quick(tmp_path / "full"), corpus)) > len(corpus.paragraphs), "the check finds texts"
    bare = quick(tmp_path / "bare", texts=False)
    assert {p.suffix for p in bare.rglob("*") if p.is_file()} == {".parquet", ".md", ".py", ".json", ""}
    assert paragraph_leaks(bare, corpus) == []
    assert all(d.url in (bare / name).read_text(encoding="utf-8") for d in corpus.documents
               for name in ("README.md", "croissant.json", "rebuild_texts.py")), "where to get each article stays"

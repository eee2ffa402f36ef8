import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

from bench.annotation.terminal import CONTEXT_LINES, Session, context_lines  # noqa: E402
from bench.cli import main  # noqa: E402
from bench.data.labels import load_annotations, read_label_file  # noqa: E402

NEW_ARTICLE = """A Russian sailor deserts in Norway

The sailor left his ship in Kirkenes and asked the Norwegian police for protection, saying he would not fight.

Norway's immigration directorate will decide on his asylum request within months.
"""


@pytest.fixture
def with_new_article(project):
    (project.seeds / "005_sailor.txt").write_text(NEW_ARTICLE)
    with (project.seeds / "manifest.csv").open("a") as manifest:
        manifest.write('005,005_sailor.txt,en,2026-01,sailor,"A test article added by the tests",,\n')
    return project


def spawn(project, annotator=None, practice=None, columns=200, env=None):
    """`bench label --doc 005` in a terminal of `columns` columns, as the annotator or (`practice`) as a trial."""
    who = ["--annotator", annotator] if annotator else ["--practice", *practice]
    return pexpect.spawn(sys.executable, ["-m", "bench.cli", "--root", str(project.root), "label", *who, "--doc", "005"],
                         encoding="utf-8", timeout=30, dimensions=(50, columns), env=env)


def answer(child, keys):
    for key in keys:
        child.expect(r"> $")
        child.send(key)


def log(project, annotator):
    path = project.labels / "annotations" / f"{annotator}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines() if '"005-' in line]


def test_a_new_article_goes_from_seeds_to_gold(with_new_article, capsys):
    project = with_new_article
    root = ["--root", str(project.root)]
    assert main([*root, "validate"]) == 1
    assert "paragraph 005-02 (" in capsys.readouterr().err

    # a1 labels the first paragraph, answers one field of the second, and the session is killed.
    child = spawn(project, "a1")
    child.expect(r"\[1/3\] 005-01")
    answer(child, "4133")  # boilerplate, motivation, none, none
    child.expect(r"\[2/3\] 005-02")
    answer(child, "1")
    child.expect(r"topic:")
    child.kill(signal.SIGKILL)
    child.wait()
    assert [row["id"] for row in log(project, "a1")] == ["005-01"]

    # The next session resumes at the paragraph that was on screen and shows the guideline on '?'.
    child = spawn(project, "a1")
    child.expect(r"\[1/2\] 005-02")
    answer(child, "?")
    child.expect("--- kind ---")
    answer(child, "1b")          # body, then back to kind
    answer(child, "1133")        # body, motivation, none, none
    child.expect(r"\[2/2\] 005-03")
    answer(child, "b")           # back to the previous paragraph
    child.expect(r"\[1/2\] 005-02")
    answer(child, "1131")        # body, motivation, none, favor
    child.expect(r"005-03")
    answer(child, "1433")        # body, asylum_policy, none, none
    child.expect("Nothing left to label")
    child.expect(pexpect.EOF)
    rows = log(project, "a1")
    assert [row["id"] for row in rows] == ["005-01", "005-02", "005-02", "005-03"]
    passes = load_annotations(project.labels, project.schema(), project.corpus())
    assert passes["a1"]["005-02"].labels["stance_defector"] == "favor", "the later row replaces the earlier"

    # a2 labels from a pipe; it disagrees on the topic of 005-02.
    keys = "4133" + "1231" + "1433"
    done = subprocess.run([sys.executable, "-m", "bench.cli", *root, "label", "--annotator", "a2", "--doc", "005"],
                          input=keys + "\n", capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "3 labelled, 0 relabelled, saved to" in done.stdout

    assert main([*root, "adjudicate"]) == 0
    out = capsys.readouterr().out
    assert "2 paragraph(s) where the annotators agree added" in out
    assert "005-02" in out and "topic: a1=motivation, a2=losses" in out
    assert main([*root, "adjudicate", "--resolve", "005-02", "--set", "topic=motivation",
                 "--reason", "He says why he would not fight; nothing is about losses."]) == 0
    assert main([*root, "validate"]) == 0
    capsys.readouterr()
    assert main([*root, "adjudicate", "--resolve", "005-02", "--set", "topic=losses", "--reason", "x"]) == 1
    assert "already has a gold label; it is never overwritten" in capsys.readouterr().err
    gold = {json.loads(line)["id"]: json.loads(line) for line in (project.labels / "gold.jsonl").read_text().splitlines()}
    assert gold["005-02"]["topic"] == "motivation" and gold["005-02"]["reasons"]["topic"].startswith("He says")
    assert gold["005-01"]["kind"] == "boilerplate" and gold["005-03"]["topic"] == "asylum_policy"


def test_quit_keeps_what_was_saved(with_new_article):
    child = spawn(with_new_article, "a9")
    answer(child, "2533")
    child.expect(r"005-02")
    answer(child, "q")
    child.expect("Quit")
    child.expect(pexpect.EOF)
    assert [row["id"] for row in log(with_new_article, "a9")] == ["005-01"]


def test_going_back_shows_the_earlier_answers_under_the_same_number(with_new_article):
    child = spawn(with_new_article, "a1")
    child.expect(r"\[1/3\] 005-01")
    answer(child, "4133")        # boilerplate, motivation, none, none
    child.expect(r"\[2/3\] 005-02")
    answer(child, "1133")        # body, motivation, none, none
    child.expect(r"\[3/3\] 005-03")
    answer(child, "b")
    child.expect(r"\[2/3\] 005-02")
    for default, key in (("body", "\r"), ("motivation", "4"), ("none", "\r"), ("none", "\r")):
        child.expect(rf"\[Enter\] keep {default} > $")
        child.send(key)          # keep body, change the topic to asylum_policy, keep both stances
    child.expect(r"\[3/3\] 005-03")
    answer(child, "b")
    child.expect(r"\[2/3\] 005-02.*\[Enter\] keep body > $")
    child.send("b")              # back again, past the first field, to the first paragraph
    child.expect(r"\[1/3\] 005-01")
    for default in ("boilerplate", "motivation", "none", "none"):
        child.expect(rf"\[Enter\] keep {default} > $")
        child.send("\r")         # nothing changes, so nothing is written
    child.expect(r"\[2/3\] 005-02")
    answer(child, "s")
    child.expect(r"\[3/3\] 005-03")
    answer(child, "q")
    child.expect("2 labelled, 1 relabelled, saved to")
    child.expect(pexpect.EOF)
    rows = log(with_new_article, "a1")
    assert [row["id"] for row in rows] == ["005-01", "005-02", "005-02"]
    assert rows[-1]["kind"] == "body" and rows[-1]["topic"] == "asylum_policy"


def test_the_paragraph_and_the_prompt_come_back_after_the_guideline(with_new_article):
    child = spawn(with_new_article, "a1")
    child.expect(r"\[1/3\] 005-01")
    answer(child, "4?")
    child.expect(r"--- topic ---.*\n---\r\n.*\[1/3\] 005-01.*>> A Russian sailor deserts.*after: The sailor left.*"
                 r"topic:.*> $")
    child.send("1")
    child.expect("stance_war")
    answer(child, "q")
    child.expect(pexpect.EOF)


def test_practice_writes_to_the_file_given_and_leaves_labels_untouched(with_new_article, tmp_path, snapshot):
    before = snapshot(with_new_article.labels)
    scratch = tmp_path / "practice.jsonl"
    child = spawn(with_new_article, practice=[str(scratch)])
    answer(child, "4133")
    child.expect(r"\[2/3\] 005-02")
    answer(child, "q")
    child.expect(re.escape(f"Practice: 1 labelled, 0 relabelled, saved to {scratch} (labels/ untouched)"))
    child.expect(pexpect.EOF)
    assert [json.loads(line)["id"] for line in scratch.read_text().splitlines()] == ["005-01"]
    assert snapshot(with_new_article.labels) == before


def test_practice_without_a_file_writes_a_new_temporary_one(with_new_article, tmp_path, snapshot):
    before = snapshot(with_new_article.labels)
    child = spawn(with_new_article, practice=[], env=dict(os.environ, TMPDIR=str(tmp_path)))
    answer(child, "4133q")
    child.expect(r"saved to (\S+) \(labels/ untouched\)")
    scratch = Path(child.match.group(1))
    child.expect(pexpect.EOF)
    assert scratch.parent == tmp_path and scratch.name.startswith("bench-practice-")
    assert [json.loads(line)["id"] for line in scratch.read_text().splitlines()] == ["005-01"]
    assert snapshot(with_new_article.labels) == before


@pytest.mark.parametrize("folder", ["labels", "seeds"])
def test_practice_refuses_a_file_in_the_benchmarks_folders(with_new_article, refused, folder):
    scratch = with_new_article.root / folder / "practice.jsonl"
    refused(with_new_article, ["label", "--practice", str(scratch), "--doc", "005"],
            f"error: {scratch}: is in the benchmark's {folder}/ folder; a practice file goes elsewhere")


def test_context_lines_wrap_at_words_and_stop_after_a_few_lines():
    text = " ".join(f"word{i}" for i in range(60))
    lines = context_lines("before", text, 40)
    assert len(lines) == CONTEXT_LINES and max(map(len, lines)) <= 40 and lines[-1].endswith(" …")
    assert lines[0].startswith("  before: word0 ") and lines[1].startswith("          word")
    shown = " ".join(lines).split()[1:-1]
    assert shown == text.split()[:len(shown)], "every word shown whole, in order"
    assert context_lines("after", "Short\n  text.", 40) == ["  after: Short text."]


def test_the_paragraph_and_its_neighbours_fit_the_terminal(project, monkeypatch):
    monkeypatch.setenv("COLUMNS", "50")
    corpus, shown = project.corpus(), []
    Session(corpus, project.schema(), Path("unused.jsonl"), iter(()), shown.append).show(corpus.paragraphs[1], 2, 9)
    lines = shown[0].splitlines()
    assert lines[1] == "=" * 50 and lines[2].startswith("[2/9] 000-02 ") and max(map(len, lines)) <= 50
    words = set(" ".join(p.text for p in corpus.paragraphs[:3]).split())
    assert set(" ".join(lines[3:]).split()) <= words | {"Article:", "before:", ">>", "after:", "…"}, "no word cut"


def test_resolve_needs_a_label_for_every_disputed_field(with_new_article, capsys):
    project = with_new_article
    for annotator, keys in (("a1", "2533" "1133" "1433"), ("a2", "2533" "1231" "1433")):
        subprocess.run([sys.executable, "-m", "bench.cli", "--root", str(project.root), "label", "--annotator",
                        annotator, "--doc", "005"], input=keys, capture_output=True, text=True, timeout=60, check=True)
    root = ["--root", str(project.root)]
    assert main([*root, "adjudicate", "--resolve", "005-02", "--reason", "x"]) == 1
    assert "choose a label for stance_defector, topic" in capsys.readouterr().err
    assert main([*root, "adjudicate", "--resolve", "005-02", "--set", "topic"]) == 1
    assert "--set takes FIELD=LABEL" in capsys.readouterr().err


def label_from(project, monkeypatch, annotator, keys, doc="005"):
    """`bench label` in this process, its key presses piped in."""
    monkeypatch.setattr("sys.stdin", io.StringIO(keys + "\n"))
    return main(["--root", str(project.root), "label", "--annotator", annotator, "--doc", doc])


def test_a_key_that_names_no_label_is_asked_again(with_new_article, monkeypatch, capsys):
    assert label_from(with_new_article, monkeypatch, "a9", "²x0" "4133" "q") == 0
    out = capsys.readouterr().out
    assert "unknown key '²'" in out and "unknown key 'x'" in out and "1 labelled, 0 relabelled" in out
    assert [row["kind"] for row in log(with_new_article, "a9")] == ["boilerplate"]


def test_label_of_an_unknown_document_is_refused(project, monkeypatch, refused):
    monkeypatch.setattr("sys.stdin", io.StringIO("4133\n"))
    refused(project, ["label", "--annotator", "a9", "--doc", "999"],
            "error: 999: no such document (known: 000, 001, 002, 003, 004)")


def test_label_on_a_full_disk_saves_nothing_and_says_so(with_new_article, monkeypatch, refused):
    write = os.write

    def half_then_full(descriptor, data):
        if half_then_full.called:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        half_then_full.called = True
        return write(descriptor, bytes(data[: len(data) // 2]))

    half_then_full.called = False
    monkeypatch.setattr("os.write", half_then_full)
    monkeypatch.setattr("sys.stdin", io.StringIO("4133\n"))
    path = with_new_article.labels / "annotations" / "a1.jsonl"
    refused(with_new_article, ["label", "--annotator", "a1", "--doc", "005"],
            f"error: {path}: cannot write: No space left on device")


def test_label_closes_a_last_line_left_without_its_newline(with_new_article, monkeypatch):
    path = with_new_article.labels / "annotations" / "a3.jsonl"
    path.write_text(path.read_text().rstrip("\n"))  # a hand edit
    assert label_from(with_new_article, monkeypatch, "a3", "4133q") == 0
    label_file = read_label_file(path, with_new_article.schema(), with_new_article.corpus(), revisions=True)
    assert label_file.problems == [] and "005-01" in label_file.by_id()


def test_label_refuses_an_annotator_file_linked_out_of_the_checkout(with_new_article, monkeypatch, tmp_path_factory,
                                                                    refused):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "a9.jsonl"
    path = with_new_article.labels / "annotations" / "a9.jsonl"
    path.symlink_to(elsewhere)
    monkeypatch.setattr("sys.stdin", io.StringIO("4133\n"))
    refused(with_new_article, ["label", "--annotator", "a9"], f"error: {path}: is a symbolic link to {elsewhere}, "
                                                              f"outside {with_new_article.root}; refusing to write")
    assert not elsewhere.exists()

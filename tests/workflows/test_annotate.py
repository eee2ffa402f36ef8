import errno
import json
import os
import subprocess
import sys
from contextlib import contextmanager

import pytest

import bench.files
import bench.workflows.annotate as annotate
from bench.cli import main
from bench.data.labels import GOLD, read_label_file
from bench.files import locked

AGREED, DISPUTED = ("000-01", "000-02"), "002-12"  # a1 and a2 agree on the first two; on 002-12, only
# stance_defector is disputed


@pytest.fixture
def undecided(project):
    """A checkout whose gold lacks two paragraphs the annotators agree on and one they dispute."""
    gold = project.labels / GOLD
    lines = gold.read_text().splitlines(keepends=True)
    gold.write_text("".join(line for line in lines if json.loads(line)["id"] not in (*AGREED, DISPUTED)))
    return project


def gold_ids(project):
    return [json.loads(line)["id"] for line in (project.labels / GOLD).read_text().splitlines()]


def test_adjudicate_adds_the_agreed_paragraphs_once(undecided, capsys):
    assert main(["--root", str(undecided.root), "adjudicate"]) == 0
    assert "2 paragraph(s) where the annotators agree added" in capsys.readouterr().out
    assert main(["--root", str(undecided.root), "adjudicate"]) == 0
    assert "0 paragraph(s) where the annotators agree added" in capsys.readouterr().out
    ids = gold_ids(undecided)
    assert ids[-2:] == list(AGREED) and len(ids) == len(set(ids))


def test_a_second_adjudicate_rereads_gold_under_the_lock(undecided, monkeypatch, capsys):
    """Two runs at once: the first takes the lock and adds the agreed rows while the second waits; the second
    then decides on what gold holds by then, so it adds nothing twice."""
    held = locked

    @contextmanager
    def first_runs_while_this_one_waits(path):
        monkeypatch.setattr(annotate, "locked", held)
        assert main(["--root", str(undecided.root), "adjudicate"]) == 0
        with held(path):
            yield

    monkeypatch.setattr(annotate, "locked", first_runs_while_this_one_waits)
    assert main(["--root", str(undecided.root), "adjudicate"]) == 0
    out = capsys.readouterr().out
    assert "2 paragraph(s) where the annotators agree added" in out
    assert "0 paragraph(s) where the annotators agree added" in out
    ids = gold_ids(undecided)
    assert len(ids) == len(set(ids)) and read_label_file(undecided.labels / GOLD, undecided.schema(),
                                                         undecided.corpus()).problems == []


def test_adjudicate_waits_for_another_writer_then_gives_up_clearly(undecided, monkeypatch, refused):
    monkeypatch.setattr(bench.files, "LOCK_WAIT", 0)
    with locked(undecided.labels / GOLD):
        refused(undecided, ["adjudicate"], f"{undecided.labels / GOLD}: another bench command is writing in "
                                           f"{undecided.labels}; try again once it has finished")


def test_adjudicate_closes_a_gold_line_left_without_its_newline(undecided, capsys):
    gold = undecided.labels / GOLD
    gold.write_text(gold.read_text().rstrip("\n"))  # a hand edit
    assert main(["--root", str(undecided.root), "adjudicate"]) == 0
    assert read_label_file(gold, undecided.schema(), undecided.corpus()).problems == []
    assert gold_ids(undecided)[-2:] == list(AGREED)


def test_adjudicate_on_a_full_disk_leaves_gold_as_it_was(undecided, monkeypatch, refused):
    def full(descriptor, data):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("os.write", full)
    refused(undecided, ["adjudicate"], f"error: {undecided.labels / GOLD}: cannot write: No space left on device")


def test_adjudicate_refuses_a_gold_file_linked_out_of_the_checkout(undecided, tmp_path_factory, refused):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "gold.jsonl"
    gold = undecided.labels / GOLD
    elsewhere.write_bytes(gold.read_bytes())
    gold.unlink()
    gold.symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    refused(undecided, ["adjudicate"], f"error: {gold}: is a symbolic link to {elsewhere}, outside "
                                       f"{undecided.root}; refusing to write through it")
    assert elsewhere.read_bytes() == before


@pytest.mark.parametrize("arguments, message", [
    (["--set", "topic=escape"], "--set needs --resolve ID"),
    (["--reason", "because"], "--reason needs --resolve ID"),
    (["--resolve", DISPUTED, "--set", "topic=escape", "--set", "topic=losses", "--reason", "x"],
     "--set topic is given 2 times; choose one label per field"),
])
def test_adjudicate_refuses_choices_it_would_drop(undecided, refused, arguments, message):
    refused(undecided, ["adjudicate", *arguments], f"error: {message}")


def test_resolve_writes_the_chosen_label_with_the_reason(undecided, capsys):
    assert main(["--root", str(undecided.root), "adjudicate", "--resolve", DISPUTED, "--set", "stance_defector=favor",
                 "--reason", "the appeal presents his decision as right"]) == 0
    row = json.loads((undecided.labels / GOLD).read_text().splitlines()[-1])
    assert row["id"] == DISPUTED and row["stance_defector"] == "favor" and row["topic"] == "motivation"
    assert row["reasons"] == {"stance_defector": "the appeal presents his decision as right"}


def test_two_adjudicate_processes_at_once_add_each_row_once(undecided):
    command = [sys.executable, "-m", "bench.cli", "--root", str(undecided.root), "adjudicate"]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    added = sorted(out.split(" paragraph(s) where")[0].splitlines()[-1] for out, _ in outputs)
    assert added == ["0", "2"]
    ids = gold_ids(undecided)
    assert len(ids) == len(set(ids))

import os
import sys

import pytest

from bench import progress
from bench.progress import Progress, report_written, say


def test_without_a_terminal_each_finished_step_is_one_counted_line(capsys):
    with Progress(2, "folds", unit="fit", total=10, noun="experiments") as shown:
        shown.start("majority")
        shown.advance(4)
        shown.finish("majority")
        shown.start("svm")
        shown.advance(6)
        shown.finish("svm", "0.215")
    err = capsys.readouterr().err
    assert err.splitlines() == ["[1/2] finished majority (0 s)", "[2/2] finished svm (0 s): 0.215"]
    with Progress(1, "export", logged=False) as quick, quick.step("the card"):  # work of seconds: no line
        pass
    assert capsys.readouterr().err == ""


def test_ci_turns_the_bar_off_even_on_a_terminal(monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("CI", raising=False)
    assert progress.bars_shown()
    monkeypatch.setenv("CI", "true")
    assert not progress.bars_shown()


def spawn_steps(code, env):
    """Python code run with a terminal as stderr, as a user runs bench; the terminal's whole output."""
    pexpect = pytest.importorskip("pexpect")
    child = pexpect.spawn(sys.executable, ["-c", code], encoding="utf-8", dimensions=(24, 150), timeout=60, env=env)
    child.expect(pexpect.EOF)
    return child.before


STEPS = ("from bench.progress import Progress\n"
         "with Progress(2, 'folds', unit='fit', total=3, noun='experiments') as shown:\n"
         "    shown.start('majority'); shown.advance(3); shown.finish('majority', 'done well')\n")


def test_on_a_terminal_a_bar_counts_the_units_and_names_the_step():
    environment = {key: value for key, value in os.environ.items() if key != "CI"}
    drawn = spawn_steps(STEPS, environment)
    assert "folds: 100%|" in drawn and "3/3 [" in drawn, "a bar with the count and the elapsed time"
    assert "majority; 0/2 experiments done" in drawn and "1/2 experiments done" in drawn
    assert "majority: done well" in drawn and "[1/2] finished" not in drawn, "the bar replaces the lines"
    plain = spawn_steps(STEPS, {**environment, "CI": "1"})
    assert "%|" not in plain and "[1/2] finished majority (0 s): done well" in plain


def test_a_message_and_the_closing_line_go_to_stderr(tmp_path, capsys):
    (tmp_path / "tables").mkdir()
    say("building multilingual-e5-small into CACHE (once, about 30 s)")
    report_written([tmp_path / "records", tmp_path / "tables", tmp_path / "README.md"])
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == ["building multilingual-e5-small into CACHE (once, about 30 s)",
                                f"wrote {tmp_path / 'records'}, {tmp_path / 'tables'}/, {tmp_path / 'README.md'}"]

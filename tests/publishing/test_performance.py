import re

import pytest

from bench.files import BenchError
from bench.publishing.performance import PERFORMANCE, performance_table, read_performance, scale_table


def test_the_commands_table_says_how_its_memory_was_measured():
    commands = {"machine": {"cpus": 2, "python": "3.11", "system": "Linux"},
                "commands": {"bench --help": {"repeats": 1, "seconds_median": 0.1, "seconds_best": 0.1, "peak_mib": 17}}}
    assert "the largest resident memory" in performance_table(commands), "figures from before PSS was summed"
    assert "proportional set size" in performance_table({**commands, "commands_memory": "pss"})
    commands["commands"]["bench validate"] = {"repeats": 1, "seconds_median": 0.05, "seconds_best": 0.05, "peak_mib": 18}
    table = performance_table(commands)
    assert table.index("| bench validate | 1 | 0.05 | 0.05 | 18 |") < table.index("| bench --help | 1 | 0.10 | 0.10 | 17 |")


def scale_row(paragraphs, seconds, naive_seconds, peak=500):
    return {"paragraphs": paragraphs, "tokens": 40 * paragraphs, "word_types": paragraphs // 2,
            "validate_seconds": paragraphs / 1000, "validate_peak_mib": 30, "experiment_seconds": seconds,
            "experiment_peak_mib": peak, "naive_seconds": naive_seconds, "naive_peak_mib": 2 * peak,
            "same_predictions": True}


def test_scale_table_reports_the_ratio_to_the_naive_run_and_linear_growth_as_one():
    rows = [scale_row(1000, 9.0, 20.0), scale_row(10000, 90.0, 200.0)]
    table = scale_table({"jobs": 2, "experiment": {"folds": 5}, "sizes": rows})
    assert "| 10,000 | 5,000 | 10.00 | 30 | 90.0 | 500 | 200.0 | 1000 | 0.45 | 1.00 | yes |" in table


def test_the_goal_line_says_plainly_whether_the_goal_is_met():
    table = scale_table({"jobs": 2, "experiment": {"folds": 5}, "sizes": [scale_row(100_000, 95.0, 100.0, 5000)]})
    assert ("the experiment takes 0.95 × the naive run's time against the goal of 0.5 (time goal not met), peak "
            "5,000 MiB against 4,096 MiB (memory goal not met)") in table


def test_the_profile_line_gives_each_part_s_share_and_the_ratio_the_fits_and_one_analysis_alone_would_give():
    profile = {"paragraphs": 1000, "total_seconds": 100.0,
               "parts": {"classifier fits (LogisticRegression.fit)": 60.0, "text analysis, once per corpus": 10.0}}
    table = scale_table({"jobs": 2, "experiment": {"folds": 5}, "sizes": [scale_row(1000, 9.0, 20.0)],
                         "profile": profile})
    assert "classifier fits (LogisticRegression.fit) 60.0 s (60%); text analysis, once per corpus 10.0 s (10%)" in table
    assert "everything else (reading, planning, writing) 30.0 s (30%)" in table
    assert "are 70% of it: alone they would take 0.32 × the naive run's time at this size, against the 0.45" in table


@pytest.mark.parametrize(("text", "message", "line"), [
    ('{\n"commands": }\n', "malformed JSON: Expecting value", 2),
    ("[1, 2]\n", "must be a JSON object: the measured figures, as `bench perf` writes them", None),
    ('{"commands": {}}\n', "missing key 'machine'", None),
    ('{"per_target": {"rows": 3, "repeats": 1, "bench_seconds_median": 1, "plain_seconds_median": 0}}\n',
     "not the figures `bench perf` writes: division by zero", None),
])
def test_earlier_figures_that_are_not_what_perf_writes_name_the_file(tmp_path, text, message, line):
    (tmp_path / PERFORMANCE).write_text(text, encoding="utf-8")
    with pytest.raises(BenchError, match=re.escape(message)) as raised:
        read_performance(tmp_path)
    assert raised.value.path == str(tmp_path / PERFORMANCE) and raised.value.line == line


def test_no_earlier_figures_read_as_none_and_the_committed_ones_as_they_are(tmp_path, repo):
    assert read_performance(tmp_path) == {}
    assert {"commands", "scale"} <= set(read_performance(repo.results))

from bench.publishing.performance import scale_table
from bench.workflows.performance import measure


def test_measure_reports_time_and_the_memory_of_the_process_tree(tmp_path):
    seconds, mib = measure(["python3", "-c", "import time; b = bytearray(200 * 2**20); time.sleep(0.5)"])
    assert seconds >= 0.5 and mib >= 200


def test_scale_table_reports_linear_growth_as_one():
    rows = [{"paragraphs": n, "validate_seconds": n / 1000, "validate_peak_mib": 30,
             "experiment_seconds": 9 * n / 1000, "experiment_peak_mib": 500} for n in (1000, 10000)]
    table = scale_table({"jobs": 2, "experiment": {"folds": 5}, "sizes": rows})
    assert "| 10,000 | 10.00 | 30 | 90.0 | 500 | 100.0 | 10.00 | 1.00 |" in table


def test_the_goal_line_says_plainly_whether_the_goal_is_met():
    row = {"paragraphs": 100_000, "validate_seconds": 5.0, "validate_peak_mib": 100,
           "experiment_seconds": 95.0, "experiment_peak_mib": 3000}
    table = scale_table({"jobs": 2, "experiment": {"folds": 5}, "sizes": [row]})
    assert "100 s against the goal of 60 s (time goal not met), peak 3,000 MiB against 4,096 MiB (memory goal met)" in table

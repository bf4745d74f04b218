"""The benchmarks still run (a smoke run: no timing is asserted; timings live in benchmarks/)."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

LINE = re.compile(
    r"^(?P<name>\w+): \d+\.\d\dx \(subject [\d.]+ µs vs baseline [\d.]+ µs; "
    r"median of \d+, ratios \d+\.\d\d–\d+\.\d\d\)$"
)


@pytest.fixture(scope="module")
def main():
    return runpy.run_path(str(Path(__file__).resolve().parents[2] / "benchmarks" / "__main__.py"))["main"]


def test_benchmarks_run_and_report_ratios_for_every_row(main, capsys):
    assert main(["--quick"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    names = [LINE.match(line).group("name") for line in lines if LINE.match(line)]
    assert len(names) == len(lines) == 18, lines
    assert {f"{slug}_track_http_vs_bare_post" for slug in ("zto", "yto", "sto", "jt")} <= set(names)
    assert "track_many_50ms_c8_speedup_vs_ideal" in names
    assert {f"mock_track_c{n}_vs_bare_flask" for n in (1, 4, 16)} <= set(names)
    assert {"mock_track_memory_at_10k_vs_empty", "mock_track_sqlite_at_10k_vs_empty"} <= set(names)
    assert "push_lateness_p99_vs_heap_scheduler" in names
    assert {f"push_tick_after_write_{store}_10k_vs_1k_pending" for store in ("memory", "sqlite")} <= set(
        names
    )


def test_only_runs_the_rows_whose_name_contains_the_text(main, capsys):
    assert main(["--quick", "--only", "zto_parse"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("zto_parse_vs_json_loads: ")


def test_the_mock_cpu_benchmark_measures_both_apps_round_by_round():
    from benchmarks.mock_http import cpu_per_track

    took = cpu_per_track(rounds=2, per_round=3, fill=3)
    assert sorted(took) == ["bare", "mock"]
    assert all(len(values) == 2 and all(v > 0 for v in values) for values in took.values())

"""The growth-curve benchmark runs and reports what the server holds (no timing is asserted)."""

from __future__ import annotations

import re

import pytest

from benchmarks import growth_curve
from benchmarks.growth_curve import Task, in_child, main, measure

HEADER = re.compile(
    r"^(?P<workload>requests|mix|parcels) on the (?P<store>memory|sqlite) store \(median of 1 run"
)
ROW = re.compile(
    r"^ +(?P<at>[\d,]+) +[\d.]+ +\d+\.\d\dx \(\d+\.\d\d–\d+\.\d\d\) +[\d.]+ +\d+\.\d\dx \(\d+\.\d\d–\d+\.\d\d\)"
    r" +(?P<journal>[\d,]+) +(?P<dropped>[\d,]+)$"
)


def test_a_quick_run_prints_a_table_per_store_and_workload(capsys):
    assert main(["--quick"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    tables = [(m["workload"], m["store"]) for m in map(HEADER.match, lines) if m]
    assert sorted(tables) == sorted(
        (w, s) for w in ("requests", "mix", "parcels") for s in ("memory", "sqlite")
    )
    rows = [m for m in map(ROW.match, lines) if m]
    assert len(rows) == 6 * 3, lines
    assert len(lines) == 6 * (2 + 3), lines  # each table: a title, column names, three points


def test_only_runs_the_workloads_whose_name_contains_the_text(capsys):
    assert main(["--quick", "--only", "parcels"]) == 0
    titles = [m["workload"] for m in map(HEADER.match, capsys.readouterr().out.splitlines()) if m]
    assert titles == ["parcels", "parcels"]


def test_zero_runs_is_refused():
    with pytest.raises(SystemExit):
        main(["--quick", "--runs", "0"])


@pytest.mark.parametrize("store", ["memory", "sqlite"])
def test_the_journal_keeps_its_bound_and_the_points_count_what_it_dropped(store):
    signed = growth_curve._sign("requests")
    task = Task(store, "requests", signed, points=(30, 60, 90), window=10, settings={"JOURNAL_LIMIT": 50})
    points = measure(task)
    assert [(p.at, p.journal, p.dropped) for p in points] == [(30, 30, 0), (60, 50, 10), (90, 50, 40)]
    assert all(p.rss_kb > 0 and p.cpu > 0 for p in points)


def test_the_parcel_workload_reads_memory_before_its_tracks_and_clears_their_journal_after():
    task = Task("memory", "parcels", growth_curve._sign("parcels"), points=(50, 60), window=7)
    assert [(p.at, p.journal) for p in measure(task)] == [(50, 7), (60, 7)]


def test_a_run_in_a_child_process_answers_its_points():
    task = Task("memory", "mix", growth_curve._sign("mix"), points=(20, 40), window=10)
    assert [(p.at, p.journal, p.dropped) for p in in_child(task)] == [(20, 20, 0), (40, 40, 0)]


def test_a_failing_child_run_is_an_error_that_names_it():
    task = Task("memory", "requests", [], points=(5,), window=1)  # no request to send
    with pytest.raises(RuntimeError, match="growth run memory/requests failed: ZeroDivisionError"):
        in_child(task)

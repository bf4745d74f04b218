"""The benchmarks still run (a smoke run: no timing is asserted; timings live in benchmarks/)."""

from __future__ import annotations

import runpy
from pathlib import Path


def test_benchmarks_run_and_report_ratios(capsys):
    main = runpy.run_path(str(Path(__file__).resolve().parents[2] / "benchmarks" / "__main__.py"))["main"]
    assert main(["--quick"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and all("x (" in line and "baseline" in line for line in lines)

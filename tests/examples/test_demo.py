"""The README's first command runs the demo; this runs the same story and checks what it says."""

from __future__ import annotations

import runpy
from pathlib import Path

from kscarriers import default_registry

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_demo_tracks_intercepts_and_receives_signed_pushes_for_every_carrier():
    run = runpy.run_path(str(DEMO))["run"]
    lines: list = []
    summary = run(out=lines.append)
    assert set(summary["carriers"]) == set(default_registry.slugs())  # the demo covers every carrier
    for slug, story in summary["carriers"].items():
        assert story["tracked"] == "in_transit", slug
        assert (story["accepted"], story["final"]) == ("pending", "succeeded"), slug
        assert story["refused"] == "already_signed" and story["refused_code"], slug
        assert story["pushed_results"] == ["succeeded"], slug
        assert "returning" in story["pushed_scans"], slug
    assert summary["rejected_pushes"] == 0
    assert any("E23101" in line for line in lines)


def test_demo_main_exits_zero_for_one_carrier(capsys):
    main = runpy.run_path(str(DEMO))["main"]
    assert main(["--carrier", "jt"]) == 0
    assert "[jt] intercept JT2099306666983: pending" in capsys.readouterr().out

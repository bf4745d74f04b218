"""docs/status-codes.md is generated from the code tables and must not drift from them."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_status_codes_doc_matches_the_code_tables():
    render = runpy.run_path(str(ROOT / "tools" / "status_codes.py"))["render"]
    assert (ROOT / "docs" / "status-codes.md").read_text("utf-8") == render(), (
        "regenerate with: python tools/status_codes.py > docs/status-codes.md"
    )


def test_every_sub_status_row_is_present():
    from kscarriers import TrackingSubStatus

    text = (ROOT / "docs" / "status-codes.md").read_text("utf-8")
    assert all(f"| {sub.value} |" in text for sub in TrackingSubStatus)

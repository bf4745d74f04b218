"""Every row of the public status tables in tests/reality/<slug>/status_*.csv normalises consistently.

Rows the public table calls delivered are DELIVERED; return rows are RETURNING or RETURNED;
take-out rows and every other row are never a final status. A row the SDK deliberately reads
otherwise is marked ``disputed`` in the file, must take the reading that is not final, and must
be listed in docs/status-codes.md, "Where the sources disagree".
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from kscarriers import default_registry
from kscarriers.models import TrackingStatus, TrackingSubStatus

ROOT = Path(__file__).resolve().parents[3]
REALITY = ROOT / "tests" / "reality"
FILES = sorted(REALITY.glob("*/status_*.csv"))

S = TrackingStatus


def _rows() -> List[Tuple[str, str, Dict[str, str]]]:
    rows = []
    for path in FILES:
        lines = path.read_text("utf-8").splitlines()
        assert lines[0].startswith("# source: "), f"{path} does not name its source"
        for row in csv.DictReader(line for line in lines if not line.startswith("#")):
            rows.append((path.parent.name, f"{path.name}:{row['table']}:{row['code']}", row))
    return rows


ROWS = _rows()


def _reading(slug: str, row: Dict[str, str]) -> Tuple[TrackingStatus, TrackingSubStatus]:
    table = default_registry.get(slug).code_book.scan_tables[row["table"]]
    return table.get(row["code"], (S.UNKNOWN, TrackingSubStatus.UNRECOGNISED))


def test_every_carrier_has_a_public_status_table() -> None:
    assert {path.parent.name for path in FILES} == set(default_registry.slugs())


@pytest.mark.parametrize(("slug", "row"), [(s, r) for s, _, r in ROWS], ids=[i for _, i, _ in ROWS])
def test_public_status_row_is_known_and_consistent(slug: str, row: Dict[str, str]) -> None:
    status, sub = _reading(slug, row)
    assert status is not S.UNKNOWN, "a code a public table lists must be known to the SDK"
    if row["disputed"]:
        assert not status.is_final, "a disputed code takes the reading that is not final"
        return
    reads = row["reads"]
    if reads == "delivered":
        assert status is S.DELIVERED
    elif reads == "return":
        assert status in (S.RETURNING, S.RETURNED)
    elif reads == "taken_out":
        assert (status, sub) == (S.OUT_FOR_DELIVERY, TrackingSubStatus.TAKEN_OUT_OF_PICKUP_POINT)
    else:
        assert reads == "other", f"unknown reading {reads!r}"
        assert not status.is_final, "only rows the table calls delivered or returned may be final"


def test_locker_and_station_take_out_rows_are_never_delivery() -> None:
    take_outs = [(slug, row) for slug, _, row in ROWS if row["reads"] == "taken_out"]
    assert {(slug, row["code"]) for slug, row in take_outs} == {
        ("zto", "45"),
        ("sto", "快件取出"),
        ("jt", "8"),
        ("jt", "9"),
    }
    assert all(_reading(slug, row)[0] is not S.DELIVERED for slug, row in take_outs)


def test_every_disputed_row_is_documented_with_both_readings() -> None:
    text = (ROOT / "docs" / "status-codes.md").read_text("utf-8")
    disputes = text.split("## Where the sources disagree", 1)[1]
    for slug, _, row in ROWS:
        if row["disputed"]:
            label = f"{row['table']} {row['code']}" if row["table"] else row["code"]
            assert f"| {slug} | `{label}` |" in disputes, f"{slug} {label} is not in the disputes section"

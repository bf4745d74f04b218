"""Tests for mockserver.journal: ids, filters, counts, clearing and the size limit."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest

from mockserver.clock import UTC
from mockserver.journal import Journal, JournalEntry

NOW = datetime(2025, 3, 1, tzinfo=UTC)


def _entry(**fields: Any) -> JournalEntry:
    base: dict[str, Any] = {
        "time": NOW,
        "carrier": "zto",
        "operation": "track",
        "account": "a",
        "waybill": "73100130019486",
        "method": "POST",
        "path": "/zto/x",
        "response_status": 200,
    }
    return JournalEntry(**{**base, **fields})


def test_append_numbers_entries_from_one() -> None:
    journal = Journal()
    assert journal.append(_entry()).id == 1
    assert journal.append(_entry()).id == 2
    assert [e.id for e in journal.entries()] == [1, 2]


def test_filter_and_count_combine_criteria() -> None:
    journal = Journal()
    journal.append(_entry())
    journal.append(_entry(operation="intercept"))
    journal.append(_entry(account="b", waybill="73100196611386"))
    journal.append(_entry(carrier="jt"))
    assert journal.count(operation="intercept") == 1
    assert journal.count(carrier="zto", account="a") == 2
    assert [e.id for e in journal.filter(waybill="73100196611386")] == [3]
    assert journal.count() == 4


def test_clear_one_account_keeps_the_others() -> None:
    journal = Journal()
    journal.append(_entry(account="a"))
    journal.append(_entry(account="b"))
    assert journal.clear(carrier="zto", account="a") == 1
    assert [e.account for e in journal.entries()] == ["b"]
    assert journal.clear() == 1
    assert len(journal) == 0


def test_oldest_entries_go_first_past_the_limit() -> None:
    journal = Journal(limit=2)
    for _ in range(3):
        journal.append(_entry())
    assert [e.id for e in journal.entries()] == [2, 3]
    with pytest.raises(ValueError, match="limit"):
        Journal(limit=0)


def test_concurrent_appends_get_distinct_ids() -> None:
    journal = Journal()
    threads = [
        threading.Thread(target=lambda: [journal.append(_entry()) for _ in range(100)]) for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(e.id for e in journal.entries()) == list(range(1, 501))


def test_entry_serialises_every_field() -> None:
    data = _entry(request_headers={"X-Appkey": "a"}, error="S211: 签名错误").to_dict()
    assert data["time"] == NOW.isoformat()
    assert data["request_headers"] == {"X-Appkey": "a"}
    assert data["decided_by"] == "default"
    assert data["error"] == "S211: 签名错误"

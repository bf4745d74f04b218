"""Tests for mockserver.journal: ids, filters, counts, clearing and the size limit."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# -- recorded exchanges: kept as on the wire, made into entries when read ----------------------


def _record(journal: Journal, **fields: Any) -> int:
    base: dict[str, Any] = {
        "time": NOW,
        "carrier": "zto",
        "operation": "track",
        "account": "a",
        "waybill": "73100130019486",
        "method": "POST",
        "path": "/zto/x",
        "header_entries": (
            ("HTTP_X_APPKEY", "a"),
            ("CONTENT_TYPE", "application/json"),
            ("CONTENT_LENGTH", ""),
        ),
        "request_body": b"{}",
        "response_status": 200,
        "response_body": b'{"status":true}',
        "decided_by": "default",
        "error": None,
        "secret": None,
        "limit": 65536,
    }
    return journal.record(**{**base, **fields})


def test_a_recorded_exchange_reads_as_the_entry_it_stands_for() -> None:
    journal = Journal()
    entry_id = _record(
        journal,
        waybill="\ud800",
        header_entries=(("HTTP_X_APPKEY", "a"), ("HTTP_X_NOTE", "s3cret!"), ("CONTENT_TYPE", "text/plain")),
        request_body=b'{"note":"s3cret!","bad":"\xff"}',
        response_body="成功".encode() * 3,
        decided_by="stub-\udfff",
        error="S211: 签名错误",
        secret="s3cret!",
        limit=4,
    )
    expected = JournalEntry(
        id=entry_id,
        time=NOW,
        carrier="zto",
        operation="track",
        account="a",
        waybill="\ud800",
        method="POST",
        path="/zto/x",
        request_headers={"X-Appkey": "a", "X-Note": "***", "Content-Type": "text/plain"},
        request_body='{"no',
        response_status=200,
        response_body="成功成功",
        decided_by="stub-\udfff",
        error="S211: 签名错误",
    )
    assert journal.entries() == [expected]
    assert expected.waybill == "\\ud800"  # made safe, as an appended entry is
    assert "s3cret!" not in str(journal.entries()[0].to_dict())


def test_a_recorded_body_keeps_what_utf8_cannot_decode_as_replacement_characters() -> None:
    journal = Journal()
    _record(journal, request_body=b"\xff{}", secret="x")
    assert journal.entries()[0].request_body == "\ufffd{}"


def test_filters_counts_and_waits_match_recorded_exchanges_as_their_entries() -> None:
    journal = Journal()
    _record(journal)
    _record(journal, operation="intercept", response_status=500, decided_by="outage")
    _record(journal, account="b", waybill="7310\udc00")
    journal.append(_entry(account="b", operation="intercept"))
    assert journal.count(operation="intercept") == 2
    assert [e.decided_by for e in journal.filter(status=500)] == ["outage"]
    assert [e.id for e in journal.filter(account="b")] == [3, 4]
    assert journal.count(waybill="7310\\udc00") == 1  # the safe text, as the entry says
    assert journal.wait_for(lambda n: n == 2, timeout=0.0, account="b") == (True, 2)
    assert [e.id for e in journal.entries(scope={("zto", "b")})] == [3, 4]


def test_recorded_exchanges_count_against_the_same_bounds_as_appended_entries() -> None:
    journal = Journal(limit=10, account_limit=2)
    for _ in range(3):
        _record(journal, account="busy")
    journal.append(_entry(account="busy"))
    assert [e.id for e in journal.entries()] == [3, 4]
    assert journal.dropped(account="busy") == 2
    assert journal.clear(account="busy") == 2 and len(journal) == 0


def test_a_recorded_exchange_is_made_into_its_entry_once_however_often_it_is_listed() -> None:
    journal = Journal()
    _record(journal)
    _record(journal, operation="intercept")
    first = journal.entries()
    assert journal.entries() == first and journal.entries()[0] is first[0]
    assert journal.filter(operation="intercept")[0] is first[1]


def test_an_unread_row_keeps_no_more_of_a_long_body_than_the_journal_shows() -> None:
    journal = Journal()
    body = ("中s3cret!" * 200_000).encode()  # 2 MB, a secret in every piece
    _record(journal, request_body=body, response_body=body, secret="s3cret!", limit=100)
    (row,) = journal._entries.values()
    assert all(len(part) <= 4 * 100 for part in row if isinstance(part, bytes))
    entry = journal.entries()[0]
    assert entry.request_body == entry.response_body == ("中***" * 25)
    assert all(b"s3cret" not in part for part in row if isinstance(part, bytes))  # masked when cut


@settings(max_examples=200, deadline=None)
@given(
    body=st.binary(max_size=60) | st.text(max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass")),
    secret=st.none() | st.text(alphabet="ab中\ufffd", min_size=1, max_size=4),
    limit=st.integers(min_value=1, max_value=40),
)
def test_a_body_cut_when_recorded_reads_as_the_body_cut_when_listed(
    body: bytes, secret: Any, limit: int
) -> None:
    journal = Journal()
    _record(journal, request_body=body, secret=secret, limit=limit)
    decoded = body.decode("utf-8", errors="replace")
    assert (
        journal.entries()[0].request_body == (decoded.replace(secret, "***") if secret else decoded)[:limit]
    )

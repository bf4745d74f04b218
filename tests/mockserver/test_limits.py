"""Limits that keep one client from exhausting a shared server: body size, scenarios, journal."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any, Optional

import pytest

from mockserver import create_app
from mockserver.app import close_app, get_services
from mockserver.clock import ManualClock
from mockserver.config import ConfigError, load_config
from mockserver.journal import Journal, JournalEntry

NOW = datetime(2025, 1, 6, 2, 0, tzinfo=timezone.utc)


def entry(account: Optional[str], carrier: str = "zto") -> JournalEntry:
    return JournalEntry(
        time=NOW,
        carrier=carrier,
        operation="track",
        account=account,
        method="POST",
        path="/x",
        response_status=200,
    )


def test_one_busy_account_drops_its_own_oldest_entries_not_everybody_elses() -> None:
    journal = Journal(limit=10, account_limit=2)
    quiet = journal.append(entry("quiet"))
    busy = [journal.append(entry("busy")) for _ in range(5)]
    assert [e.id for e in journal.entries()] == [quiet.id, busy[3].id, busy[4].id]
    assert journal.dropped(account="busy") == 3
    assert journal.dropped(account="quiet") == 0
    assert journal.dropped() == 3


def test_past_the_overall_limit_the_oldest_of_all_goes_first_and_is_counted() -> None:
    journal = Journal(limit=3, account_limit=3)
    first = journal.append(entry("a"))
    kept = [journal.append(entry("b")), journal.append(entry("c")), journal.append(entry("a"))]
    assert first.id not in [e.id for e in journal.entries()]
    assert [e.id for e in journal.entries()] == [e.id for e in kept]
    assert journal.dropped(account="a") == 1
    journal.append(entry("a"))  # "a" again: the oldest overall is now b's
    assert journal.dropped(account="b") == 1
    assert len(journal) == 3


def test_a_scope_sees_and_clears_only_its_accounts_entries() -> None:
    journal = Journal(limit=10, account_limit=1)
    journal.append(entry("a"))
    journal.append(entry("a"))
    journal.append(entry("b"))
    journal.append(entry(None))
    scope = {("zto", "a")}
    assert [e.account for e in journal.entries(scope=scope)] == ["a"]
    assert journal.dropped(scope=scope) == 1
    assert journal.clear(scope=scope) == 1
    assert [e.account for e in journal.entries()] == ["b", None]


def test_the_bounds_of_the_journal_are_settings() -> None:
    assert load_config({})["JOURNAL_ACCOUNT_LIMIT"] == 2_000
    for key in ("JOURNAL_ACCOUNT_LIMIT", "SCENARIO_LIMIT", "MAX_CONTENT_LENGTH"):
        with pytest.raises(ConfigError) as caught:
            load_config({key: 0})
        assert caught.value.key == key


@pytest.fixture
def app() -> Iterator[Any]:
    found = create_app(
        {
            "CLOCK": "manual",
            "TESTING": True,
            "PUSH_TICKER": "off",
            "JOURNAL_ACCOUNT_LIMIT": 2,
            "SCENARIO_LIMIT": 2,
            "MAX_CONTENT_LENGTH": 2_000,
        },
        clock=ManualClock(),
    )
    yield found
    close_app(found)


def _track(client: Any) -> None:
    raw = b'{"billCode":"73100130019486"}'
    digest = base64.b64encode(hashlib.md5(raw + b"zto-demo-secret").digest()).decode()
    headers = {"x-appKey": "zto-demo", "x-dataDigest": digest, "Content-Type": "application/json"}
    assert client.post("/zto/zto.merchant.waybill.track.query", data=raw, headers=headers).status_code == 200


def test_the_journal_answer_says_how_many_entries_the_bound_dropped(app: Any) -> None:
    client = app.test_client()
    for _ in range(5):
        _track(client)
    answer = client.get("/__admin/requests?app_key=zto-demo").get_json()
    assert answer["count"] == 2 and answer["dropped"] == 3
    assert client.get("/__admin/requests?app_key=other").get_json()["dropped"] == 0


def _stub(number: int) -> dict[str, Any]:
    return {
        "id": f"s{number}",
        "match": {"operation": "track"},
        "outcome": {"type": "carrier_error", "kind": "unavailable"},
    }


def test_scenario_stubs_per_account_are_bounded(app: Any) -> None:
    client = app.test_client()
    for number in (1, 2):
        assert client.post("/__admin/scenarios?account=zto-demo", json=_stub(number)).status_code == 201
    refused = client.post("/__admin/scenarios?account=zto-demo", json=_stub(3))
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "limit_reached"
    assert "the limit is 2 (SCENARIO_LIMIT)" in refused.get_json()["message"]
    # Replacing a stub by its id is no new stub; another account has its own allowance.
    assert client.post("/__admin/scenarios?account=zto-demo", json=_stub(2)).status_code == 201
    assert client.post("/__admin/scenarios?account=yto-demo", json=_stub(3)).status_code == 201
    whole_file = {"version": 1, "stubs": [_stub(n) for n in (4, 5, 6)]}
    assert client.post("/__admin/scenarios", json=whole_file).status_code == 409
    assert len(get_services(app).scenarios.stubs()) == 3  # nothing of the refused file was installed


def test_an_admin_body_over_the_limit_answers_413_as_json(app: Any) -> None:
    client = app.test_client()
    big = {"carrier": "zto", "app_key": "k", "app_secret": "s", "extra": {"x": "y" * 3_000}}
    answer = client.post("/__admin/accounts", json=big)
    assert answer.status_code == 413
    assert answer.get_json()["error"] == "request_entity_too_large"


def test_a_carrier_body_over_the_limit_answers_413(app: Any) -> None:
    client = app.test_client()
    raw = b'{"billCode":"' + b"7" * 3_000 + b'"}'
    answer = client.post(
        "/zto/zto.merchant.waybill.track.query",
        data=raw,
        headers={"x-appKey": "zto-demo", "x-dataDigest": "x", "Content-Type": "application/json"},
    )
    assert answer.status_code == 413
    assert answer.is_json


def test_a_chunked_body_with_no_length_is_cut_off_at_the_limit_too(app: Any) -> None:
    import requests

    from mockserver.serving import serve_in_thread

    def chunks() -> Iterator[bytes]:
        yield b'{"carrier": "zto", "app_key": "k", "app_secret": "'
        yield b"x" * 3_000
        yield b'"}'

    url, stop = serve_in_thread(app)
    try:
        answer = requests.post(
            f"{url}/__admin/accounts", data=chunks(), headers={"Content-Type": "application/json"}, timeout=10
        )
    finally:
        stop()
    assert answer.request.headers["Transfer-Encoding"] == "chunked"
    assert answer.status_code == 413
    assert answer.json()["error"] == "request_entity_too_large"

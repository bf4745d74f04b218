"""Paged admin lists (accounts, parcels, intercepts, pushes) on both stores, and the push record bound."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import pytest
from mockpushkit import WAYBILLS, RecordingSender
from storekit import KINDS, open_store

from mockserver.app import close_app, create_app, get_services
from mockserver.clock import UTC, ManualClock
from mockserver.config import ConfigError, load_config
from mockserver.store import Store
from mockserver.world import InterceptKind, InterceptRecord, InterceptStatus, PushRecord, PushState

NOW = datetime(2025, 3, 1, tzinfo=UTC)
KEY = {"carrier": "zto", "app_key": "zto-demo"}


@pytest.fixture(params=KINDS)
def store(request: Any, tmp_path: Path) -> Iterator[Store]:
    yield from open_store(request.param, tmp_path)


@pytest.fixture
def app(store: Store) -> Iterator[Any]:
    found = create_app(
        {"CLOCK": "manual", "TESTING": True, "PUSH_TICKER": "off"}, store=store, clock=ManualClock()
    )
    yield found
    close_app(found)


def _intercept(number: int) -> InterceptRecord:
    return InterceptRecord(
        id=f"I{number}",
        carrier="zto",
        app_key="zto-demo",
        waybill="73100130019486",
        kind=InterceptKind.RETURN,
        request_id=f"r{number}",
        external_ref=f"r{number}",
        status=InterceptStatus.SUCCEEDED,
        created_at=NOW,
        resolve_at=NOW,
        updated_at=NOW,
    )


def _push(seq: int, state: PushState = PushState.DELIVERED) -> PushRecord:
    return PushRecord(
        id=f"P{seq:06d}-zto-zto-demo",
        seq=seq,
        carrier="zto",
        app_key="zto-demo",
        kind="trace",
        waybills=("73100130019486",),
        url="http://receiver.test/push",
        headers={},
        body="{}",
        state=state,
        created_at=NOW,
        due_at=NOW if state is PushState.PENDING else None,
    )


def _add_account(client: Any, number: int) -> None:
    body = {"carrier": "zto", "app_key": f"paging-{number}", "app_secret": "s"}
    assert client.post("/__admin/accounts", json=body).status_code == 201


def _add_parcel(client: Any, number: int) -> None:
    body = {**KEY, "waybill": f"7310013{number:07d}"}
    assert client.post("/__admin/parcels", json=body).status_code == 201


def _subscribe(client: Any, number: int) -> None:
    body = {**KEY, "waybill": f"7310013{number:07d}"}
    assert client.post("/__admin/subscriptions", json=body).status_code == 201


#: Each paged list: its path, the key of its items, the identity of an item and how to add one.
LISTS: dict[str, tuple[str, str, Callable[[dict[str, Any]], Any], Callable[[Any, Any, int], None]]] = {
    "accounts": (
        "/__admin/accounts?carrier=zto",
        "accounts",
        lambda item: item["app_key"],
        lambda app, client, n: _add_account(client, n),
    ),
    "parcels": (
        "/__admin/parcels?carrier=zto&app_key=zto-demo",
        "parcels",
        lambda item: item["waybill"],
        lambda app, client, n: _add_parcel(client, n),
    ),
    "intercepts": (
        "/__admin/intercepts?carrier=zto",
        "intercepts",
        lambda item: item["id"],
        lambda app, client, n: get_services(app).store.put_intercept(_intercept(n)),
    ),
    "subscriptions": (
        "/__admin/subscriptions?carrier=zto",
        "subscriptions",
        lambda item: item["waybill"],
        lambda app, client, n: _subscribe(client, n),
    ),
    "pushes": (
        "/__admin/pushes?carrier=zto&app_key=zto-demo",
        "pushes",
        lambda item: item["id"],
        lambda app, client, n: get_services(app).store.put_push(_push(n)),
    ),
}


@pytest.mark.parametrize("name", list(LISTS))
def test_paging_walks_the_whole_list_exactly_once_while_writes_happen(app: Any, name: str) -> None:
    path, key, identity, add = LISTS[name]
    client = app.test_client()
    for n in range(1, 8):
        add(app, client, n)
    before = [identity(item) for item in client.get(path).get_json()[key]]
    seen: list[Any] = []
    after, added = 0, 100
    while True:
        answer = client.get(f"{path}&after={after}&limit=3").get_json()
        assert answer["count"] == len(answer[key]) <= 3
        assert answer["dropped"] == 0
        seen += [identity(item) for item in answer[key]]
        if answer["next"] is None:
            break
        after = answer["next"]
        added += 1
        add(app, client, added)  # a write between two pages
    assert len(seen) == len(set(seen))
    assert set(before) <= set(seen)
    assert set(seen) == {identity(item) for item in client.get(path).get_json()[key]}
    assert answer["total"] == len(seen)


@pytest.mark.parametrize("name", list(LISTS))
@pytest.mark.parametrize("query", ["after=-1", "after=first", "limit=1.5", "limit=-3", "after=0&limit=x"])
def test_a_bad_after_or_limit_is_a_400_naming_the_parameter(app: Any, name: str, query: str) -> None:
    answer = app.test_client().get(f"{LISTS[name][0]}&{query}")
    assert answer.status_code == 400
    parameter = query.rsplit("&", 1)[-1].split("=")[0]
    assert answer.get_json()["error"] == "invalid_field"
    assert answer.get_json()["field"] == parameter


def test_without_after_a_list_answers_as_it_always_did_and_limit_keeps_the_newest(app: Any) -> None:
    client = app.test_client()
    for n in range(1, 4):
        _add_account(client, n)
    whole = client.get("/__admin/accounts?carrier=zto").get_json()
    assert set(whole) == {"accounts"}
    newest = client.get("/__admin/accounts?carrier=zto&limit=2").get_json()
    assert [a["app_key"] for a in newest["accounts"]] == [a["app_key"] for a in whole["accounts"][-2:]]
    assert (newest["count"], newest["total"], newest["next"]) == (2, len(whole["accounts"]), None)
    page = client.get("/__admin/accounts?carrier=zto&after=0&limit=0").get_json()
    assert (page["accounts"], page["next"]) == ([], 0)


def test_a_page_larger_than_the_maximum_is_served_at_the_maximum(app: Any) -> None:
    store = get_services(app).store
    for seq in range(1, 1003):
        store.put_push(_push(seq))
    answer = app.test_client().get("/__admin/pushes?after=0&limit=5000").get_json()
    assert (answer["count"], answer["total"]) == (1000, 1002)
    assert answer["next"] is not None


def test_the_pushes_list_counts_the_records_the_bound_dropped(store: Store) -> None:
    app = create_app(
        {"CLOCK": "manual", "TESTING": True, "PUSH_TICKER": "off", "PUSH_RECORD_LIMIT": 2},
        store=store,
        clock=ManualClock(),
    )
    try:
        client = app.test_client()
        get_services(app).store.put_push(_push(1, PushState.PENDING))
        for seq in range(2, 6):
            get_services(app).store.put_push(_push(seq))
        answer = client.get("/__admin/pushes?carrier=zto&app_key=zto-demo").get_json()
        assert [p["seq"] for p in answer["pushes"]] == [1, 5]
        assert (answer["dropped"], answer["total"], answer["next"]) == (3, 2, None)
        assert client.get("/__admin/pushes?carrier=yto").get_json()["dropped"] == 0
    finally:
        close_app(app)


def test_delivered_pushes_past_the_limit_are_dropped_while_pending_ones_wait() -> None:
    clock, sender = ManualClock(), RecordingSender("zto")
    app = create_app(
        {"CLOCK": "manual", "TESTING": True, "PUSH_SENDER": sender, "PUSH_RECORD_LIMIT": 2}, clock=clock
    )
    try:
        client = app.test_client()
        waybill = WAYBILLS["zto"]
        for path, body in (
            ("/__admin/subscriptions/callback", {**KEY, "url": "http://subscriber.test/push"}),
            ("/__admin/parcels", {**KEY, "waybill": waybill, "stage": "picked_up"}),
            ("/__admin/subscriptions", {**KEY, "waybill": waybill}),
        ):
            assert client.post(path, json=body).status_code in (200, 201)
        route = client.get(f"/__admin/parcels/zto/{waybill}?app_key=zto-demo").get_json()["parcel"]["route"]
        scans = [datetime.fromisoformat(s["time"]) for s in route if not s["visible"]]
        assert len(scans) >= 3
        for scan in scans:  # one push per scan, each delivered
            clock.set(scan)
            client.post("/__admin/pushes/flush", json={"timeout": 5})
        answer = client.get("/__admin/pushes?carrier=zto&app_key=zto-demo").get_json()
        assert len(answer["pushes"]) == 2
        assert all(p["state"] == "delivered" for p in answer["pushes"])
        assert answer["dropped"] == len(sender.sent) - 2
        sender.answers = [(503, b"down")] * 20
        clock.set(scans[-1] + timedelta(days=30))  # nothing new: a resend stays pending while it fails
        newest = answer["pushes"][-1]["id"]
        assert client.post(f"/__admin/pushes/{newest}/resend", json={}).status_code == 201
        client.post("/__admin/pushes/flush", json={"timeout": 5})
        states = [p["state"] for p in client.get("/__admin/pushes?app_key=zto-demo").get_json()["pushes"]]
        assert states.count("pending") == 1 and len(states) == 2
    finally:
        close_app(app)


def test_the_push_record_limit_is_a_whole_number_setting_of_at_least_one() -> None:
    assert load_config({})["PUSH_RECORD_LIMIT"] == 2_000
    assert load_config(environ={"MOCKSERVER_PUSH_RECORD_LIMIT": "7"})["PUSH_RECORD_LIMIT"] == 7
    for bad in (0, 2.5, "many"):
        with pytest.raises(ConfigError) as caught:
            load_config({"PUSH_RECORD_LIMIT": bad})
        assert caught.value.key == "PUSH_RECORD_LIMIT"

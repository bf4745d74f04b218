"""Pushes on a manual clock, for every carrier: format and signature, delay, drop, copies, order, batches, retries."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest
from mockpushkit import OTHER_WAYBILLS, WAYBILLS, RecordingSender, Sent, routing_sender

from mockserver.app import create_app, get_services
from mockserver.carriers import carrier_slugs
from mockserver.clock import ManualClock
from mockserver.scenarios import presets
from mockserver.simulator import InterceptRequest
from mockserver.world import InterceptKind

URL = "http://subscriber.test/push"


class World:
    """One app on a manual clock with a recording sender, driven through the admin API."""

    def __init__(self, carrier: str, **config: Any) -> None:
        self.carrier = carrier
        self.clock = ManualClock()
        self.sender = RecordingSender(carrier)
        self.app = create_app(
            {"CLOCK": "manual", "TESTING": True, "PUSH_SENDER": self.sender, **config}, clock=self.clock
        )
        self.client = self.app.test_client()
        self.app_key = f"{carrier}-demo"
        self.secret = f"{carrier}-demo-secret"
        self.waybill = WAYBILLS[carrier]

    def admin(self, method: str, path: str, status: int = 200, **body: Any) -> Dict[str, Any]:
        answer = self.client.open(f"/__admin{path}", method=method, json=body or None)
        assert answer.status_code == status, answer.get_json()
        return answer.get_json()  # type: ignore[no-any-return]

    def account(self, **extra: Any) -> Dict[str, str]:
        return {"carrier": self.carrier, "app_key": self.app_key, **extra}

    def setup(self, waybill: Optional[str] = None, url: str = URL, stage: str = "picked_up") -> str:
        waybill = waybill or self.waybill
        self.admin("POST", "/subscriptions/callback", **self.account(url=url))
        self.admin("POST", "/parcels", 201, **self.account(waybill=waybill, stage=stage))
        self.admin("POST", "/subscriptions", 201, **self.account(waybill=waybill))
        return waybill

    def future_scans(self, waybill: Optional[str] = None) -> List[datetime]:
        parcel = self.admin(
            "GET", f"/parcels/{self.carrier}/{waybill or self.waybill}?app_key={self.app_key}"
        )
        return [datetime.fromisoformat(s["time"]) for s in parcel["parcel"]["route"] if not s["visible"]]

    def stub(self, stub: Any) -> None:
        get_services(self.app).scenarios.add(stub)

    def flush(self) -> Dict[str, Any]:
        return self.admin("POST", "/pushes/flush", timeout=5)

    def pushes(self, **query: str) -> List[Dict[str, Any]]:
        params = "&".join(f"{k}={v}" for k, v in {"carrier": self.carrier, **query}.items())
        return self.admin("GET", f"/pushes?{params}")["pushes"]  # type: ignore[no-any-return]


def events(carrier: str, sent: List[Sent]) -> List[str]:
    """Every event the pushes carried, in the order received (J&T details flattened)."""
    found: List[str] = []
    for push in sent:
        data = push.data(carrier)
        if isinstance(data, list):
            found += [json.dumps(d, sort_keys=True) for item in data for d in item["details"]]
        else:
            found.append(json.dumps(data, sort_keys=True))
    return found


@pytest.fixture(params=carrier_slugs())
def carrier(request: Any) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def world(carrier: str) -> World:
    return World(carrier)


def test_new_scans_of_a_subscribed_waybill_are_pushed_signed_in_the_carriers_format(world: World) -> None:
    world.setup()
    scans = world.future_scans()
    assert world.flush()["counts"]["delivered"] == 0, "nothing is pushed before a scan's time"
    world.clock.set(scans[2])
    world.flush()
    sent = world.sender.sent
    assert sent and all(push.url == URL for push in sent)
    assert all(push.verifies(world.carrier, world.secret) for push in sent)
    assert not any(push.verifies(world.carrier, "another-secret") for push in sent)
    assert sum(push.events(world.carrier) for push in sent) == 3
    records = world.pushes(app_key=world.app_key)
    assert {r["state"] for r in records} == {"delivered"}
    assert all(len(r["attempts"]) == 1 and r["attempts"][0]["acked"] for r in records)
    assert all(r["kind"] == "trace" and r["waybills"] == [world.waybill] for r in records)


def test_moving_the_clock_queues_pushes_without_a_flush(world: World) -> None:
    world.setup()
    world.clock.set(world.future_scans()[0])
    assert len(world.pushes()) == 1
    world.flush()
    assert len(world.sender.sent) == 1


def test_no_callback_no_push_and_scans_before_the_subscription_are_not_pushed(world: World) -> None:
    world.admin("POST", "/parcels", 201, **world.account(waybill=world.waybill, stage="in_transit"))
    world.admin("POST", "/subscriptions", 201, **world.account(waybill=world.waybill))
    world.flush()
    assert world.sender.sent == [] and world.pushes() == []


def test_a_late_push_is_not_sent_before_it_is_due(world: World) -> None:
    world.stub(presets.late_push(600, carrier=world.carrier))
    world.setup()
    first = world.future_scans()[0]
    world.clock.set(first)
    world.flush()
    assert world.sender.sent == []
    (record,) = world.pushes(state="pending")
    assert datetime.fromisoformat(record["due_at"]) == first + timedelta(seconds=600)
    assert record["decided_by"] == "late_push"
    world.clock.advance(599)
    world.flush()
    assert world.sender.sent == []
    world.clock.advance(1)
    world.flush()
    assert len(world.sender.sent) == 1


def test_a_dropped_push_is_never_sent_and_is_recorded_as_dropped(world: World) -> None:
    world.stub(presets.never_push(carrier=world.carrier))
    world.setup()
    world.clock.set(world.future_scans()[1])
    world.flush()
    world.clock.advance(86400)
    world.flush()
    assert world.sender.sent == []
    records = world.pushes()
    assert records and {r["state"] for r in records} == {"dropped"}
    assert all(r["attempts"] == [] for r in records)


def test_duplicated_pushes_arrive_as_identical_copies(world: World) -> None:
    world.stub(presets.duplicate_push(3, carrier=world.carrier))
    world.setup()
    world.clock.set(world.future_scans()[0])
    world.flush()
    bodies = [push.body for push in world.sender.sent]
    assert len(bodies) == 3 and len(set(bodies)) == 1
    assert [r["copy"] for r in world.pushes()] == [1, 2, 3]


def test_out_of_order_pushes_arrive_in_reverse_order(carrier: str) -> None:
    received = {}
    for reorder in (False, True):
        world = World(carrier)
        if reorder:
            world.stub(presets.out_of_order_pushes(carrier=carrier))
        world.setup()
        world.clock.set(world.future_scans()[3])
        world.flush()
        received[reorder] = events(carrier, world.sender.sent)
    assert len(received[False]) == 4
    assert received[True] == list(reversed(received[False]))


def test_batched_pushes_are_held_until_the_batch_is_full(world: World) -> None:
    world.stub(presets.batched_pushes(2, carrier=world.carrier))
    world.setup()
    scans = world.future_scans()
    world.clock.set(scans[0])
    world.flush()
    assert world.sender.sent == [], "one event waits for a second one"
    world.clock.set(scans[2])
    world.flush()
    sent = world.sender.sent
    assert sum(push.events(world.carrier) for push in sent) == 2
    assert len(sent) in (1, 2) and all(push.verifies(world.carrier, world.secret) for push in sent)
    world.clock.advance(300)  # PUSH_BATCH_WINDOW_SECONDS: a partial batch goes out after it
    world.flush()
    assert sum(push.events(world.carrier) for push in world.sender.sent) == 3


def test_an_answer_that_is_not_an_ack_is_retried_with_backoff_until_acked(world: World) -> None:
    world.sender.answers = [(500, b"busy"), (200, b'{"unexpected": true}')]
    world.setup()
    first = world.future_scans()[0]
    world.clock.set(first)
    world.flush()
    (record,) = world.pushes()
    assert record["state"] == "pending"
    assert datetime.fromisoformat(record["due_at"]) == first + timedelta(seconds=30)
    world.clock.advance(29)
    world.flush()
    assert len(world.sender.sent) == 1
    world.clock.advance(1)
    world.flush()
    world.clock.advance(60)
    world.flush()
    (record,) = world.pushes()
    assert record["state"] == "delivered"
    attempts = record["attempts"]
    assert [a["status"] for a in attempts] == [500, 200, 200]
    assert [a["acked"] for a in attempts] == [False, False, True]
    assert attempts[0]["response"] == "busy" and attempts[0]["error"] == "not acknowledged"
    times = [datetime.fromisoformat(a["time"]) for a in attempts]
    assert [b - a for a, b in zip(times, times[1:])] == [timedelta(seconds=30), timedelta(seconds=60)]
    assert len({push.body for push in world.sender.sent}) == 1


def test_a_push_that_is_never_acked_fails_after_the_retry_limit(carrier: str) -> None:
    world = World(carrier, PUSH_RETRY_LIMIT=2, PUSH_RETRY_BASE_SECONDS=10)
    world.sender.answers = [(503, b"down")] * 10
    world.setup()
    world.clock.set(world.future_scans()[0])
    for _ in range(5):
        world.flush()
        world.clock.advance(100)
    (record,) = world.pushes()
    assert record["state"] == "failed" and len(record["attempts"]) == 3
    assert len(world.sender.sent) == 3


def test_a_connection_error_is_recorded_and_retried(world: World) -> None:
    world.sender.answers = [ConnectionRefusedError("connection refused")]
    world.setup()
    world.clock.set(world.future_scans()[0])
    world.flush()
    (record,) = world.pushes()
    (attempt,) = record["attempts"]
    assert attempt["status"] is None and "ConnectionRefusedError" in attempt["error"]
    world.clock.advance(30)
    world.flush()
    assert world.pushes()[0]["state"] == "delivered"


def test_an_intercept_result_is_pushed_once_the_intercept_resolves(world: World) -> None:
    hub = get_services(world.app)
    world.admin("POST", "/subscriptions/callback", **world.account(url=URL))
    world.admin("POST", "/parcels", 201, **world.account(waybill=world.waybill, stage="in_transit"))
    account = hub.simulator.account(world.carrier, world.app_key)
    assert account is not None
    outcome = hub.simulator.create_intercept(
        account, InterceptRequest(waybill=world.waybill, kind=InterceptKind.RETURN, request_id="req-1")
    )
    assert outcome.record is not None
    world.clock.advance(1799)
    world.flush()
    assert world.sender.sent == []
    world.clock.advance(1)
    world.flush()
    (push,) = world.sender.sent
    assert push.verifies(world.carrier, world.secret)
    (record,) = world.pushes()
    assert record["kind"] == "intercept" and record["intercept_id"] == outcome.record.id
    world.clock.advance(3600)
    world.flush()
    assert len(world.sender.sent) == 1, "a result is pushed once"


def test_accounts_are_isolated_and_resetting_one_clears_only_its_pending_pushes(carrier: str) -> None:
    world = World(carrier)
    other_url = "http://other-subscriber.test/push"
    other = RecordingSender(carrier)
    get_services(world.app).pushes.sender = routing_sender({URL: world.sender, other_url: other})
    world.admin("POST", "/accounts", 201, carrier=carrier, app_key="job-2", app_secret="job-2-secret")
    world.stub(presets.late_push(600, carrier=carrier))
    world.setup()
    first = world.future_scans()[0]
    world.app_key = "job-2"
    world.setup(url=other_url)
    world.clock.set(max(first, world.future_scans()[0]))
    world.flush()
    assert len(world.pushes(app_key="job-2", state="pending")) == 1
    world.admin("POST", "/reset", carrier=carrier, app_key=f"{carrier}-demo")
    assert world.pushes(app_key=f"{carrier}-demo") == []
    assert len(world.pushes(app_key="job-2", state="pending")) == 1
    world.clock.advance(600)
    world.flush()
    assert world.sender.sent == []
    assert len(other.sent) == 1 and other.sent[0].verifies(carrier, "job-2-secret")
    assert world.pushes(app_key="job-2")[0]["url"] == other_url


def test_two_waybills_are_both_pushed(world: World) -> None:
    world.setup()
    world.setup(OTHER_WAYBILLS[world.carrier])
    world.clock.advance(86400 * 5)
    world.flush()
    waybills = {w for r in world.pushes() for w in r["waybills"]}
    assert waybills == {world.waybill, OTHER_WAYBILLS[world.carrier]}


def test_a_cancelled_intercept_is_pushed_too(world: World) -> None:
    hub = get_services(world.app)
    world.admin("POST", "/subscriptions/callback", **world.account(url=URL))
    world.admin("POST", "/parcels", 201, **world.account(waybill=world.waybill, stage="in_transit"))
    account = hub.simulator.account(world.carrier, world.app_key)
    assert account is not None
    hub.simulator.create_intercept(
        account, InterceptRequest(waybill=world.waybill, kind=InterceptKind.RETURN, request_id="req-1")
    )
    assert hub.simulator.cancel_intercept(account, world.waybill).accepted
    world.flush()
    (record,) = world.pushes()
    assert record["kind"] == "intercept" and record["state"] == "delivered"
    assert world.sender.sent[0].verifies(world.carrier, world.secret)


def test_many_accounts_at_once_lose_no_push_and_get_none_twice() -> None:
    world = World("zto")
    senders = {f"http://job-{n}.test/push": RecordingSender("zto") for n in range(8)}
    get_services(world.app).pushes.sender = routing_sender(senders)

    def job(n: int) -> None:
        client = world.app.test_client()
        key = {"carrier": "zto", "app_key": f"job-{n}"}
        client.post(
            "/__admin/accounts",
            json={**key, "app_secret": f"secret-{n}", "callback_url": f"http://job-{n}.test/push"},
        )
        client.post("/__admin/parcels", json={**key, "waybill": world.waybill, "stage": "picked_up"})
        client.post("/__admin/subscriptions", json={**key, "waybill": world.waybill})
        for _ in range(3):
            client.get("/__admin/pushes?carrier=zto")
            client.post("/__admin/pushes/flush", json={"timeout": 5})

    threads = [threading.Thread(target=job, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for _ in range(6):
        world.clock.advance(3 * 3600)
    for thread in threads:
        thread.join(10)
    world.clock.advance(10 * 86400)
    world.flush()
    for n, (url, sender) in enumerate(senders.items()):
        records = world.pushes(app_key=f"job-{n}")
        assert records and {r["state"] for r in records} == {"delivered"}
        assert len(sender.sent) == len(records) == len({p.body for p in sender.sent})
        assert all(p.verifies("zto", f"secret-{n}") and p.url == url for p in sender.sent)


def test_a_sender_answer_that_cannot_be_checked_is_a_failed_attempt_not_a_resend_loop() -> None:
    calls: List[int] = []

    def sender(url: str, headers: Any, body: bytes, timeout: float) -> Any:
        calls.append(1)
        return 200, "ok"  # a str body: the carrier's ack check cannot read it

    world = World("zto", PUSH_SENDER=sender)
    world.setup()
    world.clock.set(world.future_scans()[0])
    world.flush()
    (record,) = world.pushes()
    assert record["state"] == "pending" and len(calls) == 1
    (attempt,) = record["attempts"]
    assert attempt["acked"] is False and "AttributeError" in attempt["error"]
    world.clock.advance(30)
    world.flush()
    assert len(calls) == 2

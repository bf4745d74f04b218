"""The push scheduler's ticks cost what is due, not what is pending (issue 12)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Dict, List

import pytest
from mockpushkit import RecordingSender

from mockserver.app import create_app
from mockserver.clock import ManualClock
from mockserver.services import get_services

WAYBILL = "73100130019486"


class World:
    """One ZTO demo account on a manual clock, a parcel on its way and a subscription to it."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.sender = RecordingSender("zto")
        self.app = create_app({"CLOCK": "manual", "PUSH_SENDER": self.sender}, clock=self.clock)
        self.client = self.app.test_client()
        self.app_key, self.secret, self.waybill = "zto-demo", "zto-demo-secret", WAYBILL

    def admin(self, method: str, path: str, status: int = 200, **body: Any) -> Dict[str, Any]:
        answer = self.client.open(f"/__admin{path}", method=method, json=body or None)
        assert answer.status_code == status, answer.get_json()
        return answer.get_json()  # type: ignore[no-any-return]

    def account(self, **extra: Any) -> Dict[str, Any]:
        return {"carrier": "zto", "app_key": self.app_key, **extra}

    def setup(self, url: str = "http://cb.test/push") -> None:
        self.admin("POST", "/subscriptions/callback", **self.account(url=url))
        self.admin("POST", "/parcels", 201, **self.account(waybill=self.waybill, stage="picked_up"))
        self.admin("POST", "/subscriptions", 201, **self.account(waybill=self.waybill))

    def future_scans(self) -> List[Any]:
        from datetime import datetime

        parcel = self.admin("GET", f"/parcels/zto/{self.waybill}?app_key={self.app_key}")
        return [datetime.fromisoformat(s["time"]) for s in parcel["parcel"]["route"] if not s["visible"]]

    def flush(self) -> Dict[str, Any]:
        return self.admin("POST", "/pushes/flush", timeout=5)


class Reads:
    """Counts the store reads a tick does to look for new events."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: List[str] = []
        store = get_services(world.app).store
        for name in ("list_subscriptions", "list_intercepts"):
            real = getattr(store, name)

            def counted(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
                self.calls.append(_name)
                return _real(*args, **kwargs)

            monkeypatch.setattr(store, name, counted)

    def during(self, action: Any) -> List[str]:
        self.calls.clear()
        action()
        return list(self.calls)


@pytest.fixture
def zto() -> Any:
    world = World()
    yield world
    from mockserver.app import close_app

    close_app(world.app, drain_seconds=0)


def test_a_tick_with_nothing_due_and_nothing_written_reads_nothing(
    zto: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    zto.setup()
    scheduler = get_services(zto.app).pushes
    scheduler.tick()
    reads = Reads(zto, monkeypatch)
    assert reads.during(scheduler.tick) == []


def test_a_write_to_the_account_makes_the_next_tick_look_again(
    zto: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    zto.setup()
    scheduler = get_services(zto.app).pushes
    scheduler.tick()
    reads = Reads(zto, monkeypatch)
    hub = get_services(zto.app)
    account = hub.store.get_account("zto", zto.app_key)
    assert account is not None
    hub.simulator.subscribe(account, "73100130019493")  # a write that kicks nothing
    assert "list_subscriptions" in reads.during(scheduler.tick)


def test_the_next_scan_falls_due_and_is_pushed_without_any_write(zto: World) -> None:
    zto.setup()
    scheduler = get_services(zto.app).pushes
    scheduler.tick()
    first = zto.future_scans()[0]
    zto.clock.set(first - timedelta(seconds=1))
    zto.flush()
    before = len(zto.sender.sent)
    zto.clock.set(first)
    zto.flush()
    assert len(zto.sender.sent) == before + 1


def test_the_ticker_sleeps_until_the_next_scan_not_a_fixed_tick(zto: World) -> None:
    zto.setup()
    scheduler = get_services(zto.app).pushes
    scheduler.tick()
    first = zto.future_scans()[0]
    zto.clock.set(first - timedelta(seconds=90))
    scheduler.tick()
    assert scheduler.seconds_to_next() == pytest.approx(90, abs=1)


def test_an_accounts_own_clock_moving_makes_its_scans_due(zto: World) -> None:
    zto.setup()
    scheduler = get_services(zto.app).pushes
    scheduler.tick()
    first = zto.future_scans()[0]
    ahead = (first - zto.clock.now()).total_seconds()
    zto.admin("POST", "/clock/advance", **zto.account(seconds=ahead))
    zto.flush()
    assert zto.sender.sent, "the scan that fell due on the account's clock was pushed"


def test_a_pending_intercept_resolving_later_wakes_the_scheduler_then(zto: World) -> None:
    zto.setup()
    from kscarriers import CarrierConfig, Credentials, InterceptKind, InterceptRequest
    from kscarriers.carriers.zto import ZtoAdapter

    credentials = Credentials(app_key=zto.app_key, app_secret=zto.secret)
    adapter = ZtoAdapter(CarrierConfig(credentials=credentials, base_url="http://m/zto"))
    request = adapter.build_intercept(
        InterceptRequest(
            waybill=zto.waybill, kind=InterceptKind.RETURN_TO_SENDER, reason="refund", request_id="r-1"
        )
    )
    path = "/zto/" + request.url.rsplit("/", 1)[1]
    answer = zto.client.post(path, data=request.body, headers=request.headers).get_json()
    assert answer["status"] is True, answer
    scheduler = get_services(zto.app).pushes
    scheduler.tick()
    delay = float(get_services(zto.app).config["RESULT_DELAY_SECONDS"])
    assert scheduler.seconds_to_next() <= delay

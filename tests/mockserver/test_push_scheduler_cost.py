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


def test_a_write_to_one_waybill_makes_the_next_tick_read_that_waybill_only(
    zto: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    zto.setup()
    hub = get_services(zto.app)
    account = hub.store.get_account("zto", zto.app_key)
    assert account is not None
    others = ["73100130019493", "73100130019500"]
    for waybill in others:
        hub.simulator.subscribe(account, waybill)
    hub.pushes.tick()
    asked: List[Any] = []
    real = hub.store.list_subscriptions

    def spy(carrier: str, app_key: str, waybill: Any = None) -> Any:
        asked.append(waybill)
        return real(carrier, app_key, waybill)

    monkeypatch.setattr(hub.store, "list_subscriptions", spy)
    hub.simulator.subscribe(account, others[0])  # refreshed: one waybill written
    hub.pushes.tick()
    assert asked == [others[0]]


# -- the heaps of due times: what falls due is found, in due order, and only once ------------------


class Intercepts:
    """One ZTO account with a callback, on a manual clock and the store given, and a way to put
    pending intercepts straight into its store (each resolving at a moment chosen by the test)."""

    def __init__(self, store: str, folder: Any, **config: Any) -> None:
        self.clock = ManualClock()
        self.sender = RecordingSender("zto")
        spec = f"sqlite:{folder / 'state.db'}" if store == "sqlite" else "memory"
        settings = {"CLOCK": "manual", "PUSH_SENDER": self.sender, "STORE": spec, **config}
        self.app = create_app(settings, clock=self.clock)
        self.hub = get_services(self.app)
        self.start = self.clock.now()
        answer = self.app.test_client().post(
            "/__admin/subscriptions/callback",
            json={"carrier": "zto", "app_key": "zto-demo", "url": "http://cb.test/p"},
        )
        assert answer.status_code == 200, answer.get_json()

    def pending(self, number: int, seconds: float) -> Any:
        from mockserver.world import InterceptKind, InterceptRecord, InterceptStatus

        record = InterceptRecord(
            id=f"I{number}",
            carrier="zto",
            app_key="zto-demo",
            waybill=f"7310{number:010d}",
            kind=InterceptKind.RETURN,
            request_id=f"r-{number}",
            external_ref=f"x-{number}",
            status=InterceptStatus.PENDING,
            created_at=self.start,
            resolve_at=self.start + timedelta(seconds=seconds),
            updated_at=self.start,
        )
        self.hub.store.put_intercept(record)
        return record

    def at(self, seconds: float) -> None:
        """Move the clock to ``seconds`` after the start and deliver what is due."""
        self.clock.set(self.start + timedelta(seconds=seconds))
        assert self.hub.pushes.flush(timeout=5)

    def sent_waybills(self) -> List[str]:
        """The waybill of each push sent, in the order they were sent."""
        by_body = {r.body.encode("utf-8"): r for r in self.hub.pushes.pushes("zto", "zto-demo")}
        return [w for sent in self.sender.sent for w in by_body[sent.body].waybills]


@pytest.fixture(params=["memory", "sqlite"])
def intercepts(request: Any, tmp_path: Any) -> Any:
    world = Intercepts(request.param, tmp_path)
    yield world
    from mockserver.app import close_app

    close_app(world.app, drain_seconds=0)


def test_one_clock_jump_pushes_every_intercept_that_resolved_once_in_resolve_order(
    intercepts: Intercepts,
) -> None:
    moments = {n: 60.0 * ((n * 37) % 50 + 1) for n in range(50)}  # 50 distinct minutes, shuffled
    for n in sorted(moments, key=lambda n: -n):
        intercepts.pending(n, moments[n])
    intercepts.hub.pushes.tick()  # every pending intercept is watched from here on
    intercepts.at(60.0 * 25.5)  # half of them resolved
    intercepts.at(60.0 * 60)  # the rest
    intercepts.at(60.0 * 120)  # nothing more
    expected = [f"7310{n:010d}" for n in sorted(moments, key=lambda n: moments[n])]
    assert intercepts.sent_waybills() == expected


def test_a_retry_due_later_goes_out_after_a_newer_push_due_sooner(intercepts: Intercepts) -> None:
    intercepts.pending(1, 1)
    intercepts.pending(2, 10)
    intercepts.sender.answers = [(500, b"busy")]  # the first attempt fails: a retry 30 s later
    intercepts.hub.pushes.tick()
    intercepts.at(1)
    intercepts.at(60)  # intercept 2's push (due at 10 s) and the retry (due at 31 s) are both due
    assert intercepts.sent_waybills() == ["73100000000001", "73100000000002", "73100000000001"]


def test_a_write_that_brings_a_waybills_moment_forward_wakes_the_scheduler_then_and_only_then(
    intercepts: Intercepts,
) -> None:
    from attrs import evolve

    record = intercepts.pending(1, 86_400)
    intercepts.hub.pushes.tick()
    assert intercepts.hub.pushes.seconds_to_next() == pytest.approx(86_400)
    intercepts.hub.store.put_intercept(evolve(record, resolve_at=intercepts.start + timedelta(seconds=10)))
    intercepts.hub.pushes.tick()
    assert intercepts.hub.pushes.seconds_to_next() == pytest.approx(10)
    intercepts.at(10)
    intercepts.at(86_401)  # the moment it was first watched for is long stale: nothing more
    assert intercepts.sent_waybills() == ["73100000000001"]


def test_a_push_queued_for_later_is_not_sent_if_its_account_is_reset_before_it_falls_due(
    tmp_path: Any,
) -> None:
    world = Intercepts("memory", tmp_path, PUSH_DELAY_SECONDS=600)
    try:
        world.pending(1, 1)
        world.hub.pushes.tick()
        world.at(2)  # the result push is queued, due at 601 s
        assert [r.state.value for r in world.hub.pushes.pushes("zto", "zto-demo")] == ["pending"]
        answer = world.app.test_client().post(
            "/__admin/reset", json={"carrier": "zto", "app_key": "zto-demo"}
        )
        assert answer.status_code == 200, answer.get_json()
        world.at(700)
        assert world.sender.sent == []
    finally:
        from mockserver.app import close_app

        close_app(world.app, drain_seconds=0)


def test_pushes_an_earlier_server_left_pending_in_a_sqlite_file_go_out_when_due(tmp_path: Any) -> None:
    from mockserver.app import close_app

    first = Intercepts("sqlite", tmp_path, PUSH_DELAY_SECONDS=600)
    first.pending(1, 1)
    first.pending(2, 5)
    first.hub.pushes.tick()
    first.at(10)  # both result pushes queued, due at 601 s and 605 s
    close_app(first.app, drain_seconds=0)
    assert first.sender.sent == []
    second = Intercepts("sqlite", tmp_path)
    try:
        second.start = first.start
        second.at(602)
        second.at(700)
        assert second.sent_waybills() == ["73100000000001", "73100000000002"]
    finally:
        close_app(second.app, drain_seconds=0)

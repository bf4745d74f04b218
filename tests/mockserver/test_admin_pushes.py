"""Admin routes for callbacks: callback URLs, subscriptions, the push log, flush, waiting; settings; the ticker."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any, Dict, List

import pytest
from mockpushkit import ACKS, RecordingSender

from mockserver.admin.pushes import OPENAPI_PATHS
from mockserver.app import create_app
from mockserver.clock import UTC, ManualClock, SystemClock
from mockserver.config import ConfigError
from mockserver.services import get_services

WAYBILL = "73100130019486"
URL = "http://cb.test/push"
DEMO = {"carrier": "zto", "app_key": "zto-demo"}


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender("zto")


@pytest.fixture
def mockserver_config(sender: RecordingSender) -> Dict[str, Any]:
    return {"CLOCK": "manual", "TESTING": True, "PUSH_SENDER": sender}


def _first_scan(client: Any) -> datetime:
    route = client.get(f"/__admin/parcels/zto/{WAYBILL}?app_key=zto-demo").get_json()["parcel"]["route"]
    return datetime.fromisoformat(next(s["time"] for s in route if not s["visible"]))


def _prepare(client: Any) -> datetime:
    assert client.post("/__admin/subscriptions/callback", json={**DEMO, "url": URL}).status_code == 200
    client.post("/__admin/parcels", json={**DEMO, "waybill": WAYBILL, "stage": "picked_up"})
    return _first_scan(client)


def test_subscribing_through_the_zto_api_shows_up_and_is_pushed(
    mock_client: Any, zto: Any, mock_clock: ManualClock, sender: RecordingSender
) -> None:
    first = _prepare(mock_client)
    zto.call("zto.merchant.waybill.track.subsrcibe", {"billCode": WAYBILL})
    listed = mock_client.get("/__admin/subscriptions?carrier=zto&app_key=zto-demo").get_json()
    assert listed["callbacks"][0]["url"] == URL
    assert [s["waybill"] for s in listed["subscriptions"]] == [WAYBILL]
    mock_clock.set(first)
    assert mock_client.post("/__admin/pushes/flush").get_json() == {
        "done": True,
        "counts": {"pending": 0, "delivered": 1, "failed": 0, "dropped": 0},
    }
    assert len(sender.sent) == 1
    pushes = mock_client.get(
        f"/__admin/pushes?carrier=zto&app_key=zto-demo&waybill={WAYBILL}&state=delivered"
    ).get_json()
    assert pushes["count"] == 1 and pushes["pushes"][0]["attempts"][0]["status"] == 200


def test_a_callback_can_be_given_when_registering_and_removed_with_null(mock_client: Any) -> None:
    created = mock_client.post(
        "/__admin/accounts", json={"carrier": "zto", "app_key": "k2", "app_secret": "s2", "callback_url": URL}
    )
    assert created.status_code == 201
    listed = mock_client.get("/__admin/subscriptions?app_key=k2").get_json()
    assert [c["url"] for c in listed["callbacks"]] == [URL]
    removed = mock_client.post(
        "/__admin/subscriptions/callback", json={"carrier": "zto", "app_key": "k2", "url": None}
    )
    assert removed.get_json() == {"callback": None}
    assert mock_client.get("/__admin/subscriptions?app_key=k2").get_json()["callbacks"] == []


def test_a_bad_callback_url_at_registration_creates_no_account(mock_client: Any) -> None:
    answer = mock_client.post(
        "/__admin/accounts",
        json={"carrier": "zto", "app_key": "k3", "app_secret": "s", "callback_url": "ftp://x"},
    )
    assert answer.status_code == 400 and answer.get_json()["field"] == "callback_url"
    accounts = mock_client.get("/__admin/accounts?carrier=zto").get_json()["accounts"]
    assert "k3" not in {a["app_key"] for a in accounts}


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/__admin/subscriptions/callback", {**DEMO, "url": "not a url"}, 400, "url"),
        ("/__admin/subscriptions/callback", {**DEMO, "url": "http://[::1/push"}, 400, "url"),
        (
            "/__admin/accounts",
            {**DEMO, "app_secret": "s", "callback_url": "http://[::1"},
            400,
            "callback_url",
        ),
        ("/__admin/subscriptions/callback", {**DEMO}, 400, "url"),
        ("/__admin/subscriptions/callback", {"carrier": "ups", "app_key": "x", "url": URL}, 400, "carrier"),
        (
            "/__admin/subscriptions/callback",
            {"carrier": "zto", "app_key": "nobody", "url": URL},
            404,
            "app_key",
        ),
        ("/__admin/subscriptions", {**DEMO, "waybill": "123"}, 400, "waybill"),
        ("/__admin/subscriptions", {**DEMO}, 400, "waybill"),
        ("/__admin/wait/pushes", {**DEMO, "count": 0}, 400, "count"),
        ("/__admin/wait/pushes", {**DEMO, "timeout": 31}, 400, "timeout"),
        ("/__admin/wait/pushes", {"app_key": "zto-demo"}, 400, "carrier"),
        ("/__admin/pushes/flush", {"timeout": "soon"}, 400, "timeout"),
    ],
)
def test_bad_input_is_a_json_error_naming_the_field(
    mock_client: Any, path: str, body: Dict[str, Any], status: int, field: str
) -> None:
    answer = mock_client.post(path, json=body)
    assert answer.status_code == status
    error = answer.get_json()
    assert error["field"] == field and error["error"] in ("invalid_field", "not_found") and error["message"]


def test_bad_query_filters_and_bodies_are_json_errors(mock_client: Any) -> None:
    assert mock_client.get("/__admin/pushes?state=lost").get_json()["field"] == "state"
    assert mock_client.get("/__admin/subscriptions?carrier=ups").get_json()["field"] == "carrier"
    answer = mock_client.post("/__admin/pushes/flush", data="[1]", content_type="application/json")
    assert answer.status_code == 400 and answer.get_json()["error"] == "invalid_json"


def test_waiting_returns_408_when_nothing_is_delivered_in_time(mock_client: Any) -> None:
    answer = mock_client.post("/__admin/wait/pushes", json={**DEMO, "timeout": 0.05})
    assert answer.status_code == 408
    body = answer.get_json()
    assert body["error"] == "timeout" and body["delivered"] == 0 and "0 of 1" in body["message"]


def test_waiting_returns_200_once_a_push_is_delivered(
    mock_app: Any, mock_client: Any, mock_clock: ManualClock
) -> None:
    first = _prepare(mock_client)
    mock_client.post("/__admin/subscriptions", json={**DEMO, "waybill": WAYBILL})
    answers: List[Any] = []
    started = threading.Event()

    def wait() -> None:
        started.set()
        answers.append(
            mock_app.test_client().post(
                "/__admin/wait/pushes", json={**DEMO, "waybill": WAYBILL, "count": 1, "timeout": 10}
            )
        )

    waiter = threading.Thread(target=wait)
    waiter.start()
    started.wait(5)
    mock_clock.set(first)  # the clock listener queues the push; a worker delivers it
    waiter.join(10)
    assert not waiter.is_alive()
    (answer,) = answers
    assert answer.status_code == 200 and answer.get_json()["delivered"] == 1


def test_accounts_setting_gives_a_default_callback_url() -> None:
    sender = RecordingSender("zto")
    clock = ManualClock()
    app = create_app(
        {
            "CLOCK": "manual",
            "PUSH_SENDER": sender,
            "ACCOUNTS": [
                {"carrier": "zto", "app_key": "cfg", "app_secret": "cfg-secret", "callback_url": URL}
            ],
        },
        clock=clock,
    )
    client = app.test_client()
    assert client.get("/__admin/subscriptions?app_key=cfg").get_json()["callbacks"][0]["url"] == URL
    with pytest.raises(ConfigError) as caught:
        create_app(
            {
                "CLOCK": "manual",
                "ACCOUNTS": [{"carrier": "zto", "app_key": "x", "app_secret": "y", "callback_url": "nope"}],
            }
        )
    assert caught.value.key == "ACCOUNTS[0].callback_url"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("PUSH_DELAY_SECONDS", -1),
        ("PUSH_RETRY_LIMIT", 1.5),
        ("PUSH_WORKERS", 0),
        ("PUSH_TICKER", "sometimes"),
        ("PUSH_RETRY_BASE_SECONDS", "x"),
        ("PUSH_SENDER", "requests"),
        ("PUSH_DELAY_SECONDS", float("inf")),
        ("PUSH_TICK_SECONDS", "nan"),
    ],
)
def test_bad_push_settings_are_refused_by_name(key: str, value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        create_app({"CLOCK": "manual", key: value})
    assert caught.value.key == key


def test_with_a_running_clock_the_ticker_delivers_due_pushes_by_itself() -> None:
    real = [0.0]
    clock = SystemClock(1.0, start=datetime(2025, 1, 6, 2, tzinfo=UTC), monotonic=lambda: real[0])
    sender = RecordingSender("zto")
    app = create_app({"CLOCK": "system", "PUSH_SENDER": sender, "PUSH_TICK_SECONDS": 0.01}, clock=clock)
    scheduler = get_services(app).pushes
    assert scheduler.ticking
    client = app.test_client()
    first = _prepare(client)
    client.post("/__admin/subscriptions", json={**DEMO, "waybill": WAYBILL})
    real[0] = (first - datetime(2025, 1, 6, 2, tzinfo=UTC)).total_seconds()
    delivered = scheduler.wait_delivered("zto", "zto-demo", timeout=5)
    assert len(delivered) == 1 and b"&company_id=zto-demo&" in sender.sent[0].body
    scheduler.close()
    assert not scheduler.ticking


def test_a_manual_clock_needs_no_ticker_and_switching_mode_starts_one(
    mock_app: Any, mock_client: Any
) -> None:
    scheduler = get_services(mock_app).pushes
    assert not scheduler.ticking
    assert mock_client.post("/__admin/clock/mode", json={"mode": "system", "speed": 1}).status_code == 200
    assert scheduler.ticking
    scheduler.close()


def test_backoff_doubles_from_the_base() -> None:
    from mockserver.pushes.delivery import PushSettings

    settings = PushSettings(retry_base_seconds=30)
    assert [settings.backoff(n) for n in (1, 2, 3)] == [timedelta(seconds=s) for s in (30, 60, 120)]


def test_openapi_paths_cover_every_push_route(mock_app: Any) -> None:
    routes = {
        (rule.rule, method.lower())
        for rule in mock_app.url_map.iter_rules()
        if mock_app.view_functions[rule.endpoint].__module__ == "mockserver.admin.pushes"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in OPENAPI_PATHS.items() for method in item}
    assert routes == documented
    assert all("responses" in op for item in OPENAPI_PATHS.values() for op in item.values())


def test_the_acks_used_here_are_what_the_mock_accepts() -> None:
    from mockserver.carriers import carrier_slugs, get_carrier

    for slug in carrier_slugs():
        assert get_carrier(slug).pushes.is_push_ack(200, ACKS[slug])  # type: ignore[attr-defined]
        assert not get_carrier(slug).pushes.is_push_ack(500, ACKS[slug])  # type: ignore[attr-defined]

"""Tests for the /__admin API: shapes, validation errors naming the field, clock and journal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from mockserver import create_app
from mockserver.clock import SystemClock

ZTO = {"carrier": "zto", "app_key": "qa-job-7", "app_secret": "qa-secret-7"}


def test_health_says_ok_with_mock_time_and_carriers(mock_client: Any, mock_clock: Any) -> None:
    answer = mock_client.get("/__admin/health").get_json()
    from mockserver.carriers import carrier_slugs

    assert answer == {"status": "ok", "time": mock_clock.now().isoformat(), "carriers": list(carrier_slugs())}


def test_account_is_created_then_updated_and_never_lists_its_secret(mock_client: Any) -> None:
    created = mock_client.post("/__admin/accounts", json={**ZTO, "extra": {"note": "x"}})
    assert created.status_code == 201
    assert created.get_json()["account"] == {
        "carrier": "zto",
        "app_key": "qa-job-7",
        "auto_parcels": True,
        "extra": {"note": "x"},
        "epoch": "2025-01-06T02:00:00+00:00",
        "clock_offset": 0.0,
    }
    updated = mock_client.post("/__admin/accounts", json={**ZTO, "auto_parcels": False})
    assert updated.status_code == 200
    assert updated.get_json()["created"] is False
    listing = mock_client.get("/__admin/accounts?carrier=zto")
    assert "qa-secret-7" not in listing.get_data(as_text=True)
    keys = {a["app_key"]: a for a in listing.get_json()["accounts"]}
    assert keys["qa-job-7"]["auto_parcels"] is False
    assert "zto-demo" in keys


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"app_key": "k", "app_secret": "s"}, "carrier"),
        ({"carrier": "ups", "app_key": "k", "app_secret": "s"}, "carrier"),
        ({"carrier": "zto", "app_secret": "s"}, "app_key"),
        ({"carrier": "zto", "app_key": "k", "app_secret": ""}, "app_secret"),
        ({"carrier": "zto", "app_key": "k", "app_secret": "s", "auto_parcels": "yes"}, "auto_parcels"),
        ({"carrier": "zto", "app_key": "k", "app_secret": "s", "extra": []}, "extra"),
        ({"carrier": "zto", "app_key": "k", "app_secret": "s", "extra": {"n": float("nan")}}, "extra"),
    ],
)
def test_bad_account_input_answers_400_naming_the_field(
    mock_client: Any, body: dict[str, Any], field: str
) -> None:
    answer = mock_client.post("/__admin/accounts", json=body)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_field"
    assert answer.get_json()["field"] == field


def test_body_that_is_not_a_json_object_answers_invalid_json(mock_client: Any) -> None:
    answer = mock_client.post("/__admin/accounts", data="[1]", content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_json"


def test_parcel_created_at_a_stage_returns_its_full_planned_route(mock_client: Any) -> None:
    answer = mock_client.post(
        "/__admin/parcels",
        json={
            "carrier": "zto",
            "app_key": "zto-demo",
            "waybill": "73100130019486",
            "stage": "out_for_delivery",
            "origin": {"province": "广东省", "city": "深圳市"},
            "destination": {"province": "浙江省", "city": "杭州市"},
        },
    )
    assert answer.status_code == 201
    parcel = answer.get_json()["parcel"]
    assert parcel["origin"] == {"province": "广东省", "city": "深圳市"}
    assert parcel["destination"] == {"province": "浙江省", "city": "杭州市"}
    visible = [scan for scan in parcel["route"] if scan["visible"]]
    assert visible[-1]["kind"] == "OUT_FOR_DELIVERY"
    assert parcel["route"][-1]["kind"] == "SIGNED" and not parcel["route"][-1]["visible"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"waybill": "12345"}, 400, "waybill"),
        ({"stage": "lost"}, 400, "stage"),
        ({"origin": {"city": "杭州市"}}, 400, "origin.province"),
        ({"destination": "杭州"}, 400, "destination"),
        ({"app_key": "nobody"}, 404, "app_key"),
    ],
)
def test_bad_parcel_input_names_the_field(
    mock_client: Any, change: dict[str, Any], status: int, field: str
) -> None:
    body = {"carrier": "zto", "app_key": "zto-demo", "waybill": "73100130019486", **change}
    answer = mock_client.post("/__admin/parcels", json=body)
    assert answer.status_code == status
    assert answer.get_json()["field"] == field


def test_get_parcel_materialises_auto_parcels_and_404s_without_them(mock_client: Any) -> None:
    auto = mock_client.get("/__admin/parcels/zto/73100130019486?app_key=zto-demo")
    assert auto.status_code == 200
    assert auto.get_json()["parcel"]["source"] == "auto"
    assert auto.get_json()["intercepts"] == []
    mock_client.post("/__admin/accounts", json={**ZTO, "auto_parcels": False})
    missing = mock_client.get("/__admin/parcels/zto/73100130019486?app_key=qa-job-7")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"
    no_key = mock_client.get("/__admin/parcels/zto/73100130019486")
    assert no_key.get_json()["field"] == "app_key"


def test_clock_can_be_read_advanced_and_set(mock_client: Any) -> None:
    assert mock_client.get("/__admin/clock").get_json() == {
        "time": "2025-01-06T02:00:00+00:00",
        "kind": "manual",
    }
    advanced = mock_client.post("/__admin/clock/advance", json={"seconds": 3600})
    assert advanced.get_json()["time"] == "2025-01-06T03:00:00+00:00"
    moved = mock_client.post("/__admin/clock", json={"time": "2025-02-01T08:00:00+08:00"})
    assert moved.get_json()["time"] == "2025-02-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/__admin/clock/advance", {"seconds": -5}, "seconds"),
        ("/__admin/clock/advance", {"seconds": "60"}, "seconds"),
        ("/__admin/clock", {"time": "tomorrow"}, "time"),
        ("/__admin/clock", {"time": "2025-02-01T08:00:00"}, "time"),
    ],
)
def test_bad_clock_input_names_the_field(
    mock_client: Any, path: str, body: dict[str, Any], field: str
) -> None:
    answer = mock_client.post(path, json=body)
    assert answer.status_code == 400
    assert answer.get_json()["field"] == field


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("/__admin/clock/advance", '{"seconds": NaN}', "seconds"),
        ("/__admin/clock/advance", '{"seconds": Infinity}', "seconds"),
        ("/__admin/clock/advance", '{"seconds": 1e15}', "seconds"),
        ("/__admin/clock/mode", '{"mode": "system", "speed": Infinity}', "speed"),
        ("/__admin/clock/mode", '{"mode": "system", "speed": 1e300}', "speed"),
    ],
)
def test_clock_input_out_of_range_is_a_400_and_the_clock_keeps_working(
    mock_client: Any, path: str, raw: str, field: str
) -> None:
    # Python's JSON parser accepts NaN and Infinity; they must not reach timedelta.
    answer = mock_client.post(path, data=raw, content_type="application/json")
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["field"] == field
    assert mock_client.get("/__admin/clock").status_code == 200
    assert mock_client.post("/__admin/clock/advance", json={"seconds": 60}).status_code == 200


def test_advancing_a_clock_past_the_last_representable_time_is_a_400(mock_client: Any) -> None:
    mock_client.post("/__admin/clock", json={"time": "9999-12-31T23:59:00+00:00"})
    answer = mock_client.post("/__admin/clock/advance", json={"seconds": 3600})
    assert answer.status_code == 400 and answer.get_json()["field"] == "seconds"
    assert mock_client.get("/__admin/clock").get_json()["time"] == "9999-12-31T23:59:00+00:00"


def test_moving_a_system_clock_is_refused_clearly() -> None:
    client = create_app({"CLOCK": "system"}, clock=SystemClock(60)).test_client()
    state = client.get("/__admin/clock").get_json()
    assert state["kind"] == "system" and state["speed"] == 60
    answer = client.post("/__admin/clock/advance", json={"seconds": 1})
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "clock_not_manual"


def test_journal_lists_filters_and_clears_carrier_requests(mock_client: Any, zto: Any) -> None:
    zto.post("zto.merchant.waybill.track.query", {"billCode": "73100130019486"})
    zto.post("zto.merchant.waybill.track.query", {"billCode": "73100196611386"})
    zto.post("zto.merchant.waybill.track.query", {"billCode": "73100130019486"}, digest="bad")
    listing = mock_client.get("/__admin/requests?carrier=zto&waybill=73100130019486").get_json()
    assert listing["count"] == 2
    assert [r["response_status"] for r in listing["requests"]] == [200, 200]
    assert listing["requests"][1]["error"] == "S211: 签名错误"
    assert mock_client.get("/__admin/requests?operation=track&app_key=zto-demo").get_json()["count"] == 3
    assert mock_client.get("/__admin/requests").get_json()["requests"][0]["operation"] == "track"
    assert mock_client.delete("/__admin/requests").get_json() == {"cleared": 3}
    assert mock_client.get("/__admin/requests").get_json()["count"] == 0


def test_reset_one_account_forgets_its_state_and_restarts_its_epoch(
    mock_client: Any, mock_clock: Any, zto: Any, make_parcel: Any
) -> None:
    make_parcel("73100130019486", "in_transit")
    zto.intercept("73100130019486", "req-1")
    mock_clock.advance(60)
    answer = mock_client.post("/__admin/reset", json={"carrier": "zto", "app_key": "zto-demo"})
    assert answer.get_json()["reset"] == {"carrier": "zto", "app_key": "zto-demo"}
    assert answer.get_json()["account"]["epoch"] == mock_clock.now().isoformat()
    assert mock_client.get("/__admin/intercepts?carrier=zto&app_key=zto-demo").get_json() == {
        "intercepts": []
    }
    assert mock_client.get("/__admin/requests?app_key=zto-demo").get_json()["count"] == 0


def test_reset_all_drops_added_accounts_and_keeps_configured_ones(mock_client: Any) -> None:
    mock_client.post("/__admin/accounts", json=ZTO)
    assert mock_client.post("/__admin/reset").get_json() == {"reset": "all"}
    from mockserver.carriers import carrier_slugs

    keys = [a["app_key"] for a in mock_client.get("/__admin/accounts").get_json()["accounts"]]
    assert sorted(keys) == sorted(f"{slug}-demo" for slug in carrier_slugs())


def test_reset_of_an_unknown_account_is_404(mock_client: Any) -> None:
    answer = mock_client.post("/__admin/reset", json={"carrier": "zto", "app_key": "ghost"})
    assert answer.status_code == 404


def test_intercepts_are_listed_with_their_settled_status(
    mock_client: Any, mock_clock: Any, zto: Any, make_parcel: Any
) -> None:
    make_parcel("73100130019486", "in_transit")
    zto.intercept("73100130019486", "req-1")
    pending = mock_client.get("/__admin/intercepts?carrier=zto").get_json()["intercepts"]
    assert [(r["status"], r["request_id"]) for r in pending] == [("PENDING", "req-1")]
    mock_clock.advance(1800)
    done = mock_client.get("/__admin/intercepts?carrier=zto&app_key=zto-demo").get_json()
    assert done["intercepts"][0]["status"] == "SUCCEEDED"
    assert mock_client.get("/__admin/intercepts?carrier=ups").status_code == 400


def test_unknown_routes_and_methods_answer_json(mock_client: Any) -> None:
    missing = mock_client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"
    wrong = mock_client.get("/zto/zto.merchant.waybill.track.query")
    assert wrong.status_code == 405
    assert wrong.get_json()["error"] == "method_not_allowed"


def test_configured_accounts_are_registered_at_start() -> None:
    app = create_app(
        {"CLOCK": "manual", "DEMO_ACCOUNTS": False, "ACCOUNTS": [{**ZTO, "auto_parcels": False}]}
    )
    accounts = app.test_client().get("/__admin/accounts").get_json()["accounts"]
    assert [(a["app_key"], a["auto_parcels"]) for a in accounts] == [("qa-job-7", False)]
    assert datetime.fromisoformat(accounts[0]["epoch"]).tzinfo is not None


def test_deleting_an_account_forgets_it_with_its_journal_and_scenarios(mock_client: Any, zto: Any) -> None:
    assert mock_client.post("/__admin/accounts", json=ZTO).status_code == 201
    stub = {
        "id": "mine",
        "match": {"account": "qa-job-7"},
        "outcome": {"type": "intercept", "result": "succeed"},
    }
    assert mock_client.post("/__admin/scenarios", json=stub).status_code == 201
    zto.post(
        "zto.merchant.waybill.track.query",
        {"billCode": "73100130019486"},
        app_key="qa-job-7",
        secret="qa-secret-7",
    )
    answer = mock_client.delete("/__admin/accounts/zto/qa-job-7")
    assert answer.status_code == 200
    assert answer.get_json()["scenarios_removed"] == ["mine"]
    keys = {a["app_key"] for a in mock_client.get("/__admin/accounts").get_json()["accounts"]}
    assert "qa-job-7" not in keys and "zto-demo" in keys
    assert mock_client.get("/__admin/requests/count?app_key=qa-job-7").get_json() == {"count": 0}
    assert mock_client.delete("/__admin/accounts/zto/qa-job-7").status_code == 404

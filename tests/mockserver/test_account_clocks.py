"""Each account's own clock: on a shared server one job's time never moves another's."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict

import pytest
from mockpushkit import RecordingSender

WAYBILL = "73100130019486"
JOBS = {
    "job-a": {"carrier": "zto", "app_key": "job-a", "app_secret": "secret-a"},
    "job-b": {"carrier": "zto", "app_key": "job-b", "app_secret": "secret-b"},
}


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender("zto")


@pytest.fixture
def mockserver_config(sender: RecordingSender) -> Dict[str, Any]:
    return {"CLOCK": "manual", "TESTING": True, "PUSH_SENDER": sender, "RESULT_DELAY_SECONDS": 600}


@pytest.fixture
def jobs(mock_client: Any) -> Dict[str, Dict[str, str]]:
    for job in JOBS.values():
        url = f"http://cb.test/{job['app_key']}"
        assert mock_client.post("/__admin/accounts", json={**job, "callback_url": url}).status_code == 201
        scope = {"carrier": "zto", "app_key": job["app_key"]}
        assert mock_client.post("/__admin/parcels", json={**scope, "waybill": WAYBILL, "stage": "picked_up"})
    return JOBS


def _intercept(zto: Any, job: Dict[str, str], request_id: str) -> None:
    body = {"billCode": WAYBILL, "requestId": request_id, "thirdBizNo": request_id, "destinationType": 2}
    answer = zto.post("thirdcenter.createIntercept", body, app_key=job["app_key"], secret=job["app_secret"])
    assert answer.get_json()["status"] is True, answer.get_json()


def _intercepts(client: Any, app_key: str) -> list[str]:
    found = client.get(f"/__admin/parcels/zto/{WAYBILL}?app_key={app_key}").get_json()
    return [r["status"] for r in found["intercepts"]]


def _advance(client: Any, app_key: str, seconds: float) -> Any:
    return client.post(
        "/__admin/clock/advance", json={"carrier": "zto", "app_key": app_key, "seconds": seconds}
    )


def test_advancing_one_accounts_clock_resolves_only_its_own_intercepts(
    mock_client: Any, zto: Any, jobs: Dict[str, Dict[str, str]]
) -> None:
    _intercept(zto, jobs["job-a"], "a-1")
    _intercept(zto, jobs["job-b"], "b-1")
    moved = _advance(mock_client, "job-a", 601)
    assert moved.status_code == 200
    assert moved.get_json()["offset_seconds"] == 601
    assert _intercepts(mock_client, "job-a") == ["SUCCEEDED"]
    assert _intercepts(mock_client, "job-b") == ["PENDING"]


def test_advancing_one_accounts_clock_pushes_only_to_that_account(
    mock_client: Any, zto: Any, jobs: Dict[str, Dict[str, str]], sender: RecordingSender
) -> None:
    for job in jobs.values():
        answer = zto.post(
            "zto.merchant.waybill.track.subsrcibe",
            {"billCode": WAYBILL},
            app_key=job["app_key"],
            secret=job["app_secret"],
        )
        assert answer.get_json()["status"] is True
    _advance(mock_client, "job-a", 3 * 86400)
    mock_client.post("/__admin/pushes/flush")
    assert sender.sent, "job-a's scans fell due and were pushed"
    assert {s.url for s in sender.sent} == {"http://cb.test/job-a"}


def test_an_accounts_clock_shows_its_own_time_and_the_servers(
    mock_client: Any, mock_clock: Any, jobs: Dict[str, Dict[str, str]]
) -> None:
    _advance(mock_client, "job-a", 3600)
    state = mock_client.get("/__admin/clock?carrier=zto&app_key=job-a").get_json()
    server = mock_client.get("/__admin/clock").get_json()
    assert server["time"] == state["server_time"] == mock_clock.now().isoformat()
    assert datetime.fromisoformat(state["time"]) - mock_clock.now() == timedelta(hours=1)
    other = mock_client.get("/__admin/clock?carrier=zto&app_key=job-b").get_json()
    assert other["offset_seconds"] == 0 and other["time"] == server["time"]


def test_setting_an_accounts_clock_and_resetting_the_account(
    mock_client: Any, mock_clock: Any, jobs: Dict[str, Dict[str, str]]
) -> None:
    target = (mock_clock.now() + timedelta(days=2)).isoformat()
    answer = mock_client.post("/__admin/clock", json={"carrier": "zto", "app_key": "job-a", "time": target})
    assert answer.get_json()["time"] == target
    mock_client.post("/__admin/reset", json={"carrier": "zto", "app_key": "job-a"})
    after = mock_client.get("/__admin/clock?carrier=zto&app_key=job-a").get_json()
    assert after["offset_seconds"] == 0
    assert after["time"] == mock_clock.now().isoformat()


def test_journal_entries_carry_the_callers_own_time(
    mock_client: Any, mock_clock: Any, zto: Any, jobs: Dict[str, Dict[str, str]]
) -> None:
    _advance(mock_client, "job-a", 60)
    for job in jobs.values():
        zto.post(
            "zto.merchant.waybill.track.query",
            {"billCode": WAYBILL},
            app_key=job["app_key"],
            secret=job["app_secret"],
        )
    times = {e["account"]: e["time"] for e in mock_client.get("/__admin/requests").get_json()["requests"]}
    assert times["job-b"] == mock_clock.now().isoformat()
    assert datetime.fromisoformat(times["job-a"]) == mock_clock.now() + timedelta(seconds=60)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"carrier": "zto", "app_key": "nobody", "seconds": 1}, 404, "app_key"),
        ({"carrier": "zto", "app_key": "job-a", "seconds": -1}, 400, "seconds"),
        ({"carrier": "zto", "seconds": 1}, 400, "app_key"),
        ({"app_key": "job-a", "seconds": 1}, 400, "carrier"),
        ({"carrier": "zto", "app_key": "job-a", "seconds": 1e300}, 400, "seconds"),
    ],
)
def test_bad_account_clock_moves_are_refused_by_field(
    mock_client: Any, jobs: Dict[str, Dict[str, str]], body: Dict[str, Any], status: int, field: str
) -> None:
    answer = mock_client.post("/__admin/clock/advance", json=body)
    assert answer.status_code == status
    assert answer.get_json()["field"] == field


def test_an_accounts_clock_moves_even_when_the_server_runs_on_system_time(
    mock_client: Any, jobs: Dict[str, Dict[str, str]]
) -> None:
    assert mock_client.post("/__admin/clock/mode", json={"mode": "system"}).status_code == 200
    assert _advance(mock_client, "job-a", 60).status_code == 200
    assert mock_client.post("/__admin/clock/advance", json={"seconds": 60}).status_code == 409

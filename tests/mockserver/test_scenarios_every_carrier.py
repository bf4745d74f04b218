"""Every named scenario outcome and HTTP fault, on every carrier, through the admin API and signed requests."""

from __future__ import annotations

import json
from typing import Any

import pytest
from carrier_calls import CARRIERS

from mockserver import create_app
from mockserver.carriers import carrier_slugs
from mockserver.scenarios import INTERCEPT_FAILURE_REASONS

SLUGS = [slug for slug in carrier_slugs() if slug in CARRIERS]


def test_the_helper_covers_every_carrier() -> None:
    assert set(carrier_slugs()) <= set(CARRIERS)


class Harness:
    def __init__(self, slug: str) -> None:
        self.slept: list[float] = []
        self.app = create_app({"CLOCK": "manual", "TESTING": True})
        self.hub = self.app.extensions["mockserver"]
        self.hub.sleep = self.slept.append
        self.admin = self.app.test_client()
        self.carrier = CARRIERS[slug](self.app.test_client())

    def stub(self, outcome: dict[str, Any], **extra: Any) -> str:
        answer = self.admin.post(
            "/__admin/scenarios",
            json={
                "match": {"carrier": self.carrier.slug, **extra.pop("match", {})},
                "outcome": outcome,
                **extra,
            },
        )
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["added"][0]["id"]  # type: ignore[no-any-return]

    def parcel(self, stage: str = "in_transit") -> None:
        answer = self.admin.post(
            "/__admin/parcels",
            json={
                "carrier": self.carrier.slug,
                "app_key": self.carrier.key,
                "waybill": self.carrier.waybill,
                "stage": stage,
            },
        )
        assert answer.status_code == 201, answer.get_json()

    def intercepts(self) -> list[dict[str, Any]]:
        return self.admin.get("/__admin/intercepts").get_json()["intercepts"]  # type: ignore[no-any-return]

    def last_entry(self) -> dict[str, Any]:
        return self.admin.get("/__admin/requests").get_json()["requests"][-1]  # type: ignore[no-any-return]


@pytest.fixture(params=SLUGS)
def h(request: pytest.FixtureRequest) -> Harness:
    return Harness(request.param)


# -- intercepts ----------------------------------------------------------------------------------


def test_intercept_succeeds_and_the_journal_names_the_stub(h: Harness) -> None:
    stub = h.stub({"type": "intercept", "result": "succeed"}, id="ok")
    h.parcel("created")
    answer = h.carrier.intercept()
    assert answer.status_code == 200
    assert h.intercepts()[0]["status"] == "SUCCEEDED"
    entry = h.last_entry()
    assert (entry["decided_by"], entry["operation"], entry["waybill"]) == (
        stub,
        "intercept",
        h.carrier.waybill,
    )


@pytest.mark.parametrize("reason", INTERCEPT_FAILURE_REASONS)
def test_intercept_fails_with_each_reason_in_the_carriers_code(h: Harness, reason: str) -> None:
    h.stub({"type": "intercept", "result": "fail", "reason": reason})
    h.parcel("created")
    answer = h.carrier.intercept()
    assert h.carrier.mark(reason) in answer.get_data(as_text=True)
    assert h.intercepts() == []


@pytest.mark.parametrize(
    ("then", "extra", "final"),
    [("succeed", {}, "SUCCEEDED"), ("fail", {"reason": "out_for_delivery"}, "FAILED")],
)
def test_intercept_stays_pending_then_resolves_on_the_mock_clock(
    h: Harness, then: str, extra: dict[str, Any], final: str
) -> None:
    h.stub({"type": "intercept", "result": "pending", "delay_seconds": 600, "then": then, **extra})
    h.parcel("created")
    assert h.carrier.intercept().status_code == 200
    h.admin.post("/__admin/clock/advance", json={"seconds": 599})
    assert h.intercepts()[0]["status"] == "PENDING"
    h.admin.post("/__admin/clock/advance", json={"seconds": 1})
    assert h.intercepts()[0]["status"] == final


def test_intercept_pending_for_good(h: Harness) -> None:
    h.stub({"type": "intercept", "result": "pending"})
    h.parcel("created")
    h.carrier.intercept()
    h.admin.post("/__admin/clock/advance", json={"seconds": 30 * 86400})
    assert h.intercepts()[0]["status"] == "PENDING"


# -- tracking --------------------------------------------------------------------------------------


def _normal_and_mutated(h: Harness, outcome: dict[str, Any]) -> tuple[list[Any], list[Any]]:
    h.parcel()
    normal = h.carrier.scans(h.carrier.track().get_json())
    assert len(normal) >= 2
    h.stub(outcome)
    return normal, h.carrier.scans(h.carrier.track().get_json())


def test_track_missing_fields(h: Harness) -> None:
    normal, mutated = _normal_and_mutated(
        h, {"type": "track", "mutation": "missing_fields", "fields": [h.carrier.time_field]}
    )
    assert len(mutated) == len(normal)
    assert all(h.carrier.time_field not in scan for scan in mutated)


def test_track_null_values(h: Harness) -> None:
    _, mutated = _normal_and_mutated(
        h, {"type": "track", "mutation": "null_values", "fields": [h.carrier.time_field]}
    )
    assert all(scan[h.carrier.time_field] is None for scan in mutated)


def test_track_empty_trace(h: Harness) -> None:
    _, mutated = _normal_and_mutated(h, {"type": "track", "mutation": "empty_trace"})
    assert mutated == []


def test_track_unknown_scan_codes(h: Harness) -> None:
    _, mutated = _normal_and_mutated(h, {"type": "track", "mutation": "unknown_scan_codes"})
    assert {scan[h.carrier.code_field] for scan in mutated} == {"X99"}


def test_track_out_of_order(h: Harness) -> None:
    normal, mutated = _normal_and_mutated(h, {"type": "track", "mutation": "out_of_order"})
    assert mutated == normal[::-1]


def test_track_duplicate_scans(h: Harness) -> None:
    normal, mutated = _normal_and_mutated(h, {"type": "track", "mutation": "duplicate_scans"})
    assert mutated == [scan for scan in normal for _ in (0, 1)]


# -- carrier envelope errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind", ["bad_signature", "rate_limited", "unavailable", "missing_field", "not_found"]
)
def test_carrier_envelope_errors_use_the_carriers_codes(h: Harness, kind: str) -> None:
    h.stub({"type": "carrier_error", "kind": kind})
    for send in (h.carrier.track, h.carrier.intercept):
        answer = send()
        assert answer.status_code == 200
        key = "not_found_error" if kind == "not_found" else kind
        assert h.carrier.codes[key] in answer.get_data(as_text=True)
        assert h.last_entry()["error"]


# -- HTTP faults -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "retry_after"), [(500, None), (502, None), (503, None), (429, 7)])
def test_http_status_faults_answer_a_gateway_page_and_change_nothing(
    h: Harness, status: int, retry_after: Any
) -> None:
    outcome = {"type": "http_fault", "kind": "status", "status": status}
    if retry_after is not None:
        outcome["retry_after"] = retry_after
    h.stub(outcome)
    for send in (h.carrier.track, h.carrier.intercept):
        answer = send()
        assert answer.status_code == status
        assert answer.headers.get("Retry-After") == (str(retry_after) if retry_after else None)
        assert answer.content_type.startswith("text/html")
    assert h.intercepts() == []
    assert h.last_entry()["response_status"] == status


def test_slow_response_waits_through_the_injected_sleep_then_answers_normally(h: Harness) -> None:
    h.parcel()
    normal = h.carrier.scans(h.carrier.track().get_json())
    h.stub({"type": "http_fault", "kind": "slow", "delay_seconds": 45})
    answer = h.carrier.track()
    assert h.slept == [45]
    assert answer.status_code == 200 and h.carrier.scans(answer.get_json()) == normal


def test_connection_reset_raises_a_connection_error_in_process(h: Harness) -> None:
    h.stub({"type": "http_fault", "kind": "connection_reset"})
    with pytest.raises(ConnectionError):
        answer = h.carrier.track()
        answer.get_data()
    assert "dropped" in h.last_entry()["error"]


def test_truncated_body_announces_more_bytes_than_it_sends(h: Harness) -> None:
    h.parcel()
    full = len(h.carrier.track().get_data())
    h.stub({"type": "http_fault", "kind": "truncated_body"})
    answer = h.carrier.track()
    body = answer.get_data()
    assert len(body) == full // 2
    assert int(answer.headers["Content-Length"]) == full
    with pytest.raises(ValueError):
        json.loads(body)


def test_malformed_json_keeps_the_json_content_type(h: Harness) -> None:
    h.parcel()
    h.stub({"type": "http_fault", "kind": "malformed_json"})
    answer = h.carrier.track()
    assert answer.content_type.startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(answer.get_data(as_text=True))


@pytest.mark.parametrize("content_type", [None, "text/plain"])
def test_wrong_content_type(h: Harness, content_type: Any) -> None:
    h.parcel()
    normal = h.carrier.scans(h.carrier.track().get_json())
    outcome = {"type": "http_fault", "kind": "wrong_content_type"}
    if content_type:
        outcome["content_type"] = content_type
    h.stub(outcome)
    answer = h.carrier.track()
    assert answer.status_code == 200
    if content_type is None:
        assert answer.content_type.startswith("text/html") and b"<html" in answer.get_data()
    else:
        assert answer.content_type == content_type
        assert h.carrier.scans(json.loads(answer.get_data())) == normal


def test_a_response_outcome_answers_exactly_that(h: Harness) -> None:
    h.stub(
        {
            "type": "response",
            "status": 418,
            "headers": {"Content-Type": "text/plain", "X-Run": "7"},
            "body": "teapot",
        }
    )
    answer = h.carrier.intercept()
    assert (answer.status_code, answer.content_type, answer.headers["X-Run"], answer.get_data()) == (
        418,
        "text/plain",
        "7",
        b"teapot",
    )


def test_first_call_fails_then_succeeds(h: Harness) -> None:
    h.stub({"type": "http_fault", "kind": "status", "status": 503}, lifetime="once")
    assert h.carrier.track().status_code == 503
    assert h.carrier.track().status_code == 200
    entries = h.admin.get("/__admin/requests").get_json()["requests"]
    assert [e["decided_by"] == "default" for e in entries] == [False, True]

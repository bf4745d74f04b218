"""HTTP answered as RFC 9110 asks, and the admin OpenAPI document stating the server's limits.

tests/mockserver/test_admin_conformance.py checks the same with schemathesis (Python 3.11+);
these pin the individual answers on every supported Python.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import pytest

ZTO_TRACK = "/zto/zto.merchant.waybill.track.query"


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        (ZTO_TRACK, {"OPTIONS", "POST"}),
        ("/__admin/verify", {"OPTIONS", "POST"}),
        ("/__admin/scenarios/misses", {"GET", "HEAD", "OPTIONS"}),
        ("/__admin/accounts/zto/zto-demo", {"DELETE", "OPTIONS"}),
    ],
)
def test_options_answers_204_with_allow_and_no_body(mock_client: Any, path: str, allow: set[str]) -> None:
    answer = mock_client.options(path)
    assert answer.status_code == 204
    assert set(answer.headers["Allow"].split(", ")) == allow
    assert answer.data == b""
    assert "Content-Type" not in answer.headers


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", ZTO_TRACK, {"OPTIONS", "POST"}),
        ("TRACE", "/__admin/verify", {"OPTIONS", "POST"}),
        ("DELETE", "/__admin/scenarios/misses", {"GET", "HEAD", "OPTIONS"}),
        ("DELETE", "/__admin/scenarios/explain", {"OPTIONS", "POST"}),
    ],
)
def test_a_method_the_route_does_not_take_is_405_json_with_allow(
    mock_client: Any, method: str, path: str, allow: set[str]
) -> None:
    answer = mock_client.open(path, method=method)
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].split(", ")) == allow
    assert answer.get_json()["error"] == "method_not_allowed"
    assert method in answer.get_json()["message"]


def test_deleting_a_stub_still_works_beside_the_fixed_routes(mock_client: Any) -> None:
    stub = {
        "id": "misses-not",
        "match": {"operation": "track"},
        "outcome": {"type": "track", "mutation": "empty_trace"},
    }
    assert mock_client.post("/__admin/scenarios", json=stub).status_code == 201
    assert mock_client.delete("/__admin/scenarios/misses-not").get_json()["removed"]["id"] == "misses-not"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "explain", "match": {}, "outcome": {"type": "track", "mutation": "empty_trace"}}, "id"),
        (
            {
                "version": 1,
                "stubs": [
                    {"id": "states", "match": {}, "outcome": {"type": "track", "mutation": "empty_trace"}}
                ],
            },
            "stubs[0].id",
        ),
    ],
)
def test_a_stub_may_not_take_the_id_of_a_fixed_route(
    mock_client: Any, body: dict[str, Any], field: str
) -> None:
    answer = mock_client.post("/__admin/scenarios", json=body)
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "invalid_scenario"
    assert answer.get_json()["field"] == field


def test_a_failed_verification_carries_an_error_code(mock_client: Any) -> None:
    answer = mock_client.post("/__admin/verify", json={"count": 1})
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "verification_failed"
    assert answer.get_json()["ok"] is False


def test_a_malformed_waybill_is_no_parcel(mock_client: Any) -> None:
    answer = mock_client.get("/__admin/parcels/zto/YT1234567890123?app_key=zto-demo")
    assert answer.status_code == 404
    assert answer.get_json()["field"] == "waybill"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-06t10:00:00z", "2025-01-06T10:00:00+00:00"),
        ("2025-01-06T10:00:00.123456789+08:00", "2025-01-06T02:00:00.123456+00:00"),
        ("2025-06-30T23:59:60Z", "2025-07-01T00:00:00+00:00"),
    ],
)
def test_the_clock_reads_rfc_3339_times(mock_client: Any, text: str, expected: str) -> None:
    answer = mock_client.post("/__admin/clock", json={"time": text})
    assert answer.status_code == 200
    assert datetime.fromisoformat(answer.get_json()["time"]) == datetime.fromisoformat(expected)


@pytest.mark.parametrize("text", ["2025-01-06", "2025-01-06T10:00:00", "2025-02-30T10:00:00Z", "soon"])
def test_the_clock_refuses_what_is_not_an_rfc_3339_time(mock_client: Any, text: str) -> None:
    answer = mock_client.post("/__admin/clock", json={"time": text})
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "time"


@pytest.mark.parametrize("raw", ["404.0", "404"])
def test_a_journal_status_filter_reads_whole_numbers(mock_client: Any, raw: str) -> None:
    assert mock_client.get(f"/__admin/requests/count?status={raw}").status_code == 200


@pytest.fixture
def document(mock_client: Any) -> dict[str, Any]:
    found: dict[str, Any] = mock_client.get("/__admin/openapi.json").get_json()
    return found


def test_the_document_states_the_body_limit_and_its_413(document: dict[str, Any], mock_app: Any) -> None:
    limit = mock_app.config["MAX_CONTENT_LENGTH"]
    assert document["x-max-content-length"] == limit
    bodies = [spec for item in document["paths"].values() for spec in item.values() if "requestBody" in spec]
    assert bodies
    for spec in bodies:
        assert "413" in spec["responses"]
        assert str(limit) in spec["requestBody"]["description"]


def test_carrier_path_and_query_parameters_are_enums(document: dict[str, Any]) -> None:
    for path in ("/__admin/accounts/{carrier}/{app_key}", "/__admin/parcels/{carrier}/{waybill}"):
        (operation,) = document["paths"][path].values()
        carrier = next(p for p in operation["parameters"] if p["name"] == "carrier")
        assert carrier["schema"]["enum"] == ["zto", "yto", "sto", "jt"]


def test_parcel_bodies_carry_each_carriers_waybill_pattern(document: dict[str, Any]) -> None:
    schema = document["paths"]["/__admin/parcels"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    branches = schema["allOf"][0]["anyOf"]
    patterns = {b["properties"]["carrier"]["const"]: b["properties"]["waybill"]["pattern"] for b in branches}
    assert set(patterns) == {"zto", "yto", "sto", "jt"}
    assert re.search(patterns["yto"], "YT1234567890123")
    assert not re.search(patterns["zto"], "YT1234567890123")


def test_the_account_clock_routes_state_that_carrier_and_app_key_come_together(
    document: dict[str, Any],
) -> None:
    (account,) = document["paths"]["/__admin/clock"]["get"]["parameters"]
    assert account["style"] == "form" and account["explode"] is True
    assert account["schema"]["allOf"] == [
        {"dependentRequired": {"carrier": ["app_key"], "app_key": ["carrier"]}}
    ]
    for path in ("/__admin/clock", "/__admin/clock/advance"):
        body = document["paths"][path]["post"]["requestBody"]
        assert body["required"] is True
        assert "anyOf" in body["content"]["application/json"]["schema"]["allOf"][0]


def test_the_verify_conflict_has_its_own_schema(document: dict[str, Any]) -> None:
    conflict = document["paths"]["/__admin/verify"]["post"]["responses"]["409"]
    schema = conflict["content"]["application/json"]["schema"]
    assert {"error", "ok", "count", "expected", "message", "requests"} <= set(schema["required"])

"""Admin journal routes: filters and count, verify (with near misses), blocking waits, clock mode, OpenAPI."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from mockserver.admin.openapi import build_document

WAYBILL = "73123456789012"
OTHER = "73123456789029"


@pytest.fixture
def traffic(mock_client: Any, make_parcel: Any, zto: Any) -> Any:
    """Two intercepts for WAYBILL (one rejected by a stub), one track of OTHER."""
    make_parcel(WAYBILL, "created")
    mock_client.post(
        "/__admin/scenarios",
        json={
            "id": "no",
            "match": {"waybill": WAYBILL},
            "lifetime": "once",
            "outcome": {"type": "intercept", "result": "fail", "reason": "other"},
        },
    )
    zto.post("thirdcenter.createIntercept", {"billCode": WAYBILL, "requestId": "r1", "destinationType": 2})
    zto.intercept(WAYBILL, "r2")
    zto.call("zto.merchant.waybill.track.query", {"billCode": OTHER})
    return zto


def test_filters_and_count(mock_client: Any, traffic: Any) -> None:
    listed = mock_client.get(f"/__admin/requests?waybill={WAYBILL}&operation=intercept").get_json()
    assert listed["count"] == 2
    assert [e["decided_by"] for e in listed["requests"]] == ["no", "default"]
    assert mock_client.get("/__admin/requests/count?decided_by=no").get_json() == {"count": 1}
    assert mock_client.get("/__admin/requests/count?app_key=zto-demo&status=200").get_json() == {"count": 3}
    assert mock_client.get("/__admin/requests?limit=1").get_json()["requests"][0]["waybill"] == OTHER
    bad = mock_client.get("/__admin/requests?operation=intercpt")
    assert bad.status_code == 400 and bad.get_json()["field"] == "operation"
    assert mock_client.get("/__admin/requests/count?colour=red").get_json()["field"] == "colour"


def test_after_pages_through_the_matching_entries_oldest_first_with_a_next_cursor(
    mock_client: Any, traffic: Any
) -> None:
    everything = mock_client.get("/__admin/requests").get_json()
    assert everything["total"] == everything["count"] == 3 and everything["next"] is None
    ids = [e["id"] for e in everything["requests"]]
    first = mock_client.get("/__admin/requests?after=0&limit=2").get_json()
    assert [e["id"] for e in first["requests"]] == ids[:2]
    assert (first["count"], first["total"], first["next"]) == (2, 3, ids[1])
    last = mock_client.get(f"/__admin/requests?after={first['next']}&limit=2").get_json()
    assert [e["id"] for e in last["requests"]] == ids[2:] and last["next"] is None
    filtered = mock_client.get(f"/__admin/requests?after=0&limit=1&waybill={WAYBILL}").get_json()
    assert filtered["total"] == 2 and filtered["next"] == filtered["requests"][0]["id"]
    assert mock_client.get("/__admin/requests?after=0").get_json()["count"] == 3  # default page: 100


def test_a_page_is_at_most_a_thousand_and_an_empty_page_keeps_the_cursor(
    mock_client: Any, traffic: Any
) -> None:
    empty = mock_client.get("/__admin/requests?after=0&limit=0").get_json()
    assert (empty["count"], empty["total"], empty["next"]) == (0, 3, 0)
    assert mock_client.get("/__admin/requests?after=0&limit=5000").get_json()["count"] == 3


@pytest.mark.parametrize(
    ("query", "field"), [("after=-1", "after"), ("after=x", "after"), ("limit=y", "limit")]
)
def test_a_bad_page_is_refused_naming_the_parameter(mock_client: Any, query: str, field: str) -> None:
    answer = mock_client.get(f"/__admin/requests?{query}")
    assert answer.status_code == 400 and answer.get_json()["field"] == field


def test_delete_clears_by_carrier_and_account_only(mock_client: Any, traffic: Any) -> None:
    assert mock_client.delete("/__admin/requests?waybill=x").status_code == 400
    assert mock_client.delete("/__admin/requests?app_key=zto-demo").get_json() == {"cleared": 3}


def test_verify_exact_count(mock_client: Any, traffic: Any) -> None:
    match = {"carrier": "zto", "operation": "intercept", "waybill": WAYBILL}
    ok = mock_client.post("/__admin/verify", json={"match": match, "count": 2})
    assert (ok.status_code, ok.get_json()) == (200, {"ok": True, "count": 2})
    assert (
        mock_client.post("/__admin/verify", json={"match": match, "at_least": 1, "at_most": 2}).status_code
        == 200
    )
    assert mock_client.post("/__admin/verify", json={"match": {"waybill": OTHER}}).status_code == 200


def test_verify_failure_lists_near_misses(mock_client: Any, traffic: Any) -> None:
    answer = mock_client.post(
        "/__admin/verify", json={"match": {"operation": "intercept", "waybill": OTHER}, "count": 1}
    )
    assert answer.status_code == 409
    body = answer.get_json()
    assert (body["ok"], body["count"], body["expected"]) == (False, 0, {"count": 1})
    assert body["message"] == "expected exactly 1 matching requests, found 0"
    assert len(body["requests"]) == 3
    assert body["requests"][0]["mismatches"] in (
        ["operation: wanted 'intercept', got 'track'"],
        [f"waybill: wanted '{OTHER}', got '{WAYBILL}'"],
    )


def test_verify_with_at_most_below_at_least_fails_as_no_count_can_pass(mock_client: Any) -> None:
    answer = mock_client.post("/__admin/verify", json={"at_least": 3, "at_most": 1})
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "verification_failed"
    assert "at_most is below at_least" in answer.get_json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"count": -1}, "count"),
        ({"count": 1, "at_least": 1}, "count"),
        ({"match": []}, "match"),
        ({"match": {"carrier": "ups"}}, "match.carrier"),
        ({"match": {"status": "x"}}, "match.status"),
        ({"match": {"wat": 1}}, "match.wat"),
    ],
)
def test_verify_bad_bodies_name_the_field(mock_client: Any, body: dict[str, Any], field: str) -> None:
    answer = mock_client.post("/__admin/verify", json=body)
    assert answer.status_code == 400 and answer.get_json()["field"] == field


def test_wait_returns_at_once_when_enough_have_arrived(mock_client: Any, traffic: Any) -> None:
    answer = mock_client.post(
        "/__admin/wait/requests", json={"match": {"waybill": WAYBILL}, "count": 2, "timeout": 0}
    )
    assert (answer.status_code, answer.get_json()) == (200, {"ok": True, "count": 2})


def test_wait_times_out_with_408(mock_client: Any) -> None:
    answer = mock_client.post("/__admin/wait/requests", json={"match": {"waybill": WAYBILL}, "timeout": 0.05})
    body = answer.get_json()
    assert answer.status_code == 408 and body["error"] == "timeout" and body["count"] == 0


def test_wait_wakes_up_when_the_request_arrives(mock_app: Any, make_parcel: Any, zto: Any) -> None:
    # A real wait is what is under test: the waiter blocks on the journal's condition variable
    # and must be woken by the append, well before its (generous) timeout.
    make_parcel(WAYBILL, "created")
    started = threading.Event()
    results: list[Any] = []

    def waiter() -> None:
        started.set()
        results.append(
            mock_app.test_client().post(
                "/__admin/wait/requests",
                json={"match": {"operation": "track", "waybill": WAYBILL}, "count": 1, "timeout": 10},
            )
        )

    thread = threading.Thread(target=waiter)
    thread.start()
    started.wait(1)
    type(zto)(mock_app.test_client()).call("zto.merchant.waybill.track.query", {"billCode": WAYBILL})
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert results[0].status_code == 200 and results[0].get_json()["count"] == 1


def test_wait_refuses_long_timeouts(mock_client: Any) -> None:
    answer = mock_client.post("/__admin/wait/requests", json={"timeout": 31})
    assert answer.status_code == 400 and answer.get_json()["field"] == "timeout"


def test_wait_refuses_a_timeout_that_is_not_a_number(mock_client: Any) -> None:
    results: list[Any] = []
    waiter = threading.Thread(
        target=lambda: results.append(
            mock_client.post(
                "/__admin/wait/requests", data='{"timeout": NaN}', content_type="application/json"
            )
        ),
        daemon=True,
    )
    waiter.start()
    waiter.join(timeout=2)  # a NaN timeout used to block the request thread for good
    assert not waiter.is_alive()
    assert results[0].status_code == 400 and results[0].get_json()["field"] == "timeout"


def test_clock_mode_switches_at_runtime_keeping_the_time(mock_client: Any, mock_clock: Any) -> None:
    before = mock_clock.now()
    answer = mock_client.post("/__admin/clock/mode", json={"mode": "system", "speed": 60})
    state = answer.get_json()
    assert state["kind"] == "system" and state["speed"] == 60 and state["time"] >= before.isoformat()
    assert mock_client.post("/__admin/clock/advance", json={"seconds": 1}).status_code == 409
    state = mock_client.post("/__admin/clock/mode", json={"mode": "manual"}).get_json()
    assert state["kind"] == "manual"
    frozen = mock_client.post("/__admin/clock/advance", json={"seconds": 60}).get_json()["time"]
    assert mock_client.get("/__admin/clock").get_json()["time"] == frozen
    for body, field in (
        ({"mode": "fast"}, "mode"),
        ({"mode": "manual", "speed": 2}, "speed"),
        ({"mode": "system", "speed": 0}, "speed"),
    ):
        bad = mock_client.post("/__admin/clock/mode", json=body)
        assert bad.status_code == 400 and bad.get_json()["field"] == field


def _flask_path(rule: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


def test_openapi_documents_exactly_the_admin_routes(mock_app: Any, mock_client: Any) -> None:
    served: dict[str, set[str]] = {}
    for rule in mock_app.url_map.iter_rules():
        if rule.rule.startswith("/__admin"):
            methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
            served.setdefault(_flask_path(rule.rule), set()).update(methods)
    document = mock_client.get("/__admin/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    documented = {path: set(methods) for path, methods in document["paths"].items()}
    assert documented == served
    for path, methods in document["paths"].items():
        names = {p["name"] for p in methods[next(iter(methods))].get("parameters", []) if p["in"] == "path"}
        assert names == set(re.findall(r"{(\w+)}", path)), path


def test_a_path_documented_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="documented twice"):
        build_document(("mockserver.admin.world", "mockserver.admin.world"))
    assert build_document(("mockserver.admin.world", "mockserver.not_there"))["paths"]


def test_request_with_lone_surrogate_leaves_the_journal_readable(mock_client: Any, zto: Any) -> None:
    # A JSON "\ud800" parses to text UTF-8 cannot encode; it once turned every later
    # GET /__admin/requests into a 500 for every user of the server.
    answer = zto.post("zto.merchant.waybill.track.query", b'{"billCode":"\\ud800"}')
    assert answer.status_code == 200
    listed = mock_client.get("/__admin/requests")
    assert listed.status_code == 200
    (entry,) = listed.get_json()["requests"]
    assert entry["waybill"] == "\\ud800"  # kept as its escape, not dropped
    assert mock_client.get("/__admin/requests/count").get_json() == {"count": 1}


def test_admin_answer_with_lone_surrogate_is_written_with_escapes() -> None:
    from mockserver.app import create_app

    app = create_app({"CLOCK": "manual"})
    with app.app_context():
        text = app.json.dumps({"w": "\ud800", "name": "中通"})
    assert text == '{"w": "\\ud800", "name": "\\u4e2d\\u901a"}'
    with app.app_context():
        assert app.json.dumps({"name": "中通"}) == '{"name": "中通"}'

"""Admin API for scenarios: add (stub, preset, file), errors naming the path, list, remove, reset, states, explain."""

from __future__ import annotations

from typing import Any

from mockserver.carriers import carrier_slugs
from mockserver.scenarios import scenario_file_schema

INTERCEPT_FAIL = {"type": "intercept", "result": "fail", "reason": "already_signed"}


def test_post_one_stub_lists_it_with_its_fire_count(mock_client: Any) -> None:
    answer = mock_client.post(
        "/__admin/scenarios", json={"id": "s1", "match": {"carrier": "zto"}, "outcome": INTERCEPT_FAIL}
    )
    assert answer.status_code == 201
    assert answer.get_json()["added"] == [
        {"id": "s1", "match": {"carrier": "zto"}, "outcome": INTERCEPT_FAIL, "fired": 0}
    ]
    listed = mock_client.get("/__admin/scenarios").get_json()
    assert [s["id"] for s in listed["stubs"]] == ["s1"] and listed["seed"] == 0


def test_post_a_preset_reference_and_a_whole_file(mock_client: Any) -> None:
    preset = {"preset": "flaky", "args": {"first_fails": 2}, "id": "f", "match": {"carrier": "yto"}}
    assert mock_client.post("/__admin/scenarios", json=preset).status_code == 201
    document = {
        "version": 1,
        "seed": 9,
        "stubs": [{"id": "x", "outcome": {"type": "track", "mutation": "empty_trace"}}],
    }
    assert mock_client.post("/__admin/scenarios", json=document).status_code == 201
    listed = mock_client.get("/__admin/scenarios").get_json()
    assert [s["id"] for s in listed["stubs"]] == ["f-fail-1", "f-fail-2", "x"]
    assert listed["seed"] == 9 and listed["states"] == {"flaky-f": "Started"}


def test_replace_drops_what_was_there(mock_client: Any) -> None:
    mock_client.post("/__admin/scenarios", json={"id": "old", "outcome": INTERCEPT_FAIL})
    document = {"version": 1, "stubs": [{"id": "new", "outcome": INTERCEPT_FAIL}]}
    mock_client.post("/__admin/scenarios?replace=true", json=document)
    assert [s["id"] for s in mock_client.get("/__admin/scenarios").get_json()["stubs"]] == ["new"]


def test_an_invalid_body_names_the_path_and_installs_nothing(mock_client: Any) -> None:
    mock_client.post("/__admin/scenarios", json={"id": "keep", "outcome": INTERCEPT_FAIL})
    document = {
        "version": 1,
        "stubs": [
            {"id": "a", "outcome": INTERCEPT_FAIL},
            {"match": {"operation": "intercpt"}, "outcome": INTERCEPT_FAIL},
        ],
    }
    answer = mock_client.post("/__admin/scenarios", json=document)
    assert answer.status_code == 400
    error = answer.get_json()
    assert error["error"] == "invalid_scenario" and error["field"] == "stubs[1].match.operation"
    assert error["message"].startswith("stubs[1].match.operation: unknown operation 'intercpt'")
    single = mock_client.post("/__admin/scenarios", json={"outcome": {"type": "intercept", "result": "fail"}})
    assert single.get_json()["field"] == "outcome.reason"
    assert (
        mock_client.post("/__admin/scenarios", data="[1]", content_type="application/json").get_json()[
            "error"
        ]
        == "invalid_json"
    )
    assert [s["id"] for s in mock_client.get("/__admin/scenarios").get_json()["stubs"]] == ["keep"]


def test_account_scoping_on_post_and_a_conflicting_scope(mock_client: Any) -> None:
    answer = mock_client.post("/__admin/scenarios?account=job-1", json={"id": "a", "outcome": INTERCEPT_FAIL})
    assert answer.get_json()["added"][0]["match"] == {"account": "job-1"}
    clash = mock_client.post(
        "/__admin/scenarios?account=job-2", json={"match": {"account": "job-1"}, "outcome": INTERCEPT_FAIL}
    )
    assert clash.status_code == 400 and clash.get_json()["field"] == "account"
    assert len(mock_client.get("/__admin/scenarios?account=job-1").get_json()["stubs"]) == 1
    assert mock_client.get("/__admin/scenarios?account=job-2").get_json()["stubs"] == []


def test_delete_one_and_reset_one_account_or_all(mock_client: Any) -> None:
    for stub_id, account in (("a", "job-1"), ("b", "job-2"), ("c", None)):
        match = {"account": account} if account else {}
        mock_client.post(
            "/__admin/scenarios", json={"id": stub_id, "match": match, "outcome": INTERCEPT_FAIL}
        )
    assert mock_client.delete("/__admin/scenarios/c").get_json()["removed"]["id"] == "c"
    missing = mock_client.delete("/__admin/scenarios/c")
    assert missing.status_code == 404 and missing.get_json()["field"] == "id"
    assert mock_client.post("/__admin/scenarios/reset", json={"account": "job-1"}).get_json() == {
        "removed": ["a"],
        "account": "job-1",
    }
    assert mock_client.post("/__admin/scenarios/reset").get_json()["removed"] == ["b"]


def test_states_can_be_read_and_set(mock_client: Any) -> None:
    assert mock_client.get("/__admin/scenarios/states/retry").get_json() == {
        "scenario": "retry",
        "state": "Started",
    }
    assert (
        mock_client.put("/__admin/scenarios/states/retry", json={"state": "failed once"}).status_code == 200
    )
    assert mock_client.get("/__admin/scenarios/states").get_json() == {"states": {"retry": "failed once"}}
    bad = mock_client.put("/__admin/scenarios/states/retry", json={"state": ""})
    assert bad.status_code == 400 and bad.get_json()["field"] == "state"


def test_explain_says_why_each_stub_does_or_does_not_match(mock_client: Any) -> None:
    mock_client.post(
        "/__admin/scenarios", json={"id": "yto-only", "match": {"carrier": "yto"}, "outcome": INTERCEPT_FAIL}
    )
    mock_client.post("/__admin/scenarios", json={"id": "any", "outcome": INTERCEPT_FAIL})
    answer = mock_client.post(
        "/__admin/scenarios/explain",
        json={"carrier": "zto", "operation": "intercept", "waybill": "73123456789012", "app_key": "zto-demo"},
    )
    body = answer.get_json()
    assert body["would_fire"] == "any"
    assert body["checks"][0] == {
        "stub_id": "yto-only",
        "stub_name": None,
        "matched": False,
        "reasons": ["carrier: wanted 'yto', got 'zto'"],
    }
    assert mock_client.get("/__admin/scenarios").get_json()["stubs"][1]["fired"] == 0
    bad = mock_client.post("/__admin/scenarios/explain", json={"carrier": "zto", "operation": "x"})
    assert bad.status_code == 400 and bad.get_json()["field"] == "operation"


def test_misses_and_schema(mock_client: Any, make_parcel: Any, zto: Any) -> None:
    mock_client.post("/__admin/scenarios", json={"match": {"carrier": "yto"}, "outcome": INTERCEPT_FAIL})
    make_parcel("73123456789012", "created")
    zto.intercept("73123456789012", "r-1")
    misses = mock_client.get("/__admin/scenarios/misses").get_json()["misses"]
    assert misses[-1]["request"]["carrier"] == "zto" and misses[-1]["decision"] is None
    assert mock_client.get("/__admin/scenarios/schema").get_json() == scenario_file_schema(carrier_slugs())


def test_resetting_one_account_removes_its_stubs_and_leaves_the_others(mock_client: Any) -> None:
    for key in ("job-1", "job-2"):
        mock_client.post("/__admin/accounts", json={"carrier": "zto", "app_key": key, "app_secret": "s"})
        mock_client.post(
            "/__admin/scenarios", json={"id": key, "match": {"account": key}, "outcome": INTERCEPT_FAIL}
        )
    answer = mock_client.post("/__admin/reset", json={"carrier": "zto", "app_key": "job-1"})
    assert answer.get_json()["scenarios_removed"] == ["job-1"]
    assert [s["id"] for s in mock_client.get("/__admin/scenarios").get_json()["stubs"]] == ["job-2"]
    mock_client.post("/__admin/reset")
    assert mock_client.get("/__admin/scenarios").get_json()["stubs"] == []


def test_recordings_need_proxy_mode(mock_client: Any) -> None:
    for answer in (mock_client.get("/__admin/recordings"), mock_client.post("/__admin/recordings/save")):
        assert answer.status_code == 409 and answer.get_json()["error"] == "not_recording"

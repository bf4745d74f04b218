"""Push faults for QA, end to end on a manual clock: wrong signatures, tampered bodies, stale
timestamps, the push-kind matcher and outages bounded in mock time, for every carrier."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Dict, List

import pytest
from mockpushkit import WAYBILLS, RecordingSender, b64_md5

from mockserver.app import create_app, get_services
from mockserver.carriers import carrier_slugs
from mockserver.clock import ManualClock
from mockserver.pushes.faults import WRONG_SECRET, tamper
from mockserver.pushes.plan import PushRequest
from mockserver.simulator import InterceptRequest
from mockserver.world import InterceptKind

URL = "http://receiver.test/push"


class Pushing:
    """One app on a manual clock whose pushes to one account are recorded."""

    def __init__(self, carrier: str) -> None:
        self.carrier = carrier
        self.clock = ManualClock()
        self.sender = RecordingSender(carrier)
        self.app = create_app(
            {"CLOCK": "manual", "TESTING": True, "PUSH_SENDER": self.sender, "RESULT_DELAY_SECONDS": 600},
            clock=self.clock,
        )
        self.client = self.app.test_client()
        self.key = {"carrier": carrier, "app_key": f"{carrier}-demo"}
        self.secret = f"{carrier}-demo-secret"
        self.waybill = WAYBILLS[carrier]

    def call(self, method: str, path: str, status: int = 200, **body: Any) -> Dict[str, Any]:
        answer = self.client.open(f"/__admin{path}", method=method, json=body or None)
        assert answer.status_code == status, answer.get_json()
        return answer.get_json()  # type: ignore[no-any-return]

    def subscribe(self) -> List[datetime]:
        """Callback, parcel and subscription; returns the times of the scans still to come."""
        self.call("POST", "/subscriptions/callback", **self.key, url=URL)
        self.call("POST", "/parcels", 201, **self.key, waybill=self.waybill, stage="picked_up")
        self.call("POST", "/subscriptions", 201, **self.key, waybill=self.waybill)
        parcel = self.call("GET", f"/parcels/{self.carrier}/{self.waybill}?app_key={self.key['app_key']}")
        return [datetime.fromisoformat(s["time"]) for s in parcel["parcel"]["route"] if not s["visible"]]

    def stub(self, stub: Dict[str, Any], status: int = 201) -> Dict[str, Any]:
        return self.call("POST", "/scenarios", status, **stub)

    def flush(self) -> None:
        assert self.call("POST", "/pushes/flush", timeout=5)["done"] is True

    def pushes(self) -> List[Dict[str, Any]]:
        return self.call("GET", f"/pushes?carrier={self.carrier}")["pushes"]  # type: ignore[no-any-return]

    def intercept(self) -> None:
        hub = get_services(self.app)
        account = hub.simulator.account(self.carrier, self.key["app_key"])
        assert account is not None
        hub.simulator.create_intercept(
            account, InterceptRequest(waybill=self.waybill, kind=InterceptKind.RETURN, request_id="qa-1")
        )


@pytest.fixture(params=carrier_slugs())
def pushing(request: Any) -> Pushing:
    return Pushing(request.param)


def _push_stub(**outcome: Any) -> Dict[str, Any]:
    return {"match": {"operation": "push"}, "outcome": {"type": "push", **outcome}}


def test_a_bad_signature_push_is_signed_with_a_wrong_secret_over_the_real_content(pushing: Pushing) -> None:
    scans = pushing.subscribe()
    pushing.stub(_push_stub(fault="bad_signature"))
    pushing.clock.set(scans[0])
    pushing.flush()
    (sent,) = pushing.sender.sent
    assert not sent.verifies(pushing.carrier, pushing.secret)
    assert sent.verifies(pushing.carrier, WRONG_SECRET)
    assert pushing.waybill in sent.signed_text(pushing.carrier)


def test_a_tampered_push_keeps_the_signature_of_the_content_before_the_change(pushing: Pushing) -> None:
    scans = pushing.subscribe()
    pushing.clock.set(scans[0])
    pushing.flush()
    (clean,) = pushing.sender.sent
    pushing.stub(_push_stub(fault="tampered_body"))
    pushing.clock.set(scans[1])
    pushing.flush()
    tampered = pushing.sender.sent[1]
    assert not tampered.verifies(pushing.carrier, pushing.secret)
    text = tampered.signed_text(pushing.carrier)
    assert "(tampered)" in text and json.loads(text)  # still a well-formed push
    assert clean.verifies(pushing.carrier, pushing.secret)


def test_the_push_log_shows_the_faulty_bytes_and_the_stub_that_made_them(pushing: Pushing) -> None:
    scans = pushing.subscribe()
    pushing.stub({"id": "forged", **_push_stub(fault="bad_signature")})
    pushing.clock.set(scans[0])
    pushing.flush()
    (record,) = pushing.pushes()
    assert record["decided_by"] == "forged" and record["state"] == "delivered"
    assert record["body"].encode("ascii") == pushing.sender.sent[0].body


def test_a_stale_jt_push_carries_an_old_timestamp_and_a_valid_digest() -> None:
    jt = Pushing("jt")
    scans = jt.subscribe()
    stale = {"id": "stale", "match": {"carrier": "jt"}}
    jt.stub({**stale, "outcome": {"type": "push", "fault": "stale_timestamp"}})
    jt.clock.set(scans[0])
    jt.flush()
    jt.stub({**stale, "outcome": {"type": "push", "fault": "stale_timestamp", "stale_seconds": 90}})
    jt.clock.set(scans[1])
    jt.flush()
    first, second = jt.sender.sent
    assert first.verifies("jt", jt.secret) and second.verifies("jt", jt.secret)
    assert int(first.headers["timestamp"]) == int(scans[0].timestamp() * 1000) - 3600 * 1000
    assert int(second.headers["timestamp"]) == int(scans[1].timestamp() * 1000) - 90 * 1000


@pytest.mark.parametrize("carrier", [slug for slug in carrier_slugs() if slug != "jt"])
def test_a_stale_timestamp_for_a_carrier_without_one_is_refused_naming_the_carrier(carrier: str) -> None:
    world = Pushing(carrier)
    error = world.stub(
        {"match": {"carrier": carrier}, "outcome": {"type": "push", "fault": "stale_timestamp"}}, 400
    )
    assert error["error"] == "invalid_scenario" and error["field"] == "outcome.fault"
    assert repr(carrier) in error["message"] and "jt" in error["message"]
    assert world.call("GET", "/scenarios")["stubs"] == []


def test_a_stale_timestamp_without_a_carrier_is_refused() -> None:
    world = Pushing("jt")
    error = world.stub(_push_stub(fault="stale_timestamp"), 400)
    assert error["field"] == "match.carrier" and "jt" in error["message"]


def test_a_stale_timestamp_in_a_scenario_file_is_refused_with_its_path() -> None:
    world = Pushing("zto")
    document = {
        "version": 1,
        "stubs": [
            {"preset": "never_push"},
            {"preset": "stale_push", "match": {"carrier": "zto"}},
        ],
    }
    error = world.stub(document, 400)
    assert error["field"] == "stubs[1].outcome.fault" and "'zto'" in error["message"]


def test_push_kind_tells_trace_pushes_from_intercept_results(pushing: Pushing) -> None:
    scans = pushing.subscribe()
    pushing.stub(
        {
            "id": "no-results",
            "match": {"push_kind": "intercept_result"},
            "outcome": {"type": "push", "drop": True},
        }
    )
    pushing.intercept()
    pushing.clock.set(max(scans[0], pushing.clock.now() + timedelta(seconds=601)))
    pushing.flush()
    by_kind = {(p["kind"], p["state"], p["decided_by"]) for p in pushing.pushes()}
    assert ("intercept", "dropped", "no-results") in by_kind
    assert all(state == "delivered" for kind, state, _ in by_kind if kind == "trace")
    assert any(kind == "trace" for kind, _, _ in by_kind)


def test_explain_answers_for_a_push_kind(pushing: Pushing) -> None:
    pushing.stub({"id": "traces", "match": {"push_kind": "trace"}, "outcome": {"type": "push", "copies": 2}})
    question = {"carrier": pushing.carrier, "operation": "push"}
    trace = pushing.call("POST", "/scenarios/explain", **question, push_kind="trace")
    result = pushing.call("POST", "/scenarios/explain", **question, push_kind="intercept_result")
    assert trace["would_fire"] == "traces" and result["would_fire"] is None
    assert "push_kind: wanted 'trace', got 'intercept_result'" in result["checks"][0]["reasons"]
    bad = pushing.client.post("/__admin/scenarios/explain", json={**question, "push_kind": "scan"})
    assert bad.status_code == 400 and bad.get_json()["field"] == "push_kind"
    off = pushing.client.post(
        "/__admin/scenarios/explain", json={**question, "operation": "track", "push_kind": "trace"}
    )
    assert off.status_code == 400 and off.get_json()["field"] == "push_kind"


def test_an_unreachable_outage_fails_attempts_until_it_ends_then_the_retry_goes_through() -> None:
    zto = Pushing("zto")
    scans = zto.subscribe()
    zto.stub({"id": "down", "lifetime": "once", **_push_stub(outage="unreachable", duration_seconds=45)})
    zto.clock.set(scans[0])
    zto.flush()
    assert zto.sender.sent == []
    (record,) = zto.pushes()
    assert record["state"] == "pending" and len(record["attempts"]) == 1
    assert record["attempts"][0]["error"].startswith("receiver unreachable: push outage until")
    outages = zto.call("GET", "/pushes/outage?carrier=zto")["outages"]
    assert [(o["mode"], o["source"]) for o in outages] == [("unreachable", "down")]
    zto.clock.advance(30)  # first retry after 30 s: still inside the 45 s outage
    zto.flush()
    assert zto.sender.sent == [] and len(zto.pushes()[0]["attempts"]) == 2
    zto.clock.advance(60)  # second retry after 60 more seconds: the outage is over
    zto.flush()
    assert len(zto.sender.sent) == 1 and zto.pushes()[0]["state"] == "delivered"
    assert zto.call("GET", "/pushes/outage")["outages"] == []


def test_a_held_outage_sends_nothing_until_its_end_then_everything_at_once() -> None:
    yto = Pushing("yto")
    scans = yto.subscribe()
    until = (scans[1] + timedelta(minutes=5)).isoformat()
    yto.stub({"lifetime": "once", **_push_stub(outage="held", until=until)})
    yto.clock.set(scans[1])
    yto.flush()
    assert yto.sender.sent == []
    assert all(p["state"] == "pending" and p["attempts"] == [] for p in yto.pushes())
    yto.clock.set(datetime.fromisoformat(until))
    yto.flush()
    assert len(yto.sender.sent) == 2
    assert all(p["state"] == "delivered" and len(p["attempts"]) == 1 for p in yto.pushes())


def test_an_admin_outage_runs_on_the_accounts_own_clock_and_can_be_ended() -> None:
    sto = Pushing("sto")
    scans = sto.subscribe()
    clock = f"/clock?carrier=sto&app_key={sto.key['app_key']}"
    sto.call("POST", "/clock/advance", **sto.key, seconds=60)  # this account runs a minute ahead
    account_now = datetime.fromisoformat(sto.call("GET", clock)["time"])
    assert account_now == sto.clock.now() + timedelta(seconds=60)
    seconds = (scans[1] - account_now).total_seconds() + 600
    started = sto.call("POST", "/pushes/outage", 201, **sto.key, mode="held", duration_seconds=seconds)
    assert datetime.fromisoformat(started["outage"]["since"]) == account_now
    assert datetime.fromisoformat(started["outage"]["until"]) == scans[1] + timedelta(seconds=600)
    sto.call("POST", "/clock", **sto.key, time=scans[1].isoformat())
    sto.flush()
    assert sto.sender.sent == [] and len(sto.pushes()) == 2
    ended = sto.client.delete(f"/__admin/pushes/outage?carrier=sto&app_key={sto.key['app_key']}")
    assert ended.status_code == 200 and ended.get_json()["ended"]["mode"] == "held"
    sto.flush()
    assert len(sto.sender.sent) == 2 and all(p["state"] == "delivered" for p in sto.pushes())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "down", "duration_seconds": 60}, "mode"),
        ({}, "duration_seconds"),
        ({"duration_seconds": 60, "until": "2030-01-01T00:00:00Z"}, "duration_seconds"),
        ({"duration_seconds": 0}, "duration_seconds"),
        ({"duration_seconds": -5}, "duration_seconds"),
        ({"duration_seconds": "soon"}, "duration_seconds"),
        ({"until": "tomorrow"}, "until"),
        ({"until": "2030-01-01T00:00:00"}, "until"),
        ({"until": "2000-01-01T00:00:00+08:00"}, "until"),
    ],
)
def test_a_bad_outage_is_a_json_error_naming_the_field(body: Dict[str, Any], field: str) -> None:
    world = Pushing("zto")
    answer = world.client.post("/__admin/pushes/outage", json={**world.key, **body})
    assert answer.status_code == 400 and answer.get_json()["field"] == field, answer.get_json()
    assert world.call("GET", "/pushes/outage")["outages"] == []


def test_an_outage_of_an_unknown_account_is_a_404() -> None:
    world = Pushing("zto")
    answer = world.client.post(
        "/__admin/pushes/outage", json={"carrier": "zto", "app_key": "nobody", "duration_seconds": 5}
    )
    assert answer.status_code == 404 and answer.get_json()["field"] == "app_key"
    gone = world.client.delete("/__admin/pushes/outage?carrier=zto&app_key=nobody")
    assert gone.status_code == 404


def test_tampering_a_body_that_is_no_form_still_breaks_its_digest() -> None:
    request = PushRequest(kind="trace", waybills=("X",), headers={}, body=b'{"a":1}')
    assert tamper(request).body == b'{"a":1} '
    numbers = PushRequest(kind="trace", waybills=("X",), headers={}, body=b"data=%5B1%2C2%5D&data_digest=x")
    assert b"tampered" in tamper(numbers).body
    assert b64_md5("[1,2]", "s") != b64_md5('[1,2,"tampered"]', "s")


# -- the vocabulary: outcomes, matcher, presets, schema -------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "path", "words"),
    [
        ({"fault": "bad_sig"}, "outcome.fault", "did you mean 'bad_signature'"),
        ({"fault": "bad_signature", "drop": True}, "outcome.fault", "never sent"),
        ({"stale_seconds": 5}, "outcome.stale_seconds", "only a stale_timestamp"),
        ({"fault": "stale_timestamp", "stale_seconds": 0}, "outcome.stale_seconds", "greater than 0"),
        ({"outage": "held"}, "outcome.outage", "exactly one of until or duration_seconds"),
        ({"outage": "down", "duration_seconds": 5}, "outcome.outage", "unknown outage mode"),
        ({"duration_seconds": 5}, "outcome.duration_seconds", "give outage"),
        ({"outage": "held", "until": "2025-01-06T12:00:00"}, "outcome.until", "UTC offset"),
        ({"outage": "held", "until": 5}, "outcome.until", "expected a string"),
        ({"outage": "held", "drop": True, "duration_seconds": 5}, "outcome.outage", "not both"),
    ],
)
def test_a_bad_push_fault_or_outage_names_its_field(outcome: Dict[str, Any], path: str, words: str) -> None:
    from mockserver.scenarios import ScenarioFileError, load_payload

    with pytest.raises(ScenarioFileError) as caught:
        load_payload({"outcome": {"type": "push", **outcome}})
    assert caught.value.path == path and words in caught.value.message


def test_push_faults_and_outages_round_trip_through_their_dict_form() -> None:
    from mockserver.scenarios import PushOutcome

    for data in (
        {"type": "push", "fault": "tampered_body", "copies": 2},
        {"type": "push", "fault": "stale_timestamp", "stale_seconds": 120},
        {"type": "push", "outage": "unreachable", "duration_seconds": 900},
        {"type": "push", "outage": "held", "until": "2025-01-06T12:00:00+08:00"},
    ):
        assert PushOutcome.from_dict(data).to_dict() == data
    zulu = PushOutcome.from_dict({"type": "push", "outage": "held", "until": "2025-01-06T04:00:00Z"})
    assert zulu.until is not None and zulu.until.isoformat() == "2025-01-06T04:00:00+00:00"


def test_the_push_kind_matcher_checks_its_words_and_its_operation() -> None:
    from mockserver.scenarios import Match, ScenarioFileError, ScenarioRequest, Stub, load_payload

    match = Match(push_kind="intercept_result")
    result = ScenarioRequest(carrier="zto", operation="push", push_kind="intercept_result")
    trace = ScenarioRequest(carrier="zto", operation="push", push_kind="trace")
    assert match.matches(result) == (True, "")
    assert match.reasons(trace) == ["push_kind: wanted 'intercept_result', got 'trace'"]
    assert Match.from_dict({"push_kind": "trace"}).to_dict() == {"push_kind": "trace"}
    with pytest.raises(ScenarioFileError, match="did you mean 'intercept_result'"):
        Match.from_dict({"push_kind": "intercept"})
    with pytest.raises(ScenarioFileError, match="operation must be 'push'"):
        Match(operation="track", push_kind="trace")
    with pytest.raises(ScenarioFileError) as caught:
        load_payload(
            {"match": {"push_kind": "trace"}, "outcome": {"type": "track", "mutation": "empty_trace"}}
        )
    assert caught.value.path == "match.push_kind"
    stub = Stub.from_dict({"match": {"push_kind": "trace"}, "outcome": {"type": "push"}})
    assert stub.to_dict()["match"] == {"push_kind": "trace"}


def test_the_push_presets_take_the_push_kind_filter() -> None:
    from mockserver.scenarios import presets

    stub = presets.push_outage("held", 60, push_kind="intercept_result", lifetime="once")
    assert stub.match.push_kind == "intercept_result" and stub.lifetime.limit == 1
    assert stub.outcome.to_dict() == {"type": "push", "outage": "held", "duration_seconds": 60}
    with pytest.raises(Exception, match="seconds"):
        presets.push_outage("held", 0)
    with pytest.raises(Exception, match="seconds"):
        presets.stale_push(-1)


def test_the_scenario_schema_knows_the_push_faults_the_outages_and_the_push_kind() -> None:
    import jsonschema

    from mockserver.scenarios import scenario_file_schema

    schema = scenario_file_schema(carrier_slugs())
    document = {
        "version": 1,
        "stubs": [
            {
                "match": {"carrier": "jt", "push_kind": "trace"},
                "outcome": {"type": "push", "fault": "stale_timestamp"},
            },
            {"outcome": {"type": "push", "outage": "held", "until": "2025-01-06T12:00:00+08:00"}},
            {"preset": "push_outage", "args": {"mode": "unreachable", "seconds": 600}, "lifetime": "once"},
        ],
    }
    jsonschema.validate(document, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"version": 1, "stubs": [{"outcome": {"type": "push", "fault": "forged"}}]}, schema
        )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"version": 1, "stubs": [{"match": {"push_kind": "scan"}, "outcome": {"type": "push"}}]}, schema
        )


def test_resetting_the_account_ends_its_outage() -> None:
    world = Pushing("zto")
    world.call("POST", "/pushes/outage", 201, **world.key, duration_seconds=3600)
    assert len(world.call("GET", "/pushes/outage?carrier=zto")["outages"]) == 1
    world.call("POST", "/reset", **world.key)
    assert world.call("GET", "/pushes/outage?carrier=zto")["outages"] == []


def test_a_full_reset_or_deleting_the_account_ends_its_outage() -> None:
    world = Pushing("zto")
    world.call("POST", "/pushes/outage", 201, **world.key, duration_seconds=3600)
    world.client.post("/__admin/reset", json={})
    assert world.call("GET", "/pushes/outage")["outages"] == []
    world.call("POST", "/accounts", 201, carrier="zto", app_key="job-9", app_secret="s")
    world.call("POST", "/pushes/outage", 201, carrier="zto", app_key="job-9", duration_seconds=60)
    assert world.client.delete("/__admin/accounts/zto/job-9").status_code in (200, 204)
    assert world.call("GET", "/pushes/outage")["outages"] == []

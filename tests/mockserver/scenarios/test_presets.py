"""QA presets build the stubs they are named after, with the usual filters."""

from __future__ import annotations

from typing import Any, Callable, Dict

import pytest

from mockserver.scenarios import (
    PRESETS,
    HttpFaultOutcome,
    InterceptOutcome,
    Lifetime,
    PushOutcome,
    ScenarioEngine,
    ScenarioFileError,
    ScenarioRequest,
    Stub,
    presets,
)

EXPECTED: Dict[str, Any] = {
    "intercept_succeeds": ((), {"type": "intercept", "result": "succeed"}),
    "intercept_rejected": (
        ("out_for_delivery",),
        {"type": "intercept", "result": "fail", "reason": "out_for_delivery"},
    ),
    "intercept_pending": ((), {"type": "intercept", "result": "pending"}),
    "late_result": (
        (30, "fail", "already_signed"),
        {
            "type": "intercept",
            "result": "pending",
            "reason": "already_signed",
            "delay_seconds": 30,
            "then": "fail",
        },
    ),
    "missing_fields": (
        (["scanDate"],),
        {"type": "track", "mutation": "missing_fields", "fields": ["scanDate"]},
    ),
    "null_values": (
        (["desc"],),
        {"type": "track", "mutation": "null_values", "fields": ["desc"]},
    ),
    "empty_trace": ((), {"type": "track", "mutation": "empty_trace"}),
    "unknown_scan_codes": ((), {"type": "track", "mutation": "unknown_scan_codes"}),
    "out_of_order_scans": ((), {"type": "track", "mutation": "out_of_order"}),
    "duplicate_scans": ((), {"type": "track", "mutation": "duplicate_scans"}),
    "carrier_error": (
        ("missing_field", "billCode"),
        {"type": "carrier_error", "kind": "missing_field", "field": "billCode"},
    ),
    "outage": ((), {"type": "http_fault", "kind": "status", "status": 503}),
    "rate_limited": (
        (5,),
        {"type": "http_fault", "kind": "status", "status": 429, "retry_after": 5},
    ),
    "slow_response": ((12,), {"type": "http_fault", "kind": "slow", "delay_seconds": 12}),
    "connection_reset": ((), {"type": "http_fault", "kind": "connection_reset"}),
    "truncated_body": ((), {"type": "http_fault", "kind": "truncated_body"}),
    "malformed_json": ((), {"type": "http_fault", "kind": "malformed_json"}),
    "wrong_content_type": ((), {"type": "http_fault", "kind": "wrong_content_type"}),
    "duplicate_push": ((3,), {"type": "push", "copies": 3}),
    "never_push": ((), {"type": "push", "drop": True}),
    "late_push": (((5, 50),), {"type": "push", "delay_range": [5, 50]}),
    "out_of_order_pushes": ((), {"type": "push", "out_of_order": True}),
    "batched_pushes": ((4,), {"type": "push", "batch": 4}),
    "bad_signature_push": ((), {"type": "push", "fault": "bad_signature"}),
    "tampered_push": ((), {"type": "push", "fault": "tampered_body"}),
    "stale_push": ((600,), {"type": "push", "fault": "stale_timestamp", "stale_seconds": 600}),
    "push_outage": (("held", 900), {"type": "push", "outage": "held", "duration_seconds": 900}),
}


def test_every_preset_is_covered() -> None:
    assert set(EXPECTED) | {"flaky"} == set(PRESETS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_preset_builds_its_outcome_and_round_trips(name: str) -> None:
    args, outcome = EXPECTED[name]
    stub = PRESETS[name](*args)
    assert isinstance(stub, Stub)
    assert stub.outcome.to_dict() == outcome
    assert stub.name == name
    assert Stub.from_dict(stub.to_dict()) == stub


def test_filters_and_options_apply() -> None:
    stub = presets.intercept_rejected(
        "already_signed",
        carrier="zto",
        waybill_pattern="^73",
        account="shop-1",
        lifetime="once",
        probability=0.5,
        priority=1,
        name="signed parcels",
    )
    assert stub.match.to_dict() == {
        "carrier": "zto",
        "operation": "intercept",
        "waybill_pattern": "^73",
        "account": "shop-1",
    }
    assert (stub.lifetime, stub.probability, stub.priority, stub.name) == (
        Lifetime.once(),
        0.5,
        1,
        "signed parcels",
    )
    assert presets.outage(lifetime=3).lifetime == Lifetime.times(3)


def test_fault_presets_leave_operation_open_until_asked() -> None:
    assert presets.outage().match.operation is None
    assert presets.outage(operation="track").match.operation == "track"


def test_unknown_option_is_refused() -> None:
    with pytest.raises(ScenarioFileError, match="waybil: not an option of preset 'outage'"):
        presets.outage(waybil="731")


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: presets.late_result(10, result="fial"), "result: unknown final result 'fial'"),
        (lambda: presets.late_result(10, result="fail"), "reason: a failing intercept needs"),
        (lambda: presets.slow_response(0), "seconds: must be greater than 0"),
        (lambda: presets.late_push((9, 1)), "seconds: min 9.0 is above max 1.0"),
        (lambda: presets.batched_pushes(0), "size: must be a whole number >= 1"),
        (lambda: presets.intercept_rejected("lost"), "reason: unknown failure reason 'lost'"),
        (lambda: presets.flaky(0), "first_fails: must be a whole number >= 1"),
    ],
)
def test_bad_arguments_name_the_argument(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(ScenarioFileError) as info:
        build()
    assert str(info.value).startswith(message)


def track(waybill: str = "731") -> ScenarioRequest:
    return ScenarioRequest(carrier="zto", operation="track", waybill=waybill)


def test_flaky_fails_first_n_then_answers_normally() -> None:
    engine = ScenarioEngine()
    engine.add(*presets.flaky(2, carrier="zto", id="f"))
    decisions = [engine.decide(track()) for _ in range(4)]
    assert [d and d.stub_id for d in decisions] == ["f-fail-1", "f-fail-2", None, None]
    assert decisions[0] is not None
    assert decisions[0].outcome == HttpFaultOutcome(kind="status", status=503)
    assert engine.get_state("flaky-f") == "recovered"


def test_flaky_with_then_and_fault_from_dict_replays_after_reset() -> None:
    engine = ScenarioEngine()
    engine.add(
        *presets.flaky(
            1,
            fault={"type": "intercept", "result": "fail", "reason": "other"},
            then=InterceptOutcome(result="succeed"),
            id="f",
            scenario="retry-intercept",
        )
    )
    req = ScenarioRequest(carrier="yto", operation="intercept", waybill="YT1")
    first, second = engine.decide(req), engine.decide(req)
    assert first is not None and second is not None
    assert (first.outcome.to_dict()["result"], second.outcome.to_dict()["result"]) == (
        "fail",
        "succeed",
    )
    engine.set_state("retry-intercept", "Started")
    again = engine.decide(req)
    assert again is not None and again.stub_id == "f-fail-1"


def test_late_push_with_fixed_delay() -> None:
    assert presets.late_push(30).outcome == PushOutcome(delay_seconds=30)


def test_flaky_refuses_lifetime() -> None:
    with pytest.raises(ScenarioFileError, match="lifetime: not an option of preset 'flaky'"):
        presets.flaky(1, lifetime="once")

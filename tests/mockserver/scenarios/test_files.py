"""Scenario files: outcome round trips, path-naming errors, atomic install, the JSON Schema."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any, Dict

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.carriers import carrier_slugs
from mockserver.scenarios import (
    CARRIER_ERROR_KINDS,
    INTERCEPT_FAILURE_REASONS,
    CarrierErrorOutcome,
    HttpFaultOutcome,
    InterceptOutcome,
    PushOutcome,
    ResponseOutcome,
    ScenarioEngine,
    ScenarioFileError,
    Stub,
    TrackOutcome,
    dump_stubs,
    install_scenarios,
    load_payload,
    load_scenario_file,
    load_scenarios,
    outcome_from_dict,
    presets,
    scenario_file_schema,
)

NAMED_OUTCOMES = [
    InterceptOutcome(result="succeed"),
    *(InterceptOutcome(result="fail", reason=reason) for reason in INTERCEPT_FAILURE_REASONS),
    InterceptOutcome(result="fail", reason="other", message="系统繁忙"),
    InterceptOutcome(result="pending"),
    InterceptOutcome(result="pending", delay_seconds=30, then="succeed"),
    InterceptOutcome(result="pending", delay_seconds=1.5, then="fail", reason="out_for_delivery"),
    TrackOutcome(mutation="missing_fields", fields=("scanDate", "scanSite.name")),
    TrackOutcome(mutation="null_values", fields=("desc",)),
    TrackOutcome(mutation="empty_trace"),
    TrackOutcome(mutation="unknown_scan_codes"),
    TrackOutcome(mutation="out_of_order"),
    TrackOutcome(mutation="duplicate_scans"),
    *(CarrierErrorOutcome(kind=kind) for kind in CARRIER_ERROR_KINDS),
    CarrierErrorOutcome(kind="missing_field", field_name="billCode", message="缺少参数"),
    *(HttpFaultOutcome(kind="status", status=status) for status in (500, 502, 503)),
    HttpFaultOutcome(kind="status", status=429, retry_after=3),
    HttpFaultOutcome(kind="slow", delay_seconds=45),
    HttpFaultOutcome(kind="connection_reset"),
    HttpFaultOutcome(kind="truncated_body"),
    HttpFaultOutcome(kind="malformed_json"),
    HttpFaultOutcome(kind="wrong_content_type"),
    HttpFaultOutcome(kind="wrong_content_type", content_type="text/html"),
    PushOutcome(delay_seconds=30),
    PushOutcome(delay_range=(5, 120)),
    PushOutcome(drop=True),
    PushOutcome(copies=3),
    PushOutcome(out_of_order=True),
    PushOutcome(batch=10),
    PushOutcome(),
    ResponseOutcome(status=200, body={"status": True, "result": []}),
    ResponseOutcome(
        status=502, headers={"Content-Type": "text/html", "Retry-After": "3"}, body="<html>bad gateway</html>"
    ),
]


@pytest.mark.parametrize("outcome", NAMED_OUTCOMES, ids=lambda o: json.dumps(o.to_dict()))
def test_every_named_outcome_round_trips_through_dict(outcome: Any) -> None:
    data = json.loads(json.dumps(outcome.to_dict()))
    assert outcome_from_dict(data) == outcome


seconds = st.integers(min_value=0, max_value=10_000) | st.floats(
    min_value=0, max_value=10_000, allow_nan=False
)
words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_.", min_size=1, max_size=12)
outcomes = st.one_of(
    st.builds(
        InterceptOutcome,
        result=st.just("fail"),
        reason=st.sampled_from(INTERCEPT_FAILURE_REASONS),
        message=st.none() | st.text(max_size=20),
    ),
    st.builds(
        InterceptOutcome,
        result=st.just("pending"),
        then=st.just("succeed"),
        delay_seconds=seconds,
    ),
    st.builds(
        TrackOutcome,
        mutation=st.sampled_from(["missing_fields", "null_values"]),
        fields=st.lists(words, min_size=1, max_size=4, unique=True),
    ),
    st.builds(CarrierErrorOutcome, kind=st.sampled_from(CARRIER_ERROR_KINDS)),
    st.builds(
        HttpFaultOutcome,
        kind=st.just("status"),
        status=st.integers(400, 599),
        retry_after=st.none() | st.integers(0, 3600),
    ),
    st.builds(
        PushOutcome,
        delay_seconds=seconds,
        copies=st.integers(1, 5),
        out_of_order=st.booleans(),
        batch=st.integers(1, 50),
    ),
    st.builds(
        PushOutcome,
        delay_range=st.tuples(seconds, seconds).map(sorted).map(tuple),
    ),
)


@given(outcomes)
def test_outcome_dict_round_trip_property(outcome: Any) -> None:
    assert outcome_from_dict(json.loads(json.dumps(outcome.to_dict()))) == outcome


@given(outcomes, st.integers(-10, 10), st.sampled_from([1.0, 0.25]))
def test_stub_dump_load_round_trip_property(outcome: Any, priority: int, p: float) -> None:
    stub = Stub(outcome=outcome, priority=priority, probability=p, name="n")
    text = json.dumps(dump_stubs([stub], seed=3))
    assert load_scenario_file(text).stubs == (stub,)
    assert load_scenario_file(text).seed == 3


def document(*stubs: Dict[str, Any]) -> str:
    return json.dumps({"version": 1, "stubs": list(stubs)})


GOOD = {"outcome": {"type": "intercept", "result": "succeed"}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            document(GOOD, GOOD, {"match": {"operation": "intercpt"}, **GOOD}),
            "stubs[2].match.operation: unknown operation 'intercpt' (expected one of track, ",
        ),
        (
            document({"outcome": {"type": "track", "mutation": "shuffle"}}),
            "stubs[0].outcome.mutation: unknown track mutation 'shuffle'",
        ),
        (
            document({"outcome": {"type": "intercept", "result": "fail"}}),
            "stubs[0].outcome.reason: a failing intercept needs a reason",
        ),
        (document({**GOOD, "probability": 0}), "stubs[0].probability: must be in (0, 1]"),
        (document({**GOOD, "probability": "0.5"}), "stubs[0].probability: expected a number, got a string"),
        (
            document({**GOOD, "lifetime": {"times": 0}}),
            "stubs[0].lifetime.times: must be a whole number >= 1",
        ),
        (document({**GOOD, "lifetime": "twice"}), 'stubs[0].lifetime: expected "permanent"'),
        (document({**GOOD, "new_state": "x"}), "stubs[0].new_state: needs 'scenario' to be set"),
        (
            document({**GOOD, "match": {"operation": "track"}}),
            "stubs[0].match.operation: outcome type 'intercept' cannot answer operation 'track'",
        ),
        (document({**GOOD, "outcom": 1}), "stubs[0].outcom: unknown field 'outcom'"),
        (document({"preset": "intercept_rejectd"}), "stubs[0].preset: unknown preset 'intercept_rejectd'"),
        (
            document({"preset": "intercept_rejected"}),
            "stubs[0].args.reason: preset 'intercept_rejected' needs this argument",
        ),
        (
            document({"preset": "intercept_rejected", "args": {"reason": "signed"}}),
            "stubs[0].args.reason: unknown failure reason 'signed'",
        ),
        (document({"preset": "outage", "args": {"code": 503}}), "stubs[0].args.code: unknown field 'code'"),
        (
            document({"preset": "flaky", "args": {"fault": {"type": "http_fault", "kind": "x"}}}),
            "stubs[0].args.fault.kind: unknown HTTP fault 'x'",
        ),
        (
            document({"preset": "flaky", "lifetime": "once"}),
            "stubs[0].lifetime: not an option of preset 'flaky'",
        ),
        (
            document({"preset": "never_push", "match": {"operation": "track"}}),
            "stubs[0].match.operation: outcome type 'push' cannot answer operation 'track'",
        ),
        (
            document({"id": "a", **GOOD}, {"id": "a", **GOOD}),
            "stubs[1].id: duplicate stub id 'a' (first used by stubs[0])",
        ),
        (
            document({"outcome": {"type": "response", "status": 42}}),
            "stubs[0].outcome.status: must be an HTTP status 100-599",
        ),
        (
            document({"outcome": {"type": "response", "headers": {"X-A": 1}}}),
            "stubs[0].outcome.headers.X-A: expected a string value",
        ),
        (
            document({"outcome": {"type": "response", "body": "x"}, "match": {"operation": "push"}}),
            "stubs[0].match.operation: outcome type 'response' cannot answer operation 'push'",
        ),
        (json.dumps({"version": 2, "stubs": []}), "version: unsupported version 2"),
        (json.dumps({"version": 1}), "stubs: required field is missing"),
        (json.dumps({"version": 1, "stubs": {}}), "stubs: expected an array of stubs"),
        (json.dumps({"version": 1, "stubs": [], "seed": "x"}), "seed: expected an integer"),
        ('{"version": 1, "stubs": [], "stubs": []}', "duplicate key 'stubs' in one object"),
        (
            '{"version": 1,\n "stubs": [\n  {"preset" "outage"}\n ]\n}',
            "line 3, column 13: Expecting ':' delimiter",
        ),
    ],
)
def test_every_file_error_names_its_path(text: str, message: str) -> None:
    with pytest.raises(ScenarioFileError) as info:
        load_scenarios(text)
    assert str(info.value).startswith(message)


def test_syntax_error_carries_line_and_column() -> None:
    with pytest.raises(ScenarioFileError) as info:
        load_scenarios('{\n  "version": 1,\n  "stubs": [,]\n}')
    assert (info.value.line, info.value.column, info.value.path) == (3, 13, "")


def test_error_survives_pickling() -> None:
    error = ScenarioFileError(path="stubs[0]", message="bad", line=1, column=2, source="f.json")
    assert repr(pickle.loads(pickle.dumps(error))) == repr(error)


def test_invalid_file_installs_nothing() -> None:
    engine = ScenarioEngine(seed=4)
    engine.add(Stub(id="kept", outcome=InterceptOutcome(result="succeed")))
    engine.set_state("s", "middle")
    text = document(
        {"preset": "outage", "args": {"status": 502}, "id": "new-1"},
        {"preset": "intercept_rejected", "args": {"reason": "nope"}},
    )
    with pytest.raises(ScenarioFileError, match=r"stubs\[1\]\.args\.reason"):
        install_scenarios(engine, text)
    assert [stub.id for stub in engine.stubs()] == ["kept"]
    assert (engine.seed, engine.get_state("s")) == (4, "middle")


def test_valid_file_installs_with_presets_expanded(tmp_path: Path) -> None:
    path = tmp_path / "qa.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "seed": 11,
                "description": "QA run",
                "stubs": [
                    {"preset": "flaky", "args": {"first_fails": 2}, "id": "f"},
                    {
                        "id": "signed",
                        "match": {"waybill": "731"},
                        "outcome": {"type": "intercept", "result": "fail", "reason": "already_signed"},
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    engine = ScenarioEngine()
    loaded = install_scenarios(engine, path)
    assert loaded.seed == engine.seed == 11
    assert [stub.id for stub in engine.stubs()] == ["f-fail-1", "f-fail-2", "signed"]


def test_errors_from_a_path_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"version": 1, "stubs": [{"preset": "nope"}]}', encoding="utf-8")
    with pytest.raises(ScenarioFileError) as info:
        load_scenarios(str(path))
    assert str(info.value).startswith(f"{path}: stubs[0].preset: unknown preset 'nope'")
    with pytest.raises(ScenarioFileError, match="cannot read file"):
        load_scenarios(tmp_path / "missing.json")


def test_unsupported_format() -> None:
    with pytest.raises(ValueError, match="unsupported scenario file format 'yaml'"):
        load_scenarios("{}", fmt="yaml")


def test_dump_round_trips_presets_as_full_stubs() -> None:
    stubs = [
        presets.late_result(20, carrier="sto", lifetime="once"),
        *presets.flaky(2, operation="track", id="f"),
        presets.late_push((1, 9), carrier="jt", probability=0.5),
    ]
    dumped = json.loads(json.dumps(dump_stubs(stubs)))
    assert load_scenarios(dumped) == stubs


def test_admin_payload_is_one_stub_or_a_whole_file() -> None:
    single = load_payload({"preset": "outage", "args": {"status": 502}, "match": {"carrier": "zto"}})
    assert [stub.outcome for stub in single.stubs] == [HttpFaultOutcome(kind="status", status=502)]
    whole = load_payload({"version": 1, "stubs": [GOOD, GOOD]})
    assert len(whole.stubs) == 2
    with pytest.raises(ScenarioFileError) as info:
        load_payload({"match": {"carier": "zto"}, **GOOD})
    assert str(info.value).startswith("match.carier: unknown field 'carier'")


def test_schema_is_valid_and_accepts_dumps() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(scenario_file_schema(carrier_slugs()))
    stubs = [Stub(outcome=outcome) for outcome in NAMED_OUTCOMES]
    jsonschema.validate(
        json.loads(json.dumps(dump_stubs(stubs, seed=1))), scenario_file_schema(carrier_slugs())
    )
    preset_file = {"version": 1, "stubs": [{"preset": "flaky", "args": {"first_fails": 2}}]}
    jsonschema.validate(preset_file, scenario_file_schema(carrier_slugs()))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {"version": 1, "stubs": [{"outcome": {"type": "x"}}]}, scenario_file_schema(carrier_slugs())
        )


@pytest.mark.parametrize("delay", [1e15, float("inf"), float("nan")])
def test_a_push_delay_beyond_a_year_or_not_finite_is_refused_with_its_path(delay):
    from mockserver.scenarios import ScenarioFileError, load_payload

    with pytest.raises(ScenarioFileError, match="delay_seconds"):
        load_payload({"outcome": {"type": "push", "delay_seconds": delay}})

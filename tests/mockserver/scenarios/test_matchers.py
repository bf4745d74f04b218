"""Match criteria and the reasons they give when a request does not match."""

from __future__ import annotations

import pytest

from mockserver.scenarios import Match, ScenarioFileError, ScenarioRequest


def request(**overrides: object) -> ScenarioRequest:
    fields = {"carrier": "zto", "operation": "track", "waybill": "731234567890", "account": None}
    fields.update(overrides)
    return ScenarioRequest(**fields)  # type: ignore[arg-type]


def test_empty_match_matches_everything() -> None:
    assert Match().matches(request()) == (True, "")


def test_exact_waybill_is_compared_trimmed_and_upper_cased() -> None:
    match = Match(waybill=" jt0001 ")
    assert match.matches(request(waybill="JT0001")) == (True, "")
    assert match.matches(request(waybill="jt0001  ")) == (True, "")


def test_exact_waybill_mismatch_says_what_was_wanted() -> None:
    ok, reason = Match(waybill="731").matches(request(waybill="999"))
    assert not ok
    assert reason == "waybill: wanted '731', got '999'"


def test_waybill_pattern_is_searched() -> None:
    match = Match(waybill_pattern="^73")
    assert match.matches(request(waybill="731")) == (True, "")
    ok, reason = match.matches(request(waybill="631"))
    assert not ok
    assert reason == "waybill: '631' does not match pattern '^73'"


def test_request_without_waybill_never_matches_a_waybill_criterion() -> None:
    assert not Match(waybill="731").matches(request(waybill=None))[0]
    assert not Match(waybill_pattern=".*").matches(request(waybill=None))[0]


def test_account_scoped_match() -> None:
    match = Match(account="shop-1")
    assert match.matches(request(account="shop-1"))[0]
    ok, reason = match.matches(request(account="shop-2"))
    assert not ok
    assert reason == "account: wanted 'shop-1', got 'shop-2'"
    assert Match().matches(request(account="shop-2"))[0]


def test_every_failing_criterion_is_listed() -> None:
    match = Match(carrier="yto", operation="intercept", waybill="1")
    assert match.reasons(request()) == [
        "carrier: wanted 'yto', got 'zto'",
        "operation: wanted 'intercept', got 'track'",
        "waybill: wanted '1', got '731234567890'",
    ]


def test_round_trip() -> None:
    match = Match(carrier="jt", operation="push", waybill_pattern="^JT", account="a")
    assert Match.from_dict(match.to_dict()) == match
    assert Match().to_dict() == {}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"operation": "intercpt"},
            "stubs[2].match.operation: unknown operation 'intercpt' (expected one of track, "
            "subscribe, intercept, cancel_intercept, intercept_status, push); "
            "did you mean 'intercept'?",
        ),
        ({"waybil": "1"}, "stubs[2].match.waybil: unknown field 'waybil'"),
        ({"waybill": 731}, "stubs[2].match.waybill: expected a string, got a number"),
        ({"waybill_pattern": "("}, "stubs[2].match.waybill_pattern: invalid regular expression"),
        (
            {"waybill": "1", "waybill_pattern": "^1"},
            "stubs[2].match.waybill_pattern: give either waybill or waybill_pattern, not both",
        ),
        ([], "stubs[2].match: expected an object, got an array"),
    ],
)
def test_invalid_match_names_its_path(data: object, message: str) -> None:
    with pytest.raises(ScenarioFileError) as info:
        Match.from_dict(data, "stubs[2].match")
    assert str(info.value).startswith(message)


def test_request_rejects_unknown_operation() -> None:
    with pytest.raises(ScenarioFileError, match="unknown operation 'lookup'"):
        ScenarioRequest(carrier="zto", operation="lookup")


def test_request_round_trip() -> None:
    req = request(account="a")
    assert ScenarioRequest.from_dict(req.to_dict()) == req


def test_a_stub_for_a_carrier_the_engine_does_not_know_is_refused_naming_its_path() -> None:
    from mockserver.scenarios import ScenarioEngine, Stub, TrackOutcome

    engine = ScenarioEngine(carriers=("zto", "yto"))
    stubs = [Stub(match=Match(carrier="zto"), outcome=TrackOutcome(mutation="empty_trace"))] * 2 + [
        Stub(match=Match(carrier="zt0"), outcome=TrackOutcome(mutation="empty_trace"))
    ]
    with pytest.raises(ScenarioFileError) as info:
        engine.check_carriers(stubs, "stubs")
    assert str(info.value).startswith(
        "stubs[2].match.carrier: unknown carrier 'zt0' (expected one of zto, yto); did you mean 'zto'?"
    )
    with pytest.raises(ScenarioFileError, match=r"^match\.carrier: unknown carrier 'zt0'"):
        engine.add(stubs[2])
    assert engine.stubs() == []
    ScenarioEngine().add(stubs[2])  # an engine told no carriers accepts any slug

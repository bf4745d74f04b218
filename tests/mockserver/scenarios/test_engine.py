"""The engine: first match by priority, lifetimes, seeded probability, states, threads."""

from __future__ import annotations

import ast
import threading
from pathlib import Path
from typing import List, Optional

import pytest

import mockserver.scenarios
from mockserver.scenarios import (
    STARTED,
    HttpFaultOutcome,
    InterceptOutcome,
    Lifetime,
    Match,
    PushOutcome,
    ScenarioEngine,
    ScenarioRequest,
    Stub,
    TrackOutcome,
)

SUCCEED = InterceptOutcome(result="succeed")
SIGNED = InterceptOutcome(result="fail", reason="already_signed")
OUTAGE = HttpFaultOutcome(kind="status", status=503)


def intercept(waybill: str = "731", account: Optional[str] = None) -> ScenarioRequest:
    return ScenarioRequest(carrier="zto", operation="intercept", waybill=waybill, account=account)


def fired_ids(engine: ScenarioEngine, req: ScenarioRequest, times: int) -> List[Optional[str]]:
    decisions = [engine.decide(req) for _ in range(times)]
    return [None if d is None else d.stub_id for d in decisions]


def test_nothing_matches_an_empty_engine() -> None:
    assert ScenarioEngine().decide(intercept()) is None


def test_lower_priority_number_wins_then_insertion_order() -> None:
    engine = ScenarioEngine()
    engine.add(
        Stub(id="late", outcome=SUCCEED),
        Stub(id="first", outcome=SIGNED),
        Stub(id="urgent", outcome=SUCCEED, priority=1),
    )
    assert [stub.id for stub in engine.stubs()] == ["urgent", "late", "first"]
    assert fired_ids(engine, intercept(), 1) == ["urgent"]


def test_once_fires_once_then_falls_through() -> None:
    engine = ScenarioEngine()
    engine.add(
        Stub(id="once", outcome=SIGNED, lifetime=Lifetime.once()),
        Stub(id="always", outcome=SUCCEED),
    )
    assert fired_ids(engine, intercept(), 3) == ["once", "always", "always"]
    assert engine.fire_counts() == {"once": 1, "always": 2}


def test_times_n_then_nothing() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="three", outcome=OUTAGE, lifetime=Lifetime.times(3)))
    assert fired_ids(engine, intercept(), 5) == ["three"] * 3 + [None] * 2
    assert engine.fire_count("three") == 3
    (check,) = engine.explain(intercept())
    assert check.reasons == ("lifetime: used up after 3 of 3",)


def test_permanent_fires_forever() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="p", outcome=OUTAGE))
    assert fired_ids(engine, intercept(), 50) == ["p"] * 50


def test_outcome_family_limits_the_operations_a_stub_answers() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="i", outcome=SUCCEED))
    track = ScenarioRequest(carrier="zto", operation="track", waybill="731")
    assert engine.decide(track) is None
    (check,) = engine.explain(track)
    assert check.reasons == ("operation: outcome type 'intercept' cannot answer 'track'",)


def probability_run(seed: int, draws: int = 1000) -> List[bool]:
    engine = ScenarioEngine(seed=seed)
    engine.add(Stub(id="p", outcome=OUTAGE, probability=0.3))
    return [engine.decide(intercept()) is not None for _ in range(draws)]


def test_probability_is_reproducible_with_the_same_seed() -> None:
    assert probability_run(42) == probability_run(42)
    assert probability_run(42) != probability_run(43)


def test_probability_fires_about_as_often_as_asked() -> None:
    assert 250 <= sum(probability_run(7)) <= 350


def test_probability_miss_is_explained_and_falls_through() -> None:
    engine = ScenarioEngine(seed=1)
    engine.add(Stub(id="p", outcome=OUTAGE, probability=0.01), Stub(id="rest", outcome=SUCCEED))
    evaluation = engine.evaluate(intercept())
    assert evaluation.decision is not None and evaluation.decision.stub_id == "rest"
    assert evaluation.checks[0].reasons == ("probability: not drawn this time (p=0.01)",)


def test_full_reset_restarts_the_generator() -> None:
    engine = ScenarioEngine(seed=5)
    stub = Stub(id="p", outcome=OUTAGE, probability=0.5)
    engine.add(stub)
    first = fired_ids(engine, intercept(), 20)
    engine.reset()
    engine.add(stub)
    assert fired_ids(engine, intercept(), 20) == first


def test_push_delay_range_is_drawn_reproducibly() -> None:
    def delays(seed: int) -> List[float]:
        engine = ScenarioEngine(seed=seed)
        engine.add(Stub(id="late", outcome=PushOutcome(delay_range=(10, 60))))
        push = ScenarioRequest(carrier="jt", operation="push", waybill="JT1")
        out = []
        for _ in range(5):
            decision = engine.decide(push)
            assert decision is not None and isinstance(decision.outcome, PushOutcome)
            assert decision.outcome.delay_range is None
            out.append(decision.outcome.delay_seconds)
        return out

    assert delays(3) == delays(3)
    assert all(10 <= delay <= 60 for delay in delays(3))


def sequence_engine() -> ScenarioEngine:
    engine = ScenarioEngine()
    engine.add(
        Stub(id="fail", outcome=SIGNED, scenario="retry", required_state=STARTED, new_state="second"),
        Stub(id="ok", outcome=SUCCEED, scenario="retry", required_state="second"),
    )
    return engine


def test_stateful_sequence_first_fails_then_succeeds() -> None:
    engine = sequence_engine()
    assert engine.get_state("retry") == STARTED
    assert fired_ids(engine, intercept(), 3) == ["fail", "ok", "ok"]
    assert engine.get_state("retry") == "second"
    assert engine.scenario_states() == {"retry": "second"}


def test_state_can_be_set_and_reset_to_replay() -> None:
    engine = sequence_engine()
    engine.decide(intercept())
    engine.reset_states()
    assert fired_ids(engine, intercept(), 1) == ["fail"]
    engine.set_state("retry", "second")
    assert fired_ids(engine, intercept(), 1) == ["ok"]
    engine.set_state("retry", "elsewhere")
    assert engine.decide(intercept()) is None
    reasons = [check.reasons for check in engine.explain(intercept())]
    assert reasons[0] == ("scenario 'retry': is in state 'elsewhere', stub needs 'Started'",)


def test_account_scoped_reset_leaves_other_stubs() -> None:
    engine = ScenarioEngine()
    engine.add(
        Stub(id="a", match=Match(account="shop-a"), outcome=SIGNED),
        Stub(id="b", match=Match(account="shop-b"), outcome=SIGNED),
        Stub(id="all", outcome=SUCCEED),
    )
    removed = engine.reset(account="shop-a")
    assert [stub.id for stub in removed] == ["a"]
    assert [stub.id for stub in engine.stubs()] == ["b", "all"]
    assert fired_ids(engine, intercept(account="shop-a"), 1) == ["all"]
    assert fired_ids(engine, intercept(account="shop-b"), 1) == ["b"]


def test_full_reset_clears_everything() -> None:
    engine = sequence_engine()
    engine.decide(intercept())
    engine.reset()
    assert engine.stubs() == []
    assert engine.scenario_states() == {}
    assert engine.near_misses() == []


def test_thread_safety_times_100_fires_exactly_100() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="hundred", outcome=OUTAGE, lifetime=Lifetime.times(100)))
    fired: List[int] = []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        count = sum(engine.decide(intercept()) is not None for _ in range(50))
        with lock:
            fired.append(count)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(fired) == 100
    assert engine.fire_count("hundred") == 100


def test_explain_has_no_side_effects() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="once", outcome=SIGNED, lifetime=Lifetime.once(), scenario="s", new_state="x"))
    for _ in range(3):
        assert [check.matched for check in engine.explain(intercept())] == [True]
    assert engine.fire_count("once") == 0
    assert engine.get_state("s") == STARTED


def test_unmatched_requests_are_kept_as_near_misses() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="yto-only", match=Match(carrier="yto"), outcome=SUCCEED))
    assert engine.decide(intercept()) is None
    (miss,) = engine.near_misses()
    assert miss.request == intercept()
    assert miss.to_dict()["checks"] == [
        {
            "stub_id": "yto-only",
            "stub_name": None,
            "matched": False,
            "reasons": ["carrier: wanted 'yto', got 'zto'"],
        }
    ]


def test_adding_a_known_id_replaces_it_in_place() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="a", outcome=SIGNED), Stub(id="b", outcome=SUCCEED))
    engine.decide(intercept())
    engine.add(Stub(id="a", outcome=OUTAGE))
    assert [stub.id for stub in engine.stubs()] == ["a", "b"]
    assert engine.get("a").outcome == OUTAGE
    assert engine.fire_count("a") == 0


def test_duplicate_ids_in_one_batch_add_nothing() -> None:
    engine = ScenarioEngine()
    with pytest.raises(ValueError, match="share the id 'a'"):
        engine.add(Stub(id="a", outcome=SIGNED), Stub(id="a", outcome=SUCCEED))
    assert engine.stubs() == []


def test_remove_and_get() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="a", outcome=SIGNED))
    assert engine.remove("a").id == "a"
    with pytest.raises(KeyError):
        engine.get("a")
    with pytest.raises(KeyError):
        engine.remove("a")


def test_install_replaces_and_reseeds() -> None:
    engine = ScenarioEngine(seed=1)
    engine.add(Stub(id="old", outcome=SIGNED))
    engine.install([Stub(id="new", outcome=TrackOutcome(mutation="empty_trace"))], seed=9)
    assert [stub.id for stub in engine.stubs()] == ["new"]
    assert engine.seed == 9


def test_decision_records_the_stub() -> None:
    engine = ScenarioEngine()
    engine.add(Stub(id="a", name="signed", outcome=SIGNED, scenario="s"))
    decision = engine.decide(intercept())
    assert decision is not None
    assert decision.to_dict() == {
        "stub_id": "a",
        "stub_name": "signed",
        "outcome": {"type": "intercept", "result": "fail", "reason": "already_signed"},
        "scenario": "s",
    }


def test_engine_modules_import_neither_flask_nor_kscarriers() -> None:
    package = Path(mockserver.scenarios.__file__).parent
    for module in package.glob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            names: List[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in {"flask", "werkzeug", "kscarriers"}, module

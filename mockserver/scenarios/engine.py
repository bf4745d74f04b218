"""The scenario engine: a thread-safe, seeded, first-match stub registry with scenario states."""

from __future__ import annotations

import collections
import itertools
import random
import threading
from typing import Any, Deque, Dict, Iterable, List, Optional, Tuple

from attrs import define, frozen

from ._fields import check_choice
from .errors import ScenarioFileError, join_path
from .matchers import ScenarioRequest
from .outcomes import Outcome
from .push_outcome import PushOutcome
from .stubs import STARTED, Lifetime, Stub

__all__ = [
    "STARTED",
    "Evaluation",
    "Lifetime",
    "ScenarioEngine",
    "Stub",
    "StubCheck",
    "Verdict",
]

NEAR_MISS_LIMIT = 100
"""How many unmatched requests (with their reasons) the engine remembers."""


@frozen(kw_only=True)
class Verdict:
    """The engine's answer: which stub fired and the outcome to apply.

    A push outcome with a ``delay_range`` comes back with the delay already drawn
    (``delay_seconds`` set, ``delay_range`` None).

    Args:
        stub_id: Id of the stub that fired.
        stub_name: Its name, if any.
        outcome: The outcome to apply.
        scenario: The stub's scenario, if it belongs to one (for the journal).
    """

    stub_id: str
    stub_name: Optional[str]
    outcome: Outcome
    scenario: Optional[str] = None

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        return {
            "stub_id": self.stub_id,
            "stub_name": self.stub_name,
            "outcome": self.outcome.to_dict(),
            "scenario": self.scenario,
        }


@frozen(kw_only=True)
class StubCheck:
    """Whether one stub matched a request, and if not, every reason why.

    Args:
        stub_id: Id of the stub checked.
        stub_name: Its name, if any.
        matched: True if it matched (and, in :meth:`ScenarioEngine.decide`, fired).
        reasons: Why it did not match, e.g. ``"carrier: wanted 'zto', got 'yto'"``.
    """

    stub_id: str
    stub_name: Optional[str]
    matched: bool
    reasons: Tuple[str, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form."""
        return {
            "stub_id": self.stub_id,
            "stub_name": self.stub_name,
            "matched": self.matched,
            "reasons": list(self.reasons),
        }


@frozen(kw_only=True)
class Evaluation:
    """One decision with the checks that led to it.

    Args:
        request: The request decided on.
        decision: The stub that fired, or None when nothing matched (answer normally).
        checks: Per-stub results in the order tried, up to the stub that fired.
    """

    request: ScenarioRequest
    decision: Optional[Verdict]
    checks: Tuple[StubCheck, ...] = ()

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form, for the admin API's "nothing matched because ..." answer."""
        return {
            "request": self.request.to_dict(),
            "decision": None if self.decision is None else self.decision.to_dict(),
            "checks": [check.to_dict() for check in self.checks],
        }


@define
class _Entry:
    stub: Stub
    seq: int
    fired: int = 0


class ScenarioEngine:
    """Decides how the mock server answers each request; holds no Flask and no I/O.

    Stubs are tried by priority (lower first) then insertion order, and the first one that
    matches fires. Probabilities are drawn from a ``random.Random(seed)`` owned by the
    engine, so the same seed and the same order of requests give the same decisions.
    Every method takes one lock, so the engine can be shared by a threaded server.

    Args:
        seed: Seed of the engine's random generator.
        carriers: The carrier slugs a stub may match (the app's carriers); ``None`` accepts any.
        stamped_carriers: The carriers whose pushes carry a timestamp, the only ones a
            ``stale_timestamp`` push fault can be asked of; ``None`` does not check.
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        carriers: Optional[Iterable[str]] = None,
        stamped_carriers: Optional[Iterable[str]] = None,
    ) -> None:
        self.carriers: Optional[Tuple[str, ...]] = tuple(carriers) if carriers is not None else None
        self.stamped_carriers: Optional[Tuple[str, ...]] = (
            tuple(stamped_carriers) if stamped_carriers is not None else None
        )
        self._lock = threading.Lock()
        self._seed = seed
        self._rng = random.Random(seed)
        self._entries: List[_Entry] = []
        self._seq = itertools.count()
        self._states: Dict[str, str] = {}
        self._near_misses: Deque[Evaluation] = collections.deque(maxlen=NEAR_MISS_LIMIT)

    @property
    def seed(self) -> int:
        """The seed the generator was last (re)started with."""
        return self._seed

    def check_carriers(self, stubs: Iterable[Stub], path: str = "") -> None:
        """Refuse a stub that matches a carrier this engine does not know, or asks a carrier
        whose pushes carry no timestamp for a ``stale_timestamp`` push.

        Raises:
            ScenarioFileError: naming ``<path>[i].match.carrier`` (``match.carrier`` for one stub
                with no ``path``) and the known carriers, or ``outcome.fault`` and the carrier.
        """
        listed = tuple(stubs)
        for index, stub in enumerate(listed):
            where = f"{path}[{index}]" if path else ("" if len(listed) == 1 else f"[{index}]")
            if self.carriers is not None and stub.match.carrier is not None:
                check_choice(stub.match.carrier, self.carriers, "carrier", join_path(where, "match.carrier"))
            self._check_stamped(stub, where)

    def _check_stamped(self, stub: Stub, where: str) -> None:
        outcome = stub.outcome
        if self.stamped_carriers is None or not isinstance(outcome, PushOutcome):
            return
        if outcome.fault != "stale_timestamp":
            return
        stamped = ", ".join(self.stamped_carriers) or "none"
        carrier = stub.match.carrier
        if carrier is None:
            raise ScenarioFileError(
                path=join_path(where, "match.carrier"),
                message="a stale_timestamp push fault needs match.carrier: only some carriers' pushes "
                f"carry a timestamp (carriers whose pushes do: {stamped})",
            )
        if carrier not in self.stamped_carriers:
            raise ScenarioFileError(
                path=join_path(where, "outcome.fault"),
                message=f"carrier {carrier!r} signs no timestamp in its pushes, so a push of it cannot "
                f"have a stale one (carriers whose pushes carry a timestamp: {stamped})",
            )

    def add(self, *stubs: Stub) -> None:
        """Add stubs atomically; a stub whose id is known replaces the old one in place.

        Raises:
            ValueError: if two of ``stubs`` share an id (nothing is added).
            ScenarioFileError: if a stub matches a carrier the engine does not know.
        """
        _check_unique(stubs)
        self.check_carriers(stubs)
        with self._lock:
            self._add(stubs)

    def install(self, stubs: Iterable[Stub], *, seed: Optional[int] = None, replace: bool = True) -> None:
        """Install a validated set of stubs in one step (what loading a file does).

        Args:
            stubs: The stubs, e.g. from :func:`load_scenarios`.
            seed: Reseed the generator with this, if given.
            replace: Drop every current stub, count, scenario state and near miss first.

        Raises:
            ValueError: if two of ``stubs`` share an id (nothing changes).
            ScenarioFileError: if a stub matches a carrier the engine does not know.
        """
        stubs = tuple(stubs)
        _check_unique(stubs)
        self.check_carriers(stubs)
        with self._lock:
            if replace:
                self._clear()
            if seed is not None:
                self._seed = seed
                self._rng = random.Random(seed)
            self._add(stubs)

    def stubs(self) -> List[Stub]:
        """Every stub, in the order they are tried."""
        with self._lock:
            return [entry.stub for entry in self._entries]

    def get(self, stub_id: str) -> Stub:
        """The stub with ``stub_id``.

        Raises:
            KeyError: if there is none.
        """
        with self._lock:
            return self._find(stub_id).stub

    def remove(self, stub_id: str) -> Stub:
        """Remove and return the stub with ``stub_id``.

        Raises:
            KeyError: if there is none.
        """
        with self._lock:
            entry = self._find(stub_id)
            self._entries.remove(entry)
            return entry.stub

    def reset(self, *, account: Optional[str] = None) -> List[Stub]:
        """Remove stubs and return them.

        Without ``account`` everything goes: stubs, fire counts, scenario states, near
        misses, and the generator restarts from the seed. With ``account`` only the stubs
        whose match is scoped to that account are removed.
        """
        with self._lock:
            if account is None:
                everything = [entry.stub for entry in self._entries]
                self._clear()
                self._rng = random.Random(self._seed)
                return everything
            kept: List[_Entry] = []
            removed: List[Stub] = []
            for entry in self._entries:
                if entry.stub.match.account == account:
                    removed.append(entry.stub)
                else:
                    kept.append(entry)
            self._entries = kept
            return removed

    def fire_count(self, stub_id: str) -> int:
        """How many times the stub with ``stub_id`` has fired.

        Raises:
            KeyError: if there is no such stub.
        """
        with self._lock:
            return self._find(stub_id).fired

    def fire_counts(self) -> Dict[str, int]:
        """Fire count of every stub, by id."""
        with self._lock:
            return {entry.stub.id: entry.fired for entry in self._entries}

    def get_state(self, scenario: str) -> str:
        """Current state of ``scenario`` (:data:`STARTED` until it moves)."""
        with self._lock:
            return self._states.get(scenario, STARTED)

    def set_state(self, scenario: str, state: str) -> None:
        """Put ``scenario`` into ``state``."""
        with self._lock:
            self._states[scenario] = state

    def scenario_states(self) -> Dict[str, str]:
        """State of every scenario that a stub names or that was set."""
        with self._lock:
            names = {entry.stub.scenario for entry in self._entries if entry.stub.scenario}
            names.update(self._states)
            return {name: self._states.get(name, STARTED) for name in sorted(names)}

    def reset_states(self) -> None:
        """Put every scenario back to :data:`STARTED`."""
        with self._lock:
            self._states.clear()

    def decide(self, request: ScenarioRequest) -> Optional[Verdict]:
        """Fire the first stub that matches ``request``; None means "answer normally"."""
        return self.evaluate(request).decision

    def evaluate(self, request: ScenarioRequest) -> Evaluation:
        """Like :meth:`decide`, also returning why each stub tried did or did not match.

        An evaluation in which nothing matched is kept as a near miss.
        """
        with self._lock:
            checks: List[StubCheck] = []
            decision = None
            for entry in self._entries:
                reasons = self._reasons(entry, request)
                if not reasons and entry.stub.probability < 1:
                    if self._rng.random() >= entry.stub.probability:
                        reasons.append(f"probability: not drawn this time (p={entry.stub.probability})")
                checks.append(_check(entry.stub, reasons))
                if not reasons:
                    decision = self._fire(entry)
                    break
            evaluation = Evaluation(request=request, decision=decision, checks=tuple(checks))
            if decision is None:
                self._near_misses.append(evaluation)
            return evaluation

    def explain(self, request: ScenarioRequest) -> List[StubCheck]:
        """Check every stub against ``request`` without firing, counting or drawing.

        A stub with a probability below 1 is reported as matched when everything else
        matches, since whether it fires is only drawn by :meth:`decide`.
        """
        with self._lock:
            return [_check(entry.stub, self._reasons(entry, request)) for entry in self._entries]

    def near_misses(self) -> List[Evaluation]:
        """The most recent evaluations in which no stub matched, oldest first."""
        with self._lock:
            return list(self._near_misses)

    def _add(self, stubs: Iterable[Stub]) -> None:
        by_id = {entry.stub.id: entry for entry in self._entries}
        for stub in stubs:
            if stub.id in by_id:
                by_id[stub.id].stub = stub
                by_id[stub.id].fired = 0
            else:
                entry = _Entry(stub=stub, seq=next(self._seq))
                self._entries.append(entry)
                by_id[stub.id] = entry
        self._entries.sort(key=lambda entry: (entry.stub.priority, entry.seq))

    def _clear(self) -> None:
        self._entries = []
        self._states.clear()
        self._near_misses.clear()

    def _find(self, stub_id: str) -> _Entry:
        for entry in self._entries:
            if entry.stub.id == stub_id:
                return entry
        raise KeyError(stub_id)

    def _reasons(self, entry: _Entry, request: ScenarioRequest) -> List[str]:
        stub = entry.stub
        reasons = stub.match.reasons(request)
        if stub.match.operation is None and request.operation not in stub.outcome.OPERATIONS:
            reasons.append(
                f"operation: outcome type {stub.outcome.TYPE!r} cannot answer {request.operation!r}"
            )
        if stub.scenario is not None and stub.required_state is not None:
            state = self._states.get(stub.scenario, STARTED)
            if state != stub.required_state:
                reasons.append(
                    f"scenario {stub.scenario!r}: is in state {state!r}, stub needs {stub.required_state!r}"
                )
        if stub.lifetime.used_up(entry.fired):
            reasons.append(f"lifetime: used up after {entry.fired} of {stub.lifetime.limit}")
        return reasons

    def _fire(self, entry: _Entry) -> Verdict:
        stub = entry.stub
        entry.fired += 1
        if stub.scenario is not None and stub.new_state is not None:
            self._states[stub.scenario] = stub.new_state
        outcome = stub.outcome
        if isinstance(outcome, PushOutcome):
            outcome = outcome.resolve(self._rng)
        return Verdict(stub_id=stub.id, stub_name=stub.name, outcome=outcome, scenario=stub.scenario)


def _check(stub: Stub, reasons: List[str]) -> StubCheck:
    return StubCheck(stub_id=stub.id, stub_name=stub.name, matched=not reasons, reasons=tuple(reasons))


def _check_unique(stubs: Iterable[Stub]) -> None:
    seen = set()
    for stub in stubs:
        if stub.id in seen:
            raise ValueError(f"two stubs share the id {stub.id!r}")
        seen.add(stub.id)

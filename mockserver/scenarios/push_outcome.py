"""The push outcome: how the push scheduler delays, drops, copies, reorders, batches, damages or stops."""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any, ClassVar, Dict, FrozenSet, Optional, Tuple

from attrs import evolve, field, frozen

from ._fields import Fields, check_choice, compact_number, describe, fail, non_negative
from .errors import ScenarioFileError

PUSH_FAULTS: Tuple[str, ...] = ("bad_signature", "tampered_body", "stale_timestamp")
"""How a push can arrive wrongly signed: signed with a wrong secret, changed after signing, or
carrying an old timestamp (only carriers whose pushes carry one, e.g. J&T)."""

OUTAGE_MODES: Tuple[str, ...] = ("unreachable", "held")
"""A push outage: every attempt fails as if the receiver were down (``unreachable``, retried with
backoff), or the carrier sends nothing until it ends (``held``)."""

DEFAULT_STALE_SECONDS = 3600.0
"""How far back a ``stale_timestamp`` fault moves the push's timestamp when no ``stale_seconds`` is given."""


def parse_time(value: Any, path: str) -> datetime:
    """An ISO 8601 time with a UTC offset (``2025-01-06T12:00:00+08:00``, or ``...Z``)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            fail(path, f"expected an ISO 8601 time such as 2025-01-06T12:00:00+08:00, got {value!r}")
    else:
        fail(path, f"expected an ISO 8601 time string, got {describe(value)}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        fail(path, f"needs a UTC offset (e.g. +08:00 or Z), got {value!r}")
    return moment


def _optional_time(value: Any) -> Optional[datetime]:
    return None if value is None else parse_time(value, "until")


def _delay_range(value: Any) -> Optional[Tuple[float, float]]:
    if value is None:
        return None
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ScenarioFileError(path="delay_range", message="expected [min, max] seconds")
    low, high = (non_negative(item, f"delay_range[{i}]") for i, item in enumerate(value))
    if low > high:
        raise ScenarioFileError(path="delay_range", message=f"min {low} is above max {high}")
    return (low, high)


@frozen(kw_only=True)
class PushOutcome:
    """How the push scheduler should alter the pushes a stub matches.

    The defaults change nothing, so a push stub with no options passes pushes through
    (useful at high priority to shield some waybills from a broader push stub).

    Args:
        delay_seconds: Fixed delay before sending.
        delay_range: ``(min, max)`` seconds; the engine draws the delay from its seeded
            generator at decision time (not with ``delay_seconds``).
        drop: Never send it (excludes every other option).
        copies: How many times to send it (2 = one duplicate).
        out_of_order: Hold it back and send it after the next push for the same waybill.
        batch: Send pushes in batches of this many per request (1 = one per request).
        fault: Sign it wrongly, one of :data:`PUSH_FAULTS`: ``bad_signature`` (signed with a
            wrong secret), ``tampered_body`` (the signed content changed after signing) or
            ``stale_timestamp`` (its timestamp moved ``stale_seconds`` into the past).
        stale_seconds: For ``stale_timestamp``: how old the timestamp is (default 3600).
        outage: Start a push outage of the account, one of :data:`OUTAGE_MODES`, lasting
            ``duration_seconds`` from the moment the stub fires or ending at ``until`` (the
            account's mock clock); while it lasts it stops every push of the account.
        until: When the outage ends (an aware time).
        duration_seconds: How long the outage lasts (> 0).
    """

    TYPE: ClassVar[str] = "push"
    OPERATIONS: ClassVar[FrozenSet[str]] = frozenset({"push"})

    delay_seconds: float = 0.0
    delay_range: Optional[Tuple[float, float]] = field(default=None, converter=_delay_range)
    drop: bool = False
    copies: int = 1
    out_of_order: bool = False
    batch: int = 1
    fault: Optional[str] = None
    stale_seconds: Optional[float] = None
    outage: Optional[str] = None
    until: Optional[datetime] = field(default=None, converter=_optional_time)
    duration_seconds: Optional[float] = None

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "delay_seconds", non_negative(self.delay_seconds, "delay_seconds"))
        if self.delay_range is not None and self.delay_seconds:
            fail("delay_range", "give either delay_seconds or delay_range, not both")
        for name in ("copies", "batch"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                fail(name, f"must be a whole number >= 1, got {value!r}")
        if self.drop and (
            self.delay_seconds or self.delay_range or self.copies != 1 or self.out_of_order or self.batch != 1
        ):
            fail("drop", "a dropped push cannot also be delayed, copied, reordered or batched")
        self._check_fault()
        self._check_outage()

    def _check_fault(self) -> None:
        if self.fault is not None:
            check_choice(self.fault, PUSH_FAULTS, "push fault", "fault")
            if self.drop:
                fail("fault", "a dropped push is never sent, so it cannot be wrongly signed")
        if self.stale_seconds is not None:
            if self.fault != "stale_timestamp":
                fail("stale_seconds", "only a stale_timestamp fault takes stale_seconds")
            seconds = non_negative(self.stale_seconds, "stale_seconds")
            if seconds == 0:
                fail("stale_seconds", "must be greater than 0")
            object.__setattr__(self, "stale_seconds", seconds)

    def _check_outage(self) -> None:
        if self.outage is None:
            for name in ("until", "duration_seconds"):
                if getattr(self, name) is not None:
                    fail(name, "only an outage ends: give outage (unreachable or held) too")
            return
        check_choice(self.outage, OUTAGE_MODES, "outage mode", "outage")
        if self.drop:
            fail("outage", "give either drop or outage, not both")
        if (self.until is None) == (self.duration_seconds is None):
            fail("outage", "an outage needs exactly one of until or duration_seconds")
        if self.duration_seconds is not None:
            seconds = non_negative(self.duration_seconds, "duration_seconds")
            if seconds == 0:
                fail("duration_seconds", "must be greater than 0")
            object.__setattr__(self, "duration_seconds", seconds)

    @property
    def stale_by(self) -> float:
        """Seconds a ``stale_timestamp`` fault moves the timestamp back."""
        return DEFAULT_STALE_SECONDS if self.stale_seconds is None else self.stale_seconds

    def resolve(self, rng: random.Random) -> PushOutcome:
        """Return this outcome with a ``delay_range`` replaced by a delay drawn from ``rng``."""
        if self.delay_range is None:
            return self
        delay = round(rng.uniform(*self.delay_range), 3)
        return evolve(self, delay_range=None, delay_seconds=delay)

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form; options left at their defaults are left out."""
        data: Dict[str, Any] = {"type": self.TYPE}
        if self.delay_seconds:
            data["delay_seconds"] = compact_number(self.delay_seconds)
        if self.delay_range is not None:
            data["delay_range"] = [compact_number(value) for value in self.delay_range]
        if self.drop:
            data["drop"] = True
        if self.copies != 1:
            data["copies"] = self.copies
        if self.out_of_order:
            data["out_of_order"] = True
        if self.batch != 1:
            data["batch"] = self.batch
        if self.fault is not None:
            data["fault"] = self.fault
        if self.stale_seconds is not None:
            data["stale_seconds"] = compact_number(self.stale_seconds)
        if self.outage is not None:
            data["outage"] = self.outage
        if self.until is not None:
            data["until"] = self.until.isoformat()
        if self.duration_seconds is not None:
            data["duration_seconds"] = compact_number(self.duration_seconds)
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "outcome") -> PushOutcome:
        """Build from a JSON object; errors name ``path`` and the field."""
        fields = Fields(
            data,
            path,
            (
                "type",
                "delay_seconds",
                "delay_range",
                "drop",
                "copies",
                "out_of_order",
                "batch",
                "fault",
                "stale_seconds",
                "outage",
                "until",
                "duration_seconds",
            ),
        )
        until = fields.string("until", None)
        delay_range = fields.raw("delay_range", None)
        if delay_range is not None and not isinstance(delay_range, list):
            raise ScenarioFileError(
                path=fields.at("delay_range"),
                message=f"expected [min, max] seconds, got {describe(delay_range)}",
            )
        return _build_push(
            path,
            delay_seconds=fields.number("delay_seconds", 0),
            delay_range=delay_range,
            drop=fields.boolean("drop", False),
            copies=fields.integer("copies", 1),
            out_of_order=fields.boolean("out_of_order", False),
            batch=fields.integer("batch", 1),
            fault=fields.choice("fault", PUSH_FAULTS, "push fault", None),
            stale_seconds=fields.number("stale_seconds", None),
            outage=fields.choice("outage", OUTAGE_MODES, "outage mode", None),
            until=None if until is None else parse_time(until, fields.at("until")),
            duration_seconds=fields.number("duration_seconds", None),
        )


def _build_push(path: str, **kwargs: Any) -> PushOutcome:
    try:
        return PushOutcome(**kwargs)
    except ScenarioFileError as exc:
        raise exc.within(path) from None

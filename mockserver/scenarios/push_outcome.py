"""The push outcome: how the push scheduler should delay, drop, copy, reorder or batch a push."""

from __future__ import annotations

import random
from typing import Any, ClassVar, Dict, FrozenSet, Optional, Tuple

from attrs import evolve, field, frozen

from ._fields import Fields, compact_number, describe, fail, non_negative
from .errors import ScenarioFileError


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
    """

    TYPE: ClassVar[str] = "push"
    OPERATIONS: ClassVar[FrozenSet[str]] = frozenset({"push"})

    delay_seconds: float = 0.0
    delay_range: Optional[Tuple[float, float]] = field(default=None, converter=_delay_range)
    drop: bool = False
    copies: int = 1
    out_of_order: bool = False
    batch: int = 1

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
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "outcome") -> PushOutcome:
        """Build from a JSON object; errors name ``path`` and the field."""
        fields = Fields(
            data,
            path,
            ("type", "delay_seconds", "delay_range", "drop", "copies", "out_of_order", "batch"),
        )
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
        )


def _build_push(path: str, **kwargs: Any) -> PushOutcome:
    try:
        return PushOutcome(**kwargs)
    except ScenarioFileError as exc:
        raise exc.within(path) from None

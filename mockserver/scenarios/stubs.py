"""A stub: match criteria, an outcome, and how long, how often and in which state it applies."""

from __future__ import annotations

import uuid
from typing import Any, Dict, Optional

from attrs import field, frozen

from ._fields import Fields, compact_number, describe, is_number
from .errors import ScenarioFileError, at
from .matchers import Match
from .outcomes import Outcome, outcome_from_dict

STARTED = "Started"
"""The state every scenario starts in (as in WireMock)."""

DEFAULT_PRIORITY = 5
"""Priority of a stub that names none; as in WireMock, a lower number is tried first."""

STUB_KEYS = (
    "id",
    "name",
    "match",
    "outcome",
    "lifetime",
    "probability",
    "priority",
    "scenario",
    "required_state",
    "new_state",
)


def new_stub_id() -> str:
    """A fresh random stub id."""
    return uuid.uuid4().hex[:12]


@frozen
class Lifetime:
    """How many times a stub may fire: for good (``limit=None``) or ``limit`` times.

    Build one with :meth:`permanent`, :meth:`once` or :meth:`times`. In a file it is
    ``"permanent"``, ``"once"`` or ``{"times": 3}``. A used-up stub stays listed (with its
    fire count) but no longer matches.
    """

    limit: Optional[int] = None

    def __attrs_post_init__(self) -> None:
        if self.limit is not None and (
            not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1
        ):
            raise ScenarioFileError(
                path="lifetime.times", message=f"must be a whole number >= 1, got {self.limit!r}"
            )

    @classmethod
    def permanent(cls) -> Lifetime:
        """Fire on every match."""
        return cls(None)

    @classmethod
    def once(cls) -> Lifetime:
        """Fire on the first match only."""
        return cls(1)

    @classmethod
    def times(cls, count: int) -> Lifetime:
        """Fire on the first ``count`` matches."""
        return cls(count)

    def used_up(self, fired: int) -> bool:
        """True once a stub with this lifetime has fired ``fired`` times and may not again."""
        return self.limit is not None and fired >= self.limit

    def to_dict(self) -> Any:
        """``"permanent"``, ``"once"`` or ``{"times": n}``."""
        if self.limit is None:
            return "permanent"
        if self.limit == 1:
            return "once"
        return {"times": self.limit}

    @classmethod
    def from_dict(cls, data: Any, path: str = "lifetime") -> Lifetime:
        """Parse the file form; errors name ``path``."""
        if data == "permanent":
            return cls.permanent()
        if data == "once":
            return cls.once()
        if isinstance(data, dict):
            fields = Fields(data, path, ("times",))
            try:
                return cls(fields.integer("times"))
            except ScenarioFileError as exc:
                raise ScenarioFileError(path=fields.at("times"), message=exc.message) from None
        raise ScenarioFileError(
            path=path,
            message=f'expected "permanent", "once" or {{"times": n}}, got {data!r}',
        )


@frozen(kw_only=True)
class Stub:
    """One rule of the engine: when ``match`` matches, answer with ``outcome``.

    Args:
        id: Unique id (random when not given); adding a stub with a known id replaces it.
        name: Human-readable label shown in explanations and the journal.
        match: The criteria (:class:`Match`); the default matches everything the
            outcome can answer.
        outcome: What to answer with (one of the outcome families).
        lifetime: How many times it may fire (:class:`Lifetime`).
        probability: Chance in (0, 1] that it fires when it matches, drawn from the
            engine's seeded generator.
        priority: Lower numbers are tried first; ties go by insertion order.
        scenario: Name of the state machine this stub belongs to.
        required_state: Fire only while ``scenario`` is in this state (any state if None).
        new_state: Move ``scenario`` to this state after firing.

    Raises:
        ScenarioFileError: naming the field at fault.
    """

    id: str = field(factory=new_stub_id)
    name: Optional[str] = None
    match: Match = field(factory=Match)
    outcome: Outcome
    lifetime: Lifetime = field(factory=Lifetime.permanent)
    probability: float = 1.0
    priority: int = DEFAULT_PRIORITY
    scenario: Optional[str] = None
    required_state: Optional[str] = None
    new_state: Optional[str] = None

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ScenarioFileError(path="id", message="must be a non-empty string")
        operation = self.match.operation
        if operation is not None and operation not in self.outcome.OPERATIONS:
            raise ScenarioFileError(
                path="match.operation",
                message=f"outcome type {self.outcome.TYPE!r} cannot answer operation {operation!r} "
                f"(it answers {', '.join(sorted(self.outcome.OPERATIONS))})",
            )
        if self.match.push_kind is not None and "push" not in self.outcome.OPERATIONS:
            raise ScenarioFileError(
                path="match.push_kind",
                message=f"only pushes have a kind, and outcome type {self.outcome.TYPE!r} "
                "never answers a push",
            )
        if not is_number(self.probability) or not 0 < self.probability <= 1:
            raise ScenarioFileError(
                path="probability", message=f"must be in (0, 1], got {self.probability!r}"
            )
        if not isinstance(self.priority, int) or isinstance(self.priority, bool):
            raise ScenarioFileError(
                path="priority", message=f"expected an integer, got {describe(self.priority)}"
            )
        for name in ("required_state", "new_state"):
            if getattr(self, name) is not None and self.scenario is None:
                raise ScenarioFileError(path=name, message="needs 'scenario' to be set")

    def to_dict(self) -> Dict[str, Any]:
        """JSON-ready form, the same shape as one ``stubs[]`` element of a scenario file."""
        data: Dict[str, Any] = {"id": self.id}
        if self.name is not None:
            data["name"] = self.name
        match = self.match.to_dict()
        if match:
            data["match"] = match
        data["outcome"] = self.outcome.to_dict()
        if self.lifetime.limit is not None:
            data["lifetime"] = self.lifetime.to_dict()
        if self.probability != 1:
            data["probability"] = compact_number(self.probability)
        if self.priority != DEFAULT_PRIORITY:
            data["priority"] = self.priority
        for name in ("scenario", "required_state", "new_state"):
            if getattr(self, name) is not None:
                data[name] = getattr(self, name)
        return data

    @classmethod
    def from_dict(cls, data: Any, path: str = "") -> Stub:
        """Build a full stub (not a preset reference) from its JSON object.

        Raises:
            ScenarioFileError: naming ``path`` and the field at fault.
        """
        fields = Fields(data, path, STUB_KEYS)
        kwargs: Dict[str, Any] = {
            "match": Match.from_dict(fields.raw("match", {}), fields.at("match")),
            "outcome": outcome_from_dict(fields.raw("outcome"), fields.at("outcome")),
            "lifetime": Lifetime.from_dict(fields.raw("lifetime", "permanent"), fields.at("lifetime")),
        }
        kwargs.update(stub_options(fields))
        with at(path):
            return cls(**kwargs)


def stub_options(fields: Fields) -> Dict[str, Any]:
    """Read the scalar stub options (id, name, probability, priority, scenario fields)."""
    options: Dict[str, Any] = {}
    for name in ("id", "name", "scenario", "required_state", "new_state"):
        if fields.has(name):
            options[name] = fields.string(name, None)
    if fields.has("probability"):
        options["probability"] = fields.number("probability")
    if fields.has("priority"):
        options["priority"] = fields.integer("priority")
    return options

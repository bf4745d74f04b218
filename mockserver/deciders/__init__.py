"""What decides the answer to a carrier request: the protocol, and its scenario and proxy deciders.

Before a carrier blueprint handles a request normally it asks the app's :class:`Decider`
(through :func:`mockserver.carriers.exchange.consult`), which may override the answer with a
:class:`Decision`. Two deciders exist: :class:`~mockserver.deciders.scenario.ScenarioDecider`
(the scenario engine's stubs, the default) and :class:`~mockserver.deciders.proxy.ProxyDecider`
(record and replay against a real carrier). Nothing here knows Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Callable, Optional, Protocol, runtime_checkable

from attrs import field, frozen

from mockserver.world import FailReason, InterceptPlan

__all__ = [
    "Breakage",
    "Decider",
    "Decision",
    "DecisionRequest",
    "Fault",
    "NoOverride",
    "Operation",
    "RawResponse",
]


class Operation(str, Enum):
    """Carrier-neutral operation names, used by the journal and the Decider."""

    TRACK = "track"
    SUBSCRIBE = "subscribe"
    INTERCEPT = "intercept"
    CANCEL_INTERCEPT = "cancel_intercept"
    INTERCEPT_STATUS = "intercept_status"
    UNKNOWN = "unknown"


class Fault(str, Enum):
    """Carrier-neutral failures a Decider can ask for; each carrier maps them to its own codes."""

    SYSTEM_ERROR = "SYSTEM_ERROR"
    UNAVAILABLE = "UNAVAILABLE"
    TIMEOUT = "TIMEOUT"
    RATE_LIMITED = "RATE_LIMITED"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    MISSING_FIELD = "MISSING_FIELD"
    NOT_FOUND = "NOT_FOUND"


class Breakage(str, Enum):
    """Ways to damage an answer on the wire, applied to whatever the carrier answered."""

    CONNECTION_RESET = "connection_reset"
    TRUNCATED_BODY = "truncated_body"
    MALFORMED_JSON = "malformed_json"
    WRONG_CONTENT_TYPE = "wrong_content_type"


@frozen(kw_only=True)
class RawResponse:
    """An exact HTTP answer a Decider wants sent, bypassing the carrier's envelope."""

    status: int = 200
    body: str = ""
    content_type: str = "application/json; charset=utf-8"
    headers: Mapping[str, str] = field(factory=dict, hash=False)


@frozen(kw_only=True)
class DecisionRequest:
    """What a Decider is told about a request before it is handled normally."""

    carrier: str
    operation: Operation
    app_key: Optional[str]
    waybill: Optional[str]
    now: datetime
    body: str
    method: str = "POST"
    path: str = ""
    headers: Mapping[str, str] = field(factory=dict, hash=False)
    raw_body: bytes = field(default=b"", repr=False)
    secret: Optional[str] = field(default=None, repr=False)  # to keep it out of recordings


@frozen(kw_only=True)
class Decision:
    """A Decider's override of the normal answer. Blueprints apply it in this order:

    0. ``delay_seconds``: :func:`~mockserver.carriers.exchange.consult` waits this long first
       (the services' ``sleep``);
    1. ``response``: send exactly this, nothing else happens;
    2. ``fault``: answer the carrier's code for this neutral fault (``field_name`` names the
       field for ``MISSING_FIELD``);
    3. ``reject``: for intercept and cancel operations, refuse with the carrier's code for this
       reason and store nothing (other operations ignore it);
    4. otherwise handle normally; an accepted intercept follows ``intercept`` (its result and
       delay) instead of the default rules;
    5. ``transform``, if set, receives the JSON payload of the answer from step 4 and returns the
       payload to send (to drop fields, reorder scans, ...).

    6. ``breakage``, if set, damages the final answer on its way out (for every carrier, in the
       journal hook): ``content_type`` is the header a ``WRONG_CONTENT_TYPE`` answer gets (default:
       an HTML page instead of the answer).

    ``message`` replaces the carrier's text in the answers of steps 2 and 3; ``name`` is recorded
    as the journal's ``decided_by``.
    """

    name: str
    response: Optional[RawResponse] = None
    fault: Optional[Fault] = None
    reject: Optional[FailReason] = None
    intercept: Optional[InterceptPlan] = None
    message: Optional[str] = None
    field_name: Optional[str] = None
    transform: Optional[Callable[[Any], Any]] = field(default=None, eq=False)
    delay_seconds: Optional[float] = None
    breakage: Optional[Breakage] = None
    content_type: Optional[str] = None


@runtime_checkable
class Decider(Protocol):
    """Chooses an answer for a request before normal handling, or returns ``None``."""

    def decide(self, request: DecisionRequest) -> Optional[Decision]: ...


class NoOverride:
    """The default :class:`Decider`: never overrides anything."""

    def decide(self, request: DecisionRequest) -> Optional[Decision]:
        return None

"""Carrier-neutral plumbing for carrier blueprints: faults, signatures, journalling and the Decider hook.

A carrier blueprint (see :mod:`mockserver.carriers.zto`) does four things with this module (steps 1
and 3 through its :class:`~mockserver.carriers._dialect.Dialect`):

1. :func:`install` registers the blueprint's error handlers and its journal hook: a
   :class:`CarrierFault` is rendered by the blueprint's own ``render_fault`` (its envelope), any
   other exception becomes its ``system_fault`` (logged and journalled with the error), and every
   request — bad ones included — is appended to the :class:`~mockserver.journal.Journal`.
2. While handling, it fills in :func:`exchange` (operation, app key, waybill) so the journal entry
   says what the request was about.
3. Before normal handling it calls :func:`consult` so that a :class:`Decider` (the scenario engine)
   can override the answer for ``(carrier, operation, waybill, account)``. Delays and broken
   answers (:class:`Breakage`) are applied here, for every carrier, without carrier code:
   ``consult`` waits through ``services().sleep`` and the journal hook breaks the final answer.
4. It signs and verifies with :func:`b64_md5` and :func:`digest_matches`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Callable, Optional, Protocol, runtime_checkable
from urllib.parse import urlencode

from attrs import define, field, frozen
from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from mockserver.carriers._fields import FieldProblem
from mockserver.carriers._wire import ConnectionDropped, break_answer
from mockserver.clock import CHINA_TZ
from mockserver.journal import JournalEntry
from mockserver.world import FailReason, InterceptPlan

if TYPE_CHECKING:
    from mockserver.services import Services

__all__ = [
    "Breakage",
    "CarrierFault",
    "ConnectionDropped",
    "Decider",
    "Decision",
    "DecisionRequest",
    "Exchange",
    "Fault",
    "NoOverride",
    "Operation",
    "RawResponse",
    "b64_md5",
    "china_time",
    "compact_json",
    "consult",
    "digest_matches",
    "epoch_ms",
    "exchange",
    "form_body",
    "install",
    "json_response",
    "services",
    "transformed",
]

log = logging.getLogger("mockserver.carriers")


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


class CarrierFault(Exception):
    """An error answer in a carrier's own terms, rendered by that carrier's blueprint.

    Args:
        code: the carrier's error code (``"S211"``, ``"E23101"``, ...).
        message: the carrier's error text.
        http_status: the HTTP status to answer with (most carriers answer errors with 200).
        body: a complete body to send instead of the carrier's usual error envelope.
    """

    def __init__(
        self, *, code: str, message: str, http_status: int = 200, body: Optional[Any] = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.body = body


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


@frozen(kw_only=True)
class Decision:
    """A Decider's override of the normal answer. Blueprints apply it in this order:

    0. ``delay_seconds``: :func:`consult` waits this long first (``services().sleep``);
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


@define
class Exchange:
    """What the current carrier request is about, filled in by the blueprint as it learns it."""

    carrier: str
    operation: Operation = Operation.UNKNOWN
    app_key: Optional[str] = None
    waybill: Optional[str] = None
    decided_by: str = "default"
    error: Optional[str] = None
    secret: Optional[str] = field(default=None, repr=False)  # masked out of the journal
    breakage: Optional[Breakage] = None
    content_type: Optional[str] = None


def services() -> Services:
    """The current app's shared services (``app.extensions["mockserver"]``)."""
    return current_app.extensions["mockserver"]  # type: ignore[no-any-return]


def exchange() -> Exchange:
    """The :class:`Exchange` of the current request (created on first use)."""
    current = g.get("mockserver_exchange")
    if current is None:
        current = Exchange(carrier=request.blueprint or "unknown")
        g.mockserver_exchange = current
    return current  # type: ignore[no-any-return]


def consult(operation: Operation, *, app_key: Optional[str], waybill: Optional[str]) -> Optional[Decision]:
    """Ask the app's Decider about the current request; record who decided in the journal."""
    note = exchange()
    hub = services()
    raw = request.get_data(cache=True)
    decision = hub.decider.decide(
        DecisionRequest(
            carrier=note.carrier,
            operation=operation,
            app_key=app_key,
            waybill=waybill,
            now=hub.clock.now(),
            body=raw.decode("utf-8", errors="replace"),
            method=request.method,
            path=request.full_path.rstrip("?"),
            headers=dict(request.headers.items()),
            raw_body=raw,
        )
    )
    if decision is None:
        return None
    note.decided_by = decision.name
    note.breakage = decision.breakage
    note.content_type = decision.content_type
    if decision.delay_seconds:
        hub.sleep(decision.delay_seconds)
    return decision


def transformed(response: Response, decision: Optional[Decision]) -> Response:
    """Apply ``decision.transform`` to a JSON answer (step 5 of :class:`Decision`)."""
    if decision is None or decision.transform is None:
        return response
    payload = json.loads(response.get_data(as_text=True))
    changed = json_response(decision.transform(payload), status=response.status_code)
    return changed


def raw_response(answer: RawResponse) -> Response:
    response = Response(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


def b64_md5(data: bytes) -> str:
    """Base64 of the raw 16-byte MD5 digest of ``data`` (the signature of all four carriers)."""
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


def digest_matches(expected: str, given: str) -> bool:
    """Compare two signatures in constant time."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def compact_json(value: Any) -> str:
    """JSON as carriers send it: compact separators, non-ASCII kept as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def json_response(payload: Any, status: int = 200) -> Response:
    """A JSON answer in UTF-8; a lone surrogate echoed from a request goes out as a ``\\u`` escape."""
    text = compact_json(payload)
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:  # only ASCII escapes can carry a lone surrogate in valid UTF-8
        body = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return Response(body, status=status, content_type="application/json; charset=utf-8")


def form_body(fields: Mapping[str, str]) -> str:
    """URL-encode form fields (UTF-8), as carriers post pushes."""
    return urlencode(list(fields.items()))


def china_time(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss`` in China time (UTC+8)."""
    return moment.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S")


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _masked(text: str, secret: Optional[str]) -> str:
    return text.replace(secret, "***") if secret else text


def _broken(response: Response, note: Exchange) -> Response:
    """Damage the final answer as the decision asked (step 6 of :class:`Decision`)."""
    if note.breakage is None:
        return response
    damaged, note.error = break_answer(response, note.breakage.value, note.content_type)
    return damaged


def _journal(response: Response) -> Response:
    note = exchange()
    hub = services()
    response = _broken(response, note)
    limit = int(hub.config.get("JOURNAL_BODY_LIMIT", 65536))
    try:
        body = request.get_data(cache=True).decode("utf-8", errors="replace")
    except RequestEntityTooLarge:  # over MAX_CONTENT_LENGTH: never read, still journalled
        body = ""
    answer = response.get_data().decode("utf-8", errors="replace") if not response.direct_passthrough else ""
    hub.journal.append(
        JournalEntry(
            time=hub.clock.now(),
            carrier=note.carrier,
            operation=note.operation.value,
            account=note.app_key,
            waybill=note.waybill,
            method=request.method,
            path=request.full_path.rstrip("?"),
            request_headers={k: _masked(v, note.secret) for k, v in request.headers.items()},
            request_body=_masked(body, note.secret)[:limit],
            response_status=response.status_code,
            response_body=_masked(answer, note.secret)[:limit],
            decided_by=note.decided_by,
            error=note.error,
        )
    )
    return response


def install(
    bp: Blueprint,
    *,
    render_fault: Callable[[CarrierFault], Response],
    system_fault: Callable[[], CarrierFault],
    field_fault: Callable[[FieldProblem], CarrierFault],
) -> None:
    """Give a carrier blueprint its error handlers and journal hook.

    Args:
        bp: the carrier's blueprint.
        render_fault: renders a :class:`CarrierFault` in the carrier's envelope.
        system_fault: the fault answered for any unexpected exception (the carrier's
            "system error"); the exception is logged and journalled.
        field_fault: the carrier's fault for a bad request field (see
            :mod:`mockserver.carriers._fields`).
    """

    @bp.errorhandler(FieldProblem)
    def _field_problem(problem: FieldProblem) -> Response:
        return _carrier_fault(field_fault(problem))

    @bp.errorhandler(CarrierFault)
    def _carrier_fault(fault: CarrierFault) -> Response:
        exchange().error = f"{fault.code}: {fault.message}"
        return render_fault(fault)

    @bp.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if not isinstance(error, HTTPException):
            log.exception("unexpected error in %s blueprint", bp.name)
        fault = system_fault()
        if isinstance(error, HTTPException) and error.code is not None:
            fault.http_status = error.code  # e.g. 413 for a body over MAX_CONTENT_LENGTH
        exchange().error = f"{type(error).__name__}: {error} -> {fault.code}"
        return render_fault(fault)

    bp.after_request(_journal)

"""One carrier request on its way through a blueprint: the exchange, the Decider hook and the journal.

A carrier blueprint (see :mod:`mockserver.carriers.zto.blueprint`) does three things with this
module, through its :class:`~mockserver.carriers.dialect.Dialect`:

1. :func:`install` registers the blueprint's error handlers and its journal hook: a
   :class:`CarrierFault` is rendered by the blueprint's own ``render_fault`` (its envelope), any
   other exception becomes its ``system_fault`` (logged and journalled with the error), and every
   request, bad ones included, is recorded in the :class:`~mockserver.journal.Journal`
   (:meth:`~mockserver.journal.Journal.record`: as it was on the wire, its entry made when read).
2. While handling, it fills in :func:`exchange` (operation, app key, waybill) so that the journal
   entry says what the request was about.
3. Before normal handling it calls :func:`consult` so that the app's
   :class:`~mockserver.deciders.Decider` can override the answer. Delays and broken answers
   (:class:`~mockserver.deciders.Breakage`) are applied here, for every carrier, without carrier
   code: ``consult`` waits through the services' ``sleep`` and the journal hook breaks the answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Callable, Optional

from attrs import define, field
from flask import Blueprint, Request, Response
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from mockserver.carriers.breakage import break_answer
from mockserver.carriers.codec import json_response
from mockserver.carriers.fields import FieldProblem
from mockserver.deciders import Breakage, Decision, DecisionRequest, Operation, RawResponse
from mockserver.journal import environ_headers
from mockserver.services import Services, get_services

__all__ = [
    "CarrierFault",
    "Exchange",
    "WireHeaders",
    "consult",
    "exchange",
    "install",
    "raw_response",
    "transformed",
]

log = logging.getLogger("mockserver.carriers")


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


@define
class Exchange:
    """What the current carrier request is about, filled in by the blueprint as it learns it.

    It also carries the request and the app's services, so that the code handling one request
    looks them up once (through Flask's context locals) rather than at every step.
    """

    carrier: str
    request: Request = field(repr=False, eq=False)
    hub: Services = field(repr=False, eq=False)
    operation: Operation = Operation.UNKNOWN
    app_key: Optional[str] = None
    waybill: Optional[str] = None
    decided_by: str = "default"
    error: Optional[str] = None
    secret: Optional[str] = field(default=None, repr=False)  # masked out of the journal
    breakage: Optional[Breakage] = None
    content_type: Optional[str] = None
    _times: dict[Optional[str], datetime] = field(factory=dict, init=False, repr=False, eq=False)
    _entries: Optional[tuple[tuple[str, str], ...]] = field(default=None, init=False, repr=False, eq=False)
    _headers: Optional[Mapping[str, str]] = field(default=None, init=False, repr=False, eq=False)
    _path: Optional[str] = field(default=None, init=False, repr=False, eq=False)
    _body: Optional[bytes] = field(default=None, init=False, repr=False, eq=False)

    def body(self) -> bytes:
        """The request's raw body (``request.get_data(cache=True)``), read once.

        Raises:
            RequestEntityTooLarge: the body is over ``MAX_CONTENT_LENGTH``.
        """
        if self._body is None:
            self._body = self.request.get_data(cache=True)
        return self._body

    def now(self, app_key: Optional[str]) -> datetime:
        """The time on the clock of the calling account (the server's for an unknown caller).

        Looked up once per request and account: the decision and the journal entry of one
        request tell the same time, and the store is not asked twice.
        """
        found = self._times.get(app_key)
        if found is None:
            hub = self.hub
            account = hub.store.get_account(self.carrier, app_key) if app_key else None
            found = self._times[app_key] = account.time_at(hub.clock.now()) if account else hub.clock.now()
        return found

    def header_entries(self) -> tuple[tuple[str, str], ...]:
        """The WSGI environ's header entries (``HTTP_*``, ``CONTENT_TYPE``, ``CONTENT_LENGTH``).

        A copy taken once per request: it can outlive the request (in the journal, in what a
        Decider kept) without keeping the request and its body alive.
        """
        if self._entries is None:
            environ = self.request.environ
            self._entries = tuple([(k, environ[k]) for k in _header_keys(tuple(environ))])
        return self._entries

    def headers(self) -> Mapping[str, str]:
        """The request's headers (see :class:`WireHeaders`), taken once per request."""
        if self._headers is None:
            self._headers = WireHeaders(self.header_entries())
        return self._headers

    def path(self) -> str:
        """The request's path with its query string, if any."""
        if self._path is None:
            self._path = self.request.full_path.rstrip("?")
        return self._path


class WireHeaders(Mapping[str, str]):
    """A request's headers as a read-only mapping (Werkzeug's names), worked out on first read.

    Made from the environ's header entries (:meth:`Exchange.header_entries`); what it answers is
    what ``request.headers`` said.
    """

    __slots__ = ("_entries", "_found")

    def __init__(self, entries: tuple[tuple[str, str], ...]) -> None:
        self._entries = entries
        self._found: Optional[dict[str, str]] = None

    def _items(self) -> dict[str, str]:
        if self._found is None:
            self._found = environ_headers(self._entries)
        return self._found

    def __getitem__(self, name: str) -> str:
        return self._items()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items())

    def __len__(self) -> int:
        return len(self._items())

    def __repr__(self) -> str:
        return repr(self._items())


#: The environ keys, besides ``HTTP_*``, that Werkzeug reads headers from.
_CONTENT_KEYS = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})
#: The header keys among an environ's keys, by those keys in order: one server sends the same
#: few layouts again and again (a bounded map, forgotten when full).
_HEADER_KEYS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _header_keys(keys: tuple[str, ...]) -> tuple[str, ...]:
    found = _HEADER_KEYS.get(keys)
    if found is None:
        found = tuple(k for k in keys if k[:5] == "HTTP_" or k in _CONTENT_KEYS)
        if len(_HEADER_KEYS) >= 256:
            _HEADER_KEYS.clear()
        _HEADER_KEYS[keys] = found
    return found


#: Where a request's :class:`Exchange` is kept until the journal hook: its WSGI environ, which is
#: the request's own (``flask.g`` lives as long as the app context, which may span several requests).
_ENVIRON_KEY = "mockserver.exchange"


def exchange() -> Exchange:
    """The :class:`Exchange` of the current request (created on first use)."""
    current_request = request_ctx.request
    environ = current_request.environ
    current: Optional[Exchange] = environ.get(_ENVIRON_KEY)
    if current is None:
        current = environ[_ENVIRON_KEY] = Exchange(
            carrier=current_request.blueprint or "unknown", request=current_request, hub=get_services()
        )
    return current


def consult(
    operation: Operation, *, app_key: Optional[str], waybill: Optional[str], note: Optional[Exchange] = None
) -> Optional[Decision]:
    """Ask the app's Decider about the current request; record who decided in the journal.

    ``note`` is the request's :class:`Exchange` when the caller has it at hand.
    """
    note = note if note is not None else exchange()
    hub = note.hub
    current_request = note.request
    raw = note.body()
    decision = hub.decider.decide(
        DecisionRequest(
            carrier=note.carrier,
            operation=operation,
            app_key=app_key,
            waybill=waybill,
            now=note.now(app_key),
            body=raw.decode("utf-8", errors="replace"),
            method=current_request.method,
            path=note.path(),
            headers=note.headers(),
            raw_body=raw,
            secret=note.secret,
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
    """The exact answer a Decider asked for (step 1 of :class:`~mockserver.deciders.Decision`)."""
    response = Response(answer.body, status=answer.status, content_type=answer.content_type)
    for name, value in answer.headers.items():
        response.headers[name] = value
    return response


def _broken(response: Response, note: Exchange) -> Response:
    """Damage the final answer as the decision asked (step 6 of :class:`Decision`)."""
    if note.breakage is None:
        return response
    damaged, note.error = break_answer(response, note.breakage.value, note.content_type)
    return damaged


def _journal(response: Response) -> Response:
    note = exchange()
    current_request = note.request
    hub = note.hub
    response = _broken(response, note)
    try:
        body = note.body()
    except RequestEntityTooLarge:  # over MAX_CONTENT_LENGTH: never read, still journalled
        body = b""
    hub.journal.record(
        time=note.now(note.app_key),
        carrier=note.carrier,
        operation=note.operation.value,
        account=note.app_key,
        waybill=note.waybill,
        method=current_request.method,
        path=note.path(),
        header_entries=note.header_entries(),
        request_body=body,
        response_status=response.status_code,
        response_body=b"" if response.direct_passthrough else response.get_data(),
        decided_by=note.decided_by,
        error=note.error,
        secret=note.secret,
        limit=int(hub.config.get("JOURNAL_BODY_LIMIT", 65536)),
    )
    # The exchange is journalled: let go of it, so that the environ and the request it refers to
    # make no reference cycle (which only the garbage collector would free).
    current_request.environ.pop(_ENVIRON_KEY, None)
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
            :mod:`mockserver.carriers.fields`).
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

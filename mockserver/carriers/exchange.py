"""One carrier request on its way through a blueprint: the exchange, the Decider hook and the journal.

A carrier blueprint (see :mod:`mockserver.carriers.zto.blueprint`) does three things with this
module, through its :class:`~mockserver.carriers.dialect.Dialect`:

1. :func:`install` registers the blueprint's error handlers and its journal hook: a
   :class:`CarrierFault` is rendered by the blueprint's own ``render_fault`` (its envelope), any
   other exception becomes its ``system_fault`` (logged and journalled with the error), and every
   request, bad ones included, is appended to the :class:`~mockserver.journal.Journal`.
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
from datetime import datetime
from typing import Any, Callable, Optional

from attrs import define, field
from flask import Blueprint, Response, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from mockserver.carriers.breakage import break_answer
from mockserver.carriers.codec import json_response
from mockserver.carriers.fields import FieldProblem
from mockserver.deciders import Breakage, Decision, DecisionRequest, Operation, RawResponse
from mockserver.journal import JournalEntry
from mockserver.services import Services, get_services

__all__ = ["CarrierFault", "Exchange", "consult", "exchange", "install", "raw_response", "transformed"]

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
    hub = get_services()
    raw = request.get_data(cache=True)
    decision = hub.decider.decide(
        DecisionRequest(
            carrier=note.carrier,
            operation=operation,
            app_key=app_key,
            waybill=waybill,
            now=_now(hub, note.carrier, app_key),
            body=raw.decode("utf-8", errors="replace"),
            method=request.method,
            path=request.full_path.rstrip("?"),
            headers=_headers(),
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


def _now(hub: Services, carrier: str, app_key: Optional[str]) -> datetime:
    """The time on the clock of the calling account (the server's for an unknown caller).

    Looked up once per request and account: the decision and the journal entry of one
    request tell the same time, and the store is not asked twice.
    """
    cache: dict[tuple[str, Optional[str]], datetime] = g.setdefault("mockserver_now", {})
    found = cache.get((carrier, app_key))
    if found is None:
        account = hub.store.get_account(carrier, app_key) if app_key else None
        found = account.time_at(hub.clock.now()) if account else hub.clock.now()
        cache[(carrier, app_key)] = found
    return found


def _headers() -> dict[str, str]:
    """The request's headers as a plain dict, built once per request."""
    found: Optional[dict[str, str]] = g.get("mockserver_headers")
    if found is None:
        found = g.mockserver_headers = dict(request.headers.items())
    return found


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
    hub = get_services()
    response = _broken(response, note)
    limit = int(hub.config.get("JOURNAL_BODY_LIMIT", 65536))
    try:
        body = request.get_data(cache=True).decode("utf-8", errors="replace")
    except RequestEntityTooLarge:  # over MAX_CONTENT_LENGTH: never read, still journalled
        body = ""
    answer = response.get_data().decode("utf-8", errors="replace") if not response.direct_passthrough else ""
    hub.journal.append(
        JournalEntry(
            time=_now(hub, note.carrier, note.app_key),
            carrier=note.carrier,
            operation=note.operation.value,
            account=note.app_key,
            waybill=note.waybill,
            method=request.method,
            path=request.full_path.rstrip("?"),
            request_headers=(
                {k: _masked(v, note.secret) for k, v in _headers().items()} if note.secret else _headers()
            ),
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

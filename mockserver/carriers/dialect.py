"""What every carrier blueprint does the same way, parameterised by the carrier's code book.

Each carrier module declares one :class:`Dialect`: its refusal codes (``FAIL_CODES``), its codes
for the Decider's neutral faults (``FAULT_CODES``), how it renders a fault in its envelope and how
it words a bad request field. The dialect then supplies the shared plumbing:

* :func:`fault` builds a :class:`CarrierFault`; :meth:`Dialect.refusal`, :meth:`Dialect.reject`
  and :meth:`Dialect.decided` build the carrier's refusal and Decider-fault answers;
* :meth:`Dialect.render` answers a fault's literal ``body`` when it has one
  (:func:`literal_fault_response`), else the carrier's envelope;
* :meth:`Dialect.answer` is the tail of every gateway view: consult the Decider, apply its raw
  response or fault, run the handler and apply the transform (steps 1-5 of :class:`Decision`);
* :meth:`Dialect.install` registers the blueprint's error handlers and journal hook.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Optional

from attrs import frozen
from flask import Blueprint, Response

from mockserver.carriers.codec import compact_json
from mockserver.carriers.exchange import (
    CarrierFault,
    Exchange,
    consult,
    exchange,
    install,
    raw_response,
    transformed,
)
from mockserver.carriers.fields import FieldProblem
from mockserver.deciders import Decision, Fault, Operation
from mockserver.world import FailReason

__all__ = ["Dialect", "fault", "literal_fault_response"]


def fault(code: str, message: str) -> CarrierFault:
    """A :class:`CarrierFault` answering ``code`` and ``message`` in the carrier's envelope."""
    return CarrierFault(code=code, message=message)


def literal_fault_response(
    problem: CarrierFault, dumps: Callable[[Any], str] = compact_json
) -> Optional[Response]:
    """The answer for a fault carrying a complete ``body`` (sent as is, or ``dumps``-ed), else ``None``."""
    if problem.body is None:
        return None
    body = problem.body if isinstance(problem.body, str) else dumps(problem.body)
    return Response(body, status=problem.http_status, content_type="application/json; charset=utf-8")


@frozen(kw_only=True)
class Dialect:
    """A carrier's code book and envelope, and the request plumbing built on them.

    Args:
        fail_codes: ``FailReason`` -> ``(code, message)`` of the carrier's intercept refusals.
        fault_codes: ``Fault`` -> ``(code, message)`` for Decider faults; a ``{field}`` in the
            message is filled in with the field name.
        render_envelope: renders a fault (without a literal ``body``) in the carrier's envelope.
        field_code: the carrier's code for a bad request field (:meth:`field_fault`).
        bad_body: its message for a body (or payload) that is not a JSON object.
        literal_json: how a non-string literal ``body`` is serialised.
    """

    fail_codes: Mapping[FailReason, tuple[str, str]]
    fault_codes: Mapping[Fault, tuple[str, str]]
    render_envelope: Callable[[CarrierFault], Response]
    field_code: str
    bad_body: str
    literal_json: Callable[[Any], str] = compact_json

    def render(self, problem: CarrierFault) -> Response:
        """A fault's answer: its literal ``body`` if it has one, else the carrier's envelope."""
        literal = literal_fault_response(problem, self.literal_json)
        return literal if literal is not None else self.render_envelope(problem)

    def field_fault(self, problem: FieldProblem) -> CarrierFault:
        """The carrier's fault for a bad field: ``bad_body``, ``<field>格式错误`` or ``<field>不能为空``."""
        if problem.problem == "json":
            return fault(self.field_code, self.bad_body)
        if problem.problem == "type":
            return fault(self.field_code, f"{problem.field}格式错误")
        return fault(self.field_code, f"{problem.field}不能为空")

    def system(self) -> CarrierFault:
        """The carrier's answer to an unexpected exception (its code for ``SYSTEM_ERROR``)."""
        return fault(*self.fault_codes[Fault.SYSTEM_ERROR])

    def refusal(
        self,
        reason: Optional[FailReason],
        *,
        default: FailReason = FailReason.OTHER,
        message: Optional[str] = None,
    ) -> CarrierFault:
        """The carrier's refusal for ``reason`` (``default`` when ``None``), worded ``message`` if given."""
        code, text = self.fail_codes[reason or default]
        return fault(code, message or text)

    def reject(self, decision: Optional[Decision]) -> None:
        """Raise the carrier's refusal when the Decider says to reject (step 3 of :class:`Decision`)."""
        if decision is not None and decision.reject is not None:
            raise self.refusal(decision.reject, message=decision.message)

    def decided(self, decision: Decision, *, default_field: str) -> CarrierFault:
        """The carrier's answer to ``decision.fault``; ``{field}`` defaults to ``default_field``."""
        code, message = self.fault_codes[decision.fault or Fault.SYSTEM_ERROR]
        return fault(code, decision.message or message.format(field=decision.field_name or default_field))

    def answer(
        self,
        operation: Operation,
        *,
        app_key: str,
        waybill: Optional[str],
        default_field: str,
        handler: Callable[[Optional[Decision]], Response],
        note: Optional[Exchange] = None,
    ) -> Response:
        """Consult the Decider, then answer as it says or with ``handler`` (steps 1-5 of :class:`Decision`).

        ``note`` is the request's :class:`~mockserver.carriers.exchange.Exchange`, if at hand.

        A fault (or bad field) raised by ``handler`` propagates to the blueprint's error handlers,
        except under a ``transform``: then it is rendered here so the transform still applies.
        """
        decision = consult(operation, app_key=app_key, waybill=waybill, note=note)
        if decision is not None and decision.response is not None:
            return raw_response(decision.response)
        if decision is not None and decision.fault is not None:
            raise self.decided(decision, default_field=default_field)
        try:
            answer = handler(decision)
        except (CarrierFault, FieldProblem) as problem:
            if decision is None or decision.transform is None:
                raise
            refused = problem if isinstance(problem, CarrierFault) else self.field_fault(problem)
            exchange().error = f"{refused.code}: {refused.message}"
            answer = self.render(refused)
        return transformed(answer, decision)

    def install(self, bp: Blueprint) -> None:
        """Give ``bp`` the carrier's error handlers and the journal hook (see :func:`install`)."""
        install(bp, render_fault=self.render, system_fault=self.system, field_fault=self.field_fault)

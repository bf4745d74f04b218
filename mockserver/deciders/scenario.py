"""The default Decider: the scenario engine's outcomes as the carrier blueprints' :class:`Decision`.

The engine (:mod:`mockserver.scenarios`) only decides *which* stub fires; this module says what
that means on the wire, in carrier-neutral terms the blueprints already understand:

=================================  ==========================================================
outcome                            decision
=================================  ==========================================================
intercept ``succeed``              accepted, resolves to SUCCEEDED at once (the mock clock)
intercept ``fail`` + reason        ``reject`` with the carrier's code for the reason
intercept ``pending`` (+ ``then``) accepted, stays pending for good (or resolves after
                                   ``delay_seconds`` of mock time to ``then``)
track mutations                    ``transform`` rewriting the carrier's JSON answer
carrier_error                      ``fault`` (the carrier's own code, HTTP 200)
http_fault ``status``              a raw 4xx/5xx answer (an HTML gateway page, ``Retry-After``)
http_fault ``slow``                wait ``delay_seconds`` (``services.sleep``), then answer
http_fault ``connection_reset``,   ``breakage`` of the carrier's real answer (see
``truncated_body``,                :class:`~mockserver.deciders.Breakage`)
``malformed_json``,
``wrong_content_type``
response                           exactly that status, headers and body
=================================  ==========================================================

Track mutations work on the JSON shape, not on a carrier's format: a *record* is a JSON object
inside an array anywhere in the answer, and a *scan list* is an array of records none of which
holds a further array of records (the innermost lists: ZTO ``result``, YTO's bare array, STO's
per-waybill lists, J&T ``details``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from typing import Any, Callable, Optional

from mockserver.deciders import (
    Breakage,
    Decision,
    DecisionRequest,
    Fault,
    Operation,
    RawResponse,
)
from mockserver.scenarios import (
    CarrierErrorOutcome,
    HttpFaultOutcome,
    InterceptOutcome,
    Outcome,
    ResponseOutcome,
    ScenarioEngine,
    ScenarioRequest,
    TrackOutcome,
    Verdict,
)
from mockserver.world import FailReason, InterceptPlan, InterceptStatus

__all__ = [
    "SCAN_CODE_FIELDS",
    "UNKNOWN_SCAN_CODE",
    "ScenarioDecider",
    "decision_for",
    "scan_lists",
    "track_transform",
]

#: What an ``unknown_scan_codes`` mutation writes into every scan-code field.
UNKNOWN_SCAN_CODE = "X99"

#: Keys holding a scan's code in the carriers' track answers (ZTO/STO/J&T ``scanType``, J&T
#: ``scanTypeCode``/``scanTypeName``, YTO ``infoContent``).
SCAN_CODE_FIELDS: tuple[str, ...] = ("scanType", "scanTypeCode", "scanTypeName", "infoContent")

_FAULTS = {
    "bad_signature": Fault.BAD_SIGNATURE,
    "rate_limited": Fault.RATE_LIMITED,
    "unavailable": Fault.UNAVAILABLE,
    "missing_field": Fault.MISSING_FIELD,
    "not_found": Fault.NOT_FOUND,
}

#: How many of the engine's requests :class:`ScenarioDecider` keeps for reuse.
_QUESTIONS = 1024

_STATUS_TEXT = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}


def _gateway_page(status: int) -> str:
    # What an nginx in front of a carrier API answers: an HTML page, not the carrier's JSON.
    title = f"{status} {_STATUS_TEXT.get(status, 'Error')}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1>"
        "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )


# -- track mutations ---------------------------------------------------------------------------


def _is_record_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _walk(value: Any) -> Iterator[Any]:
    yield value
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        yield from _walk(child)


def _holds_records(value: Any) -> bool:
    return any(_is_record_list(node) for node in _walk(value))


def scan_lists(payload: Any) -> list[list[Any]]:
    """The innermost non-empty arrays of records in ``payload`` (the scan lists), in document order."""
    return [
        node
        for node in _walk(payload)
        if _is_record_list(node) and not any(_holds_records(record) for record in node)
    ]


def _records(payload: Any) -> list[dict[str, Any]]:
    return [item for node in _walk(payload) if _is_record_list(node) for item in node]


def _parent(record: dict[str, Any], dotted: str) -> tuple[Optional[dict[str, Any]], str]:
    *path, last = dotted.split(".")
    target: Any = record
    for part in path:
        target = target.get(part) if isinstance(target, dict) else None
    return (target if isinstance(target, dict) else None), last


def _drop_fields(payload: Any, fields: Sequence[str]) -> None:
    for record in _records(payload):
        for name in fields:
            parent, key = _parent(record, name)
            if parent is not None:
                parent.pop(key, None)


def _null_fields(payload: Any, fields: Sequence[str]) -> None:
    for record in _records(payload):
        for name in fields:
            parent, key = _parent(record, name)
            if parent is not None and key in parent:
                parent[key] = None


def _unknown_codes(payload: Any, keys: Sequence[str]) -> None:
    for scans in scan_lists(payload):
        for scan in scans:
            for key in keys:
                if key in scan:
                    scan[key] = UNKNOWN_SCAN_CODE


def _edit_lists(payload: Any, edit: Callable[[list[Any]], list[Any]]) -> None:
    for scans in scan_lists(payload):
        scans[:] = edit(list(scans))


def track_transform(outcome: TrackOutcome) -> Callable[[Any], Any]:
    """A function that applies ``outcome``'s mutation to a carrier's JSON track answer.

    Args:
        outcome: the track outcome (mutation and, for missing/null fields, dotted wire keys);
            ``unknown_scan_codes`` replaces the values of :data:`SCAN_CODE_FIELDS` with ``X99``.

    Returns:
        A function taking the decoded JSON answer and returning the changed copy.
    """

    def transform(payload: Any) -> Any:
        changed = copy.deepcopy(payload)
        mutation = outcome.mutation
        if mutation == "missing_fields":
            _drop_fields(changed, outcome.fields)
        elif mutation == "null_values":
            _null_fields(changed, outcome.fields)
        elif mutation == "empty_trace":
            _edit_lists(changed, lambda scans: [])
        elif mutation == "unknown_scan_codes":
            _unknown_codes(changed, SCAN_CODE_FIELDS)
        elif mutation == "out_of_order":
            _edit_lists(changed, lambda scans: scans[::-1])
        else:  # duplicate_scans: every scan twice, side by side
            _edit_lists(changed, lambda scans: [copy.deepcopy(s) for s in scans for _ in (0, 1)])
        return changed

    return transform


# -- outcome -> decision -----------------------------------------------------------------------


def _intercept_decision(name: str, outcome: InterceptOutcome) -> Decision:
    if outcome.result == "fail":
        return Decision(
            name=name, reject=FailReason[(outcome.reason or "other").upper()], message=outcome.message
        )
    if outcome.result == "succeed":
        plan = InterceptPlan(result=InterceptStatus.SUCCEEDED, delay_seconds=0.0)
    elif outcome.then is None:
        plan = InterceptPlan(result=InterceptStatus.SUCCEEDED, delay_seconds=None)
    else:
        final = InterceptStatus.SUCCEEDED if outcome.then == "succeed" else InterceptStatus.FAILED
        reason = FailReason[outcome.reason.upper()] if outcome.reason else None
        plan = InterceptPlan(result=final, reason=reason, delay_seconds=outcome.delay_seconds)
    return Decision(name=name, intercept=plan, message=outcome.message)


def _http_fault_decision(name: str, outcome: HttpFaultOutcome) -> Decision:
    if outcome.kind == "status":
        status = outcome.status or 500
        headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after is not None else {}
        return Decision(
            name=name,
            response=RawResponse(
                status=status, body=_gateway_page(status), content_type="text/html", headers=headers
            ),
        )
    if outcome.kind == "slow":
        return Decision(name=name, delay_seconds=outcome.delay_seconds)
    return Decision(name=name, breakage=Breakage(outcome.kind), content_type=outcome.content_type)


def decision_for(outcome: Outcome, name: str) -> Optional[Decision]:
    """The blueprint :class:`Decision` for one engine outcome (``None`` for push outcomes).

    Args:
        outcome: what the stub answers with.
        name: recorded as the journal's ``decided_by``.
    """
    if isinstance(outcome, InterceptOutcome):
        return _intercept_decision(name, outcome)
    if isinstance(outcome, TrackOutcome):
        return Decision(name=name, transform=track_transform(outcome))
    if isinstance(outcome, CarrierErrorOutcome):
        return Decision(
            name=name, fault=_FAULTS[outcome.kind], field_name=outcome.field_name, message=outcome.message
        )
    if isinstance(outcome, HttpFaultOutcome):
        return _http_fault_decision(name, outcome)
    if isinstance(outcome, ResponseOutcome):
        return Decision(
            name=name,
            response=RawResponse(
                status=outcome.status,
                body=outcome.text,
                content_type=outcome.content_type,
                headers=outcome.extra_headers(),
            ),
        )
    return None


def scenario_request(request: DecisionRequest) -> Optional[ScenarioRequest]:
    """The engine's view of a carrier request (``None`` for an unknown operation)."""
    if request.operation is Operation.UNKNOWN:
        return None
    return ScenarioRequest(
        carrier=request.carrier,
        operation=request.operation.value,
        waybill=request.waybill,
        account=request.app_key,
    )


class ScenarioDecider:
    """The :class:`~mockserver.deciders.Decider` backed by a :class:`ScenarioEngine`.

    The journal's ``decided_by`` is the id of the stub that fired.

    Args:
        engine: the app's scenario engine (``services.scenarios``).
    """

    def __init__(self, engine: ScenarioEngine) -> None:
        self.engine = engine
        # The engine's view of a request depends on these four values alone and is frozen, so
        # one made before serves again (a bounded map, forgotten when full).
        self._questions: dict[tuple[str, Operation, Optional[str], Optional[str]], ScenarioRequest] = {}

    def decide(self, request: DecisionRequest) -> Optional[Decision]:
        """Ask the engine; translate the outcome of the stub that fires, if any."""
        key = (request.carrier, request.operation, request.waybill, request.app_key)
        question = self._questions.get(key)
        if question is None:
            question = scenario_request(request)
            if question is None:
                return None
            if len(self._questions) >= _QUESTIONS:
                self._questions.clear()
            self._questions[key] = question
        fired: Optional[Verdict] = self.engine.decide(question)
        if fired is None:
            return None
        return decision_for(fired.outcome, fired.stub_id)

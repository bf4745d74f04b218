"""J&T wire format: the ``{code,msg,data}`` envelope, trace details, intercept answers and pushes."""

from __future__ import annotations

from typing import Any, List, Mapping, Optional, Sequence, Tuple

from ...errors import CarrierError, ResponseFormatError
from ...models import (
    InterceptFailure,
    InterceptResult,
    InterceptStatus,
    PushEvent,
    PushKind,
    TrackingEvent,
    TrackingStatus,
    TrackingSubStatus,
)
from ...transport import HttpResponse
from .._codec import by_time, parse_china_time
from .._envelope import EnvelopeFormat, envelope_error, load_json, require
from .._push import dedupe_key
from . import codes

CARRIER = "jt"

# J4 (Malaysia) adds scanTypeCode / scanTypeName beside scanType; any of them may name the node.
_SCAN_TYPE_FIELDS = ("scanType", "scanTypeCode", "scanTypeName")


def envelope(response: HttpResponse) -> Mapping[str, Any]:
    """The decoded envelope ``{code, msg, data, requestId}``."""
    data = load_json(CARRIER, response)
    if not isinstance(data, (dict, Mapping)) or data.get("code") is None:
        raise ResponseFormatError(
            carrier=CARRIER,
            code="BAD_SHAPE",
            message="answer is not a J&T envelope (no `code`)",
            http_status=response.status,
            raw=data if isinstance(data, (dict, Mapping)) else None,
        )
    return data


def code_of(env: Mapping[str, Any]) -> str:
    """The envelope's ``code`` as a string (a number is tolerated)."""
    return str(env.get("code")).strip()


def is_success(env: Mapping[str, Any]) -> bool:
    """Success is ``code == "1"``; any other code is a failure."""
    return code_of(env) == codes.SUCCESS_CODE


def message_of(env: Mapping[str, Any]) -> str:
    """The envelope's ``msg``."""
    return str(env.get("msg") or "")


def error_from(env: Mapping[str, Any], response: HttpResponse) -> CarrierError:
    """The typed error for a failed envelope."""
    code = code_of(env) or "UNKNOWN"
    return envelope_error(
        CARRIER,
        code=code,
        message=message_of(env) or codes.ENVELOPE_CODES.get(code, ""),
        auth_codes=codes.AUTH_CODES,
        rate_codes=codes.RATE_LIMIT_CODES,
        server_codes=codes.SERVER_CODES,
        not_found_codes=codes.NOT_FOUND_CODES,
        http_status=response.status,
        request_id=str(env.get("requestId") or "") or None,
        raw=dict(env),
    )


ENVELOPE = EnvelopeFormat(
    decode=envelope, is_success=is_success, code_of=code_of, message_of=message_of, error_from=error_from
)


def is_intercept_refusal(code: str) -> bool:
    """Whether an envelope code is an intercept refusal (173xxx) rather than a platform error."""
    return code in codes.INTERCEPT_FAILURES or (
        code.startswith(codes.INTERCEPT_FAILURE_PREFIX) and len(code) == 6 and code.isdigit()
    )


def intercept_failure(code: str) -> InterceptFailure:
    """The normalised failure of a 173xxx code; an unknown one is CARRIER_REJECTED_OTHER."""
    return codes.INTERCEPT_FAILURES.get(code, InterceptFailure.CARRIER_REJECTED_OTHER)


# -- scans -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def node_of(value: str) -> Optional[str]:
    """The node number (``"1"``–``"14"``) a scan type names, by number or Chinese name."""
    if value in codes.NODE_STATUSES:
        return value
    return codes.NODE_NAMES.get(value)


def _scan_type(detail: Mapping[str, Any], where: str) -> Tuple[str, Optional[str]]:
    """The raw scan type as sent, and the node it resolves to (None when unrecognised)."""
    first: Optional[str] = None
    node: Optional[str] = None
    for key in _SCAN_TYPE_FIELDS:
        value = _text(detail.get(key))
        if value:
            if first is None:
                first = value
            node = node_of(value)
            if node is not None:
                break
    if first is None:
        raise ResponseFormatError(
            carrier=CARRIER, code="MISSING_FIELD", message=f"{where}.scanType is missing", raw=detail
        )
    return first, node


def classify_scan(node: Optional[str], problem: str) -> Tuple[TrackingStatus, TrackingSubStatus]:
    """Status of a scan node; the problem scan is refined by its ``problemType``.

    A problem scan with an unknown or empty problem type stays EXCEPTION/EXCEPTION_OTHER: the
    node itself is known to be a problem.
    """
    if node is None:
        return (TrackingStatus.UNKNOWN, TrackingSubStatus.UNRECOGNISED)
    if node == codes.PROBLEM_NODE and problem:
        # upper() leaves the Chinese names as they are and tolerates a lower-case "a14"
        return codes.PROBLEM_TYPES.get(problem.upper(), codes.NODE_STATUSES[node])
    return codes.NODE_STATUSES[node]


def detail_from_wire(detail: Any, where: str) -> Tuple[TrackingEvent, Optional[str]]:
    """One ``details[]`` entry as a TrackingEvent, with the node number it resolved to."""
    if not isinstance(detail, (dict, Mapping)):
        raise ResponseFormatError(carrier=CARRIER, code="BAD_SHAPE", message=f"{where} should be an object")
    raw_code, node = _scan_type(detail, where)
    when = parse_china_time(
        CARRIER, require(CARRIER, detail, "scanTime", where=where), where=f"{where}.scanTime"
    )
    problem = _text(detail.get("problemType"))
    status, sub = classify_scan(node, problem)
    event = TrackingEvent._trusted(
        when,
        status,
        sub,
        raw_code,
        _text(detail.get("desc")),
        _text(detail.get("scanNetworkName")),
        _text(detail.get("scanNetworkProvince")),
        _text(detail.get("scanNetworkCity")),
        _text(detail.get("staffName")),
        "",
        problem,
        detail,
    )
    return event, node


def _details(entry: Mapping[str, Any], where: str) -> Sequence[Any]:
    details = entry.get("details")
    if details is None:
        return ()
    if not isinstance(details, list):
        raise ResponseFormatError(
            carrier=CARRIER, code="BAD_SHAPE", message=f"{where}.details should be a list"
        )
    return details


def trace_entries(data: Any, where: str) -> List[Tuple[str, Mapping[str, Any], str]]:
    """The ``[{billCode, details}]`` list as (waybill, entry, path) triples."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise ResponseFormatError(
            carrier=CARRIER, code="BAD_SHAPE", message=f"{where} should be a list of waybills"
        )
    out = []
    for i, entry in enumerate(data):
        path = f"{where}[{i}]"
        waybill = _text(require(CARRIER, entry, "billCode", where=path)).upper()
        out.append((waybill, entry, path))
    return out


def track_events(waybill: str, data: Any) -> List[TrackingEvent]:
    """The events of ``waybill`` in a track answer's ``data``, oldest first."""
    events: List[TrackingEvent] = []
    for bill, entry, path in trace_entries(data, "data"):
        if bill != waybill.strip().upper():
            continue
        for j, detail in enumerate(_details(entry, path)):
            events.append(detail_from_wire(detail, f"{path}.details[{j}]")[0])
    events.sort(key=by_time)  # stable: equal times keep the carrier's order
    return events


# -- pushes ------------------------------------------------------------------------------------


def is_one_trace(data: Any) -> bool:
    """Whether ``bizContent`` is one waybill's trace object ``{billCode, details, txlogisticId}``.

    J&T's statusFeedback page (copied in ``MasyukAI/KakKay``, ``packages/masyukai/jnt/docs``)
    describes the business parameter as that one object, while its request example and the
    Malaysia tenant's pushes batch an array of them; both are read.
    """
    return (
        isinstance(data, (dict, Mapping))
        and "billCode" in data
        and str(data.get("type") or "").upper() != codes.PUSH_TYPE_INTERCEPT
    )


def trace_push_events(data: Any) -> Tuple[PushEvent, ...]:
    """A trace push: one PushEvent per detail of every waybill.

    ``data`` is the batched JSON array ``[{billCode, details}, …]`` or one such object.
    """
    events: List[PushEvent] = []
    if is_one_trace(data):
        entries = [
            (_text(require(CARRIER, data, "billCode", where="bizContent")).upper(), data, "bizContent")
        ]
    else:
        entries = trace_entries(data, "bizContent")
    for bill, entry, path in entries:
        for j, detail in enumerate(_details(entry, path)):
            event, node = detail_from_wire(detail, f"{path}.details[{j}]")
            assert isinstance(detail, (dict, Mapping))
            key = dedupe_key(
                CARRIER,
                bill,
                "trace",
                node or event.raw_code,
                _text(detail.get("scanTime")),
                event.location,
                event.problem_code,
            )
            events.append(
                PushEvent(
                    carrier=CARRIER,
                    kind=PushKind.TRACKING,
                    waybill=bill,
                    dedupe_key=key,
                    tracking=event,
                    raw=detail,
                )
            )
    return tuple(events)


def intercept_state(raw_status: str, where: str, raw: Any) -> InterceptStatus:
    """The normalised state of an intercept ``status`` (unknown values are a format error)."""
    state = codes.INTERCEPT_STATES.get(raw_status.upper())
    if state is None:
        raise ResponseFormatError(
            carrier=CARRIER,
            code="BAD_STATUS",
            message=f"{where}.status {raw_status!r} is not a known intercept state",
            raw=raw,
        )
    return state


def intercept_push_event(data: Mapping[str, Any]) -> PushEvent:
    """An intercept-result push ``{"type": "INTERCEPT", mailNo, interceptId, status, …}``."""
    where = "bizContent"
    waybill = _text(require(CARRIER, data, "mailNo", where=where))
    intercept_id = _text(require(CARRIER, data, "interceptId", where=where))
    raw_status = _text(require(CARRIER, data, "status", where=where))
    state = intercept_state(raw_status, where, data)
    fail_code = _text(data.get("failCode"))
    updated = data.get("updateTime")
    result = InterceptResult(
        carrier=CARRIER,
        waybill=waybill,
        status=state,
        failure=intercept_failure(fail_code) if state is InterceptStatus.FAILED else None,
        raw_code=fail_code,
        raw_status=raw_status,
        message=_text(data.get("failReason")),
        carrier_reference=intercept_id,
        updated_at=(parse_china_time(CARRIER, updated, where=f"{where}.updateTime") if updated else None),
    )
    return PushEvent(
        carrier=CARRIER,
        kind=PushKind.INTERCEPT_RESULT,
        waybill=waybill,
        dedupe_key=dedupe_key(CARRIER, waybill, "intercept", intercept_id, raw_status.upper()),
        intercept=result,
        raw=data,
    )

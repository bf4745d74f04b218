"""ZTO wire format: the ZOP envelope, scan and push records, and their normalisation."""

from __future__ import annotations

from typing import Any, Mapping

from ...errors import CarrierError, PhoneVerificationRequired, ResponseFormatError
from ...models import (
    InterceptResult,
    PushEvent,
    PushKind,
    TrackingEvent,
)
from ...transport import HttpResponse
from .._codec import from_epoch_ms, parse_china_time
from .._envelope import EnvelopeFormat, envelope_error, load_json, require
from .._normalise import classify, intercept_outcome, refine_signed
from .._push import dedupe_key
from . import codes

CARRIER = "zto"


def envelope(response: HttpResponse) -> Mapping[str, Any]:
    """The decoded ZOP envelope ``{result, message, status, statusCode}``."""
    data = load_json(CARRIER, response)
    if not isinstance(data, (dict, Mapping)) or "status" not in data:
        raise ResponseFormatError(
            carrier=CARRIER,
            code="BAD_SHAPE",
            message="answer is not a ZOP envelope (no `status`)",
            http_status=response.status,
            raw=data if isinstance(data, (dict, Mapping)) else None,
        )
    return data


def is_success(env: Mapping[str, Any]) -> bool:
    """ZOP success: ``status`` is true (a string "true" is tolerated)."""
    status = env.get("status")
    return status is True or (isinstance(status, str) and status.lower() == "true")


def code_of(env: Mapping[str, Any]) -> str:
    """The envelope's ``statusCode`` as a string."""
    return str(env.get("statusCode") or "")


def message_of(env: Mapping[str, Any]) -> str:
    """The envelope's ``message``."""
    return str(env.get("message") or "")


def error_from(env: Mapping[str, Any], response: HttpResponse) -> CarrierError:
    """The typed error for a failed envelope; ``E413``/``E409`` ask for ``phone_tail``."""
    code = code_of(env) or "UNKNOWN"
    if code in codes.PHONE_CODES:
        return PhoneVerificationRequired(
            carrier=CARRIER, code=code, message=message_of(env), http_status=response.status, raw=dict(env)
        )
    return envelope_error(
        CARRIER,
        code=code,
        message=message_of(env),
        auth_codes=codes.AUTH_CODES,
        rate_codes=codes.RATE_LIMIT_CODES,
        server_codes=codes.SERVER_CODES,
        not_found_codes=codes.NOT_FOUND_CODES,
        http_status=response.status,
        raw=dict(env),
    )


ENVELOPE = EnvelopeFormat(
    decode=envelope, is_success=is_success, code_of=code_of, message_of=message_of, error_from=error_from
)


def _site(scan: Mapping[str, Any]) -> Mapping[str, Any]:
    site = scan.get("scanSite")
    return site if isinstance(site, (dict, Mapping)) else {}


def scan_from_wire(scan: Any, index: int) -> TrackingEvent:
    """One ``ScanTraceDTO`` of the track query as a TrackingEvent.

    A dozen of these make a track answer: only a signed-for scan pays for refining by signer.
    """
    where = f"result[{index}]"
    raw_code = str(require(CARRIER, scan, "scanType", where=where))
    when = from_epoch_ms(CARRIER, require(CARRIER, scan, "scanDate", where=where), where=where)
    site = scan.get("scanSite")
    if type(site) is not dict:
        site = _site(scan)
    signer = str(scan.get("signMan") or "")
    status = refine_signed(classify(codes.SCAN_TYPES, raw_code), signer, proxy_words=codes.PROXY_SIGNER_WORDS)
    return TrackingEvent._trusted(
        when,
        status[0],
        status[1],
        raw_code,
        str(scan.get("desc") or ""),
        str(site.get("name") or ""),
        str(site.get("prov") or ""),
        str(site.get("city") or ""),
        str(scan.get("operateUser") or ""),
        signer,
        "",
        scan,
    )


def push_trace_from_wire(data: Mapping[str, Any]) -> PushEvent:
    """A ``msg_type=Traces`` push's ``data`` object as a PushEvent."""
    action = str(require(CARRIER, data, "action", where="data"))
    waybill = str(require(CARRIER, data, "billCode", where="data"))
    when_text = require(CARRIER, data, "actionTime", where="data")
    when = parse_china_time(CARRIER, when_text, where="data.actionTime")
    signer = str(data.get("expressSigner") or "")
    status, sub = refine_signed(
        classify(codes.PUSH_ACTIONS, action), signer, proxy_words=codes.PROXY_SIGNER_WORDS
    )
    event = TrackingEvent(
        time=when,
        status=status,
        sub_status=sub,
        raw_code=action,
        description=str(data.get("desc") or ""),
        location=str(data.get("facilityName") or ""),
        city=str(data.get("city") or ""),
        operator=str(data.get("courier") or ""),
        signer=signer,
        problem_code=str(data.get("problemCode") or ""),
        raw=data,
    )
    return PushEvent(
        carrier=CARRIER,
        kind=PushKind.TRACKING,
        waybill=waybill,
        dedupe_key=dedupe_key(CARRIER, waybill, "trace", action, when_text, data.get("facilityCode") or ""),
        tracking=event,
        raw=data,
    )


def intercept_state_from_wire(waybill: str, result: Any, *, where: str) -> InterceptResult:
    """The ``queryInterceptAndReturnStatus`` result (also the InterceptResult push's data)."""
    raw_status = str(require(CARRIER, result, "status", where=where))
    fail_code = str(result.get("failCode") or "")
    state, failure = intercept_outcome(
        CARRIER,
        codes.INTERCEPT_STATES,
        codes.INTERCEPT_FAILURES,
        raw_status=raw_status,
        fail_code=fail_code,
        where=where,
        raw=result,
    )
    updated = result.get("updateTime")
    return InterceptResult(
        carrier=CARRIER,
        waybill=str(result.get("billCode") or waybill),
        status=state,
        failure=failure,
        raw_code=fail_code,
        raw_status=raw_status,
        message=str(result.get("failReason") or result.get("statusName") or ""),
        carrier_reference=str(result.get("serviceCode") or result.get("thirdBizNo") or ""),
        request_id=str(result.get("serviceCode") or result.get("thirdBizNo") or ""),
        updated_at=(parse_china_time(CARRIER, updated, where=f"{where}.updateTime") if updated else None),
    )

"""STO wire format: the LinkGateway envelope (JSON or XML), trace and push records, normalisation."""

from __future__ import annotations

import codecs
import xml.etree.ElementTree as ET
from typing import Any, Dict, List, Mapping, Optional

from ...errors import CarrierError, ResponseFormatError
from ...models import (
    InterceptResult,
    PushEvent,
    PushKind,
    TrackingEvent,
)
from ...transport import HttpResponse
from .._codec import json_loads, parse_china_time
from .._envelope import EnvelopeFormat, envelope_error, raise_for_http, require
from .._normalise import classify, intercept_outcome, refine_signed
from .._push import dedupe_key
from . import codes

CARRIER = "sto"

_XML_FIELDS = ("success", "errorCode", "errorMsg", "needRetry", "requestId", "expInfo", "data")
# A DOCTYPE is the only way to declare entities; refusing it shuts out entity-expansion bombs
# and external entities before the parser sees a byte.
_XML_FORBIDDEN = ("<!doctype", "<!entity")


def is_true(value: Any) -> bool:
    """STO booleans: ``true`` or the string ``"true"`` (any case)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _format_error(response: HttpResponse, message: str, raw: Any = None) -> ResponseFormatError:
    return ResponseFormatError(
        carrier=CARRIER,
        code="BAD_FORMAT",
        message=message,
        http_status=response.status,
        raw=raw,
        # A garbled 2xx answer is a carrier hiccup; the next attempt may parse.
        retryable=200 <= response.status < 300,
    )


def _from_xml(response: HttpResponse, text: str, *, strict: bool) -> Optional[Dict[str, Any]]:
    """The ``<response>`` error envelope as a mapping.

    ``strict`` (a 2xx answer): a body that is not a safe ``<response>`` document is a
    ResponseFormatError. Otherwise (an HTTP error page, often HTML) it is None, so that the
    HTTP status decides the error.
    """
    lowered = text.lower()
    if any(marker in lowered for marker in _XML_FORBIDDEN):
        if not strict:
            return None
        raise ResponseFormatError(
            carrier=CARRIER,
            code="BAD_XML",
            message="XML answer declares a DOCTYPE or ENTITY; refused",
            http_status=response.status,
        )
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        if not strict:
            return None
        raise _format_error(response, f"answer is not valid XML ({exc}): {text[:120]!r}") from None
    if root.tag != "response":
        if not strict:
            return None
        raise _format_error(response, f"XML answer has root <{root.tag}>, expected <response>")
    env: Dict[str, Any] = {}
    for name in _XML_FIELDS:
        child = root.find(name)
        if child is not None:
            env[name] = (child.text or "").strip()
    return env


def _decode(response: HttpResponse, *, strict: bool) -> Optional[Mapping[str, Any]]:
    """The envelope as a mapping, or None when the body is not an STO envelope at all."""
    try:
        body = response.body  # utf-8-sig, without that codec's Python-level wrapper
        text = (body[3:] if body[:3] == codecs.BOM_UTF8 else body).decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    if text.startswith("<"):
        return _from_xml(response, text, strict=strict)
    try:
        data = json_loads(text)
    except ValueError:
        return None
    if isinstance(data, (dict, Mapping)) and "success" in data:
        return data
    return None


def envelope(response: HttpResponse) -> Mapping[str, Any]:
    """The decoded envelope ``{success, errorCode, errorMsg, needRetry, requestId, data}``.

    Errors sometimes arrive as XML ``<response>…</response>``; both forms give the same mapping.
    A non-2xx answer without a failure envelope raises the HTTP error.
    """
    ok_http = 200 <= response.status < 300
    env = _decode(response, strict=ok_http)
    if env is None:
        raise_for_http(CARRIER, response)
        raise _format_error(response, f"answer is not an STO envelope: {response.text[:120]!r}")
    if not ok_http and is_true(env.get("success")):
        raise_for_http(CARRIER, response)
    return env


def is_success(env: Mapping[str, Any]) -> bool:
    """Whether the envelope's ``success`` is true (boolean or string)."""
    return is_true(env.get("success"))


def needs_retry(env: Mapping[str, Any]) -> bool:
    """Whether STO asked us to try again (``needRetry`` true, boolean or string)."""
    return is_true(env.get("needRetry"))


def code_of(env: Mapping[str, Any]) -> str:
    """The envelope's ``errorCode`` as a string ("" on success)."""
    return str(env.get("errorCode") or "").strip()


def message_of(env: Mapping[str, Any]) -> str:
    """The envelope's ``errorMsg`` as a string."""
    return str(env.get("errorMsg") or "")


def error_from(env: Mapping[str, Any], response: HttpResponse) -> CarrierError:
    """The typed error for a failed envelope; ``needRetry`` or HTTP 5xx/429 make it retryable."""
    status = response.status
    retry = needs_retry(env) or status >= 500 or status == 429
    request_id = env.get("requestId")
    return envelope_error(
        CARRIER,
        code=code_of(env) or "UNKNOWN",
        message=message_of(env),
        auth_codes=codes.AUTH_CODES,
        rate_codes=codes.RATE_LIMIT_CODES,
        server_codes=codes.SERVER_CODES,
        not_found_codes=codes.NOT_FOUND_CODES,
        http_status=status,
        request_id=str(request_id) if request_id else None,
        raw=dict(env),
        retryable=retry or None,
    )


ENVELOPE = EnvelopeFormat(
    decode=envelope, is_success=is_success, code_of=code_of, message_of=message_of, error_from=error_from
)


def data_of(env: Mapping[str, Any], response: HttpResponse) -> Any:
    """The envelope's ``data``; a JSON string (as some gateways send) is decoded."""
    data = env.get("data")
    if isinstance(data, str) and data.strip()[:1] in ("{", "["):
        try:
            return json_loads(data)
        except ValueError:
            raise _format_error(response, "data is a string but not valid JSON") from None
    return data


def trace_from_wire(trace: Any, *, where: str) -> TrackingEvent:
    """One trace (track query entry or the push's ``trace``) as a TrackingEvent."""
    raw_code = str(require(CARRIER, trace, "scanType", where=where))
    when = parse_china_time(CARRIER, require(CARRIER, trace, "opTime", where=where), where=f"{where}.opTime")
    signer = str(trace.get("signoffPeople") or "")
    status = refine_signed(classify(codes.SCAN_TYPES, raw_code), signer, proxy_words=codes.PROXY_SIGNER_WORDS)
    return TrackingEvent._trusted(
        when,
        status[0],
        status[1],
        raw_code,
        str(trace.get("memo") or ""),
        str(trace.get("opOrgName") or ""),
        str(trace.get("opOrgProvinceName") or ""),
        str(trace.get("opOrgCityName") or ""),
        str(trace.get("bizEmpName") or trace.get("opEmpName") or ""),
        signer,
        str(trace.get("issueName") or ""),
        trace,
    )


def traces_of(data: Any, waybill: str, *, where: str) -> List[Any]:
    """The trace list of ``waybill`` in the track answer's ``data`` (keyed by waybill)."""
    if not isinstance(data, (dict, Mapping)):
        raise ResponseFormatError(
            carrier=CARRIER,
            code="BAD_SHAPE",
            message=f"{where} should be an object keyed by waybill, got {type(data).__name__}",
        )
    traces = data.get(waybill)
    if traces is None:
        # Keys are waybills; match without regard to case and stray spaces.
        wanted = waybill.strip().upper()
        traces = next((v for k, v in data.items() if str(k).strip().upper() == wanted), None)
    if traces is None:
        return []  # STO may leave an unknown waybill out instead of answering []
    if not isinstance(traces, list):
        raise ResponseFormatError(
            carrier=CARRIER,
            code="BAD_SHAPE",
            message=f"{where}.{waybill} should be a list of traces",
        )
    return traces


def push_trace_from_wire(content: Any) -> PushEvent:
    """The content of an ``STO_TRACE_PLATFORM_PUSH`` as a PushEvent."""
    waybill = str(require(CARRIER, content, "waybillNo", where="content"))
    trace = require(CARRIER, content, "trace", where="content")
    event = trace_from_wire(trace, where="content.trace")
    return PushEvent(
        carrier=CARRIER,
        kind=PushKind.TRACKING,
        waybill=waybill,
        dedupe_key=dedupe_key(
            CARRIER,
            waybill.upper(),
            "trace",
            event.raw_code,
            trace.get("opTime"),
            trace.get("opOrgCode") or "",
        ),
        tracking=event,
        raw=content,
    )


def intercept_result_from_wire(content: Any) -> InterceptResult:
    """The content of an ``INTERCEPT_RESULT_PUSH`` (modelled) as an InterceptResult."""
    waybill = str(require(CARRIER, content, "waybillNo", where="content"))
    raw_status = str(require(CARRIER, content, "status", where="content")).strip().upper()
    error_code = str(content.get("errorCode") or "")
    state, failure = intercept_outcome(
        CARRIER,
        codes.INTERCEPT_STATES,
        codes.INTERCEPT_FAILURES,
        raw_status=raw_status,
        fail_code=error_code,
        where="content",
        raw=content,
    )
    op_time = content.get("opTime")
    return InterceptResult(
        carrier=CARRIER,
        waybill=waybill,
        status=state,
        failure=failure,
        raw_code=error_code,
        raw_status=raw_status,
        message=str(content.get("errorMsg") or ""),
        carrier_reference=str(content.get("interceptId") or ""),
        updated_at=parse_china_time(CARRIER, op_time, where="content.opTime") if op_time else None,
    )


def push_intercept_from_wire(content: Any) -> PushEvent:
    """The content of an ``INTERCEPT_RESULT_PUSH`` as a PushEvent."""
    result = intercept_result_from_wire(content)
    return PushEvent(
        carrier=CARRIER,
        kind=PushKind.INTERCEPT_RESULT,
        waybill=result.waybill,
        dedupe_key=dedupe_key(
            CARRIER, result.waybill, "intercept", result.carrier_reference, result.raw_status
        ),
        intercept=result,
        raw=content,
    )

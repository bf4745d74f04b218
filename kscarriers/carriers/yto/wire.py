"""YTO wire format: the answer shapes, track entries and push records, and their normalisation."""

from __future__ import annotations

import hashlib
import re
from typing import Any, List, Mapping

from ...errors import CarrierError, ResponseFormatError
from ...models import (
    InterceptFailure,
    InterceptResult,
    PushEvent,
    PushKind,
    TrackingEvent,
)
from ...transport import HttpResponse
from .._codec import parse_china_time
from .._envelope import EnvelopeFormat, envelope_error, load_json, require
from .._normalise import classify, intercept_outcome, refine_signed
from .._push import dedupe_key
from . import codes

CARRIER = "yto"

_SITE = re.compile(r"【([^】]+)】")


#: The keys of which a YTO envelope has at least one. Besides ``{success, code, message}``,
#: the answers the public client ``syships/php-express`` met (``LogisticsGateway.php``
#: ``formatResponse``) include ``{"statusCode": 1, "statusMessage": …}`` with no ``success``.
_ENVELOPE_KEYS = ("success", "code", "statusCode")


def answer(response: HttpResponse) -> Any:
    """The decoded JSON answer: a bare array (track success) or a YTO envelope object."""
    data = load_json(CARRIER, response)
    if isinstance(data, list):
        return data
    if not isinstance(data, (dict, Mapping)) or not any(key in data for key in _ENVELOPE_KEYS):
        raise ResponseFormatError(
            carrier=CARRIER,
            code="BAD_SHAPE",
            message="answer is neither a list of scans nor a YTO envelope (no `success`/`code`/`statusCode`)",
            http_status=response.status,
            raw=data if isinstance(data, (dict, Mapping)) else None,
        )
    return data


def envelope(response: HttpResponse) -> Mapping[str, Any]:
    """The decoded ``{success, code, statusCode, message, data}`` object of a non-track call."""
    data = answer(response)
    if not isinstance(data, (dict, Mapping)):
        raise ResponseFormatError(
            carrier=CARRIER,
            code="BAD_SHAPE",
            message="answer should be an object, got a list",
            http_status=response.status,
        )
    return data


def _status_code(env: Mapping[str, Any]) -> str:
    value = env.get("statusCode")
    return "" if value is None or isinstance(value, bool) else str(value).strip()


def is_success(env: Mapping[str, Any]) -> bool:
    """``success`` is true (a string "true" is tolerated); without ``success``, ``statusCode`` is 0.

    The second reading is the public client's (``success ?? statusCode == 0``) for the
    ``{"statusCode", "statusMessage"}`` envelope.
    """
    if "success" not in env:
        return _status_code(env) == "0"
    flag = env.get("success")
    return flag is True or (isinstance(flag, str) and flag.strip().lower() == "true")


def code_of(env: Mapping[str, Any]) -> str:
    """The envelope's ``code``, or its ``statusCode`` when there is no ``code``, as a string."""
    for key in ("code", "statusCode"):
        value = env.get(key)
        if value is not None and not isinstance(value, bool):
            return str(value).strip()
    return ""


def is_accepted(env: Mapping[str, Any]) -> bool:
    """An intercept / change / cancel was accepted: ``success`` and a zero ``statusCode``/``code``.

    ``data`` is not needed: the public client met ``{"waybillNo": …, "success": true}``.
    """
    if not is_success(env):
        return False
    if _status_code(env) not in codes.SUCCESS_CODES:
        return False
    return code_of(env) in codes.SUCCESS_CODES


def is_status_envelope(env: Mapping[str, Any]) -> bool:
    """The ``{"statusCode", "statusMessage"}`` envelope: no ``success`` and no ``code``."""
    return "success" not in env and "code" not in env and "statusCode" in env


def message_of(env: Mapping[str, Any]) -> str:
    """The envelope's ``reason`` (401 answers), ``statusMessage`` or ``message``, whichever is set."""
    for key in ("reason", "statusMessage", "message"):
        value = env.get(key)
        if value is not None and not isinstance(value, (Mapping, list)) and str(value).strip():
            return str(value)
    return ""


def status_refusal(env: Mapping[str, Any]) -> InterceptFailure:
    """The failure of a refusal in the ``statusCode`` envelope, read from its message."""
    message = message_of(env)
    for phrase, failure in codes.STATUS_REFUSAL_PHRASES:
        if phrase in message:
            return failure
    return InterceptFailure.CARRIER_REJECTED_OTHER


def error_from(env: Mapping[str, Any], response: HttpResponse) -> CarrierError:
    """The typed error for a failed envelope."""
    return envelope_error(
        CARRIER,
        code=code_of(env) or "UNKNOWN",
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


def no_data_entries(env: Mapping[str, Any], waybill: str) -> List[Any]:
    """The entries of a ``code 1001`` answer's ``map`` for ``waybill`` (normally none)."""
    found = env.get("map")
    entries = found.get(waybill) if isinstance(found, (dict, Mapping)) else None
    return list(entries) if isinstance(entries, list) else []


def site_of(process_info: str) -> str:
    """The site name YTO writes inside 【】 at the head of ``processInfo``, or ""."""
    match = _SITE.search(process_info)
    return match.group(1).strip() if match else ""


def scan_from_wire(entry: Any, *, where: str) -> TrackingEvent:
    """One track entry ``{waybill_No, upload_Time, infoContent, processInfo, city, district}``."""
    raw_code = str(require(CARRIER, entry, "infoContent", where=where)).strip()
    when = parse_china_time(
        CARRIER, require(CARRIER, entry, "upload_Time", where=where), where=f"{where}.upload_Time"
    )
    text = str(entry.get("processInfo") or "")
    status = refine_signed(
        classify(codes.SCAN_CODES, raw_code),
        text,
        proxy_words=codes.PROXY_SIGNER_WORDS,
        locker_words=codes.LOCKER_WORDS,
    )
    return TrackingEvent._trusted(
        when,
        status[0],
        status[1],
        raw_code,
        text,
        site_of(text) or str(entry.get("district") or ""),
        "",
        str(entry.get("city") or ""),
        "",
        "",
        "",
        entry,
    )


def _text_hash(text: str) -> str:
    # processInfo tells apart two scans of the same code at the same second (two sites); a
    # short hash keeps the key readable while staying identical on re-delivery. JSON may carry a
    # lone surrogate (``"\ud800"``), which strict UTF-8 cannot encode; surrogatepass still gives
    # the same bytes for the same text.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]


def trace_push_from_wire(data: Any) -> PushEvent:
    """A ``type=TRACE`` push's ``logistics_interface`` (one track entry) as a PushEvent."""
    waybill = str(require(CARRIER, data, "waybill_No", where="logistics_interface"))
    event = scan_from_wire(data, where="logistics_interface")
    return PushEvent(
        carrier=CARRIER,
        kind=PushKind.TRACKING,
        waybill=waybill,
        dedupe_key=dedupe_key(
            CARRIER,
            waybill.strip().upper(),
            "trace",
            event.raw_code,
            data["upload_Time"],
            _text_hash(event.description),
        ),
        tracking=event,
        raw=data,
    )


def intercept_push_from_wire(data: Any) -> PushEvent:
    """A ``type=INTERCEPT`` push: ``{waybillNo, wantedId, status, failCode, failReason, updateTime}``."""
    where = "logistics_interface"
    waybill = str(require(CARRIER, data, "waybillNo", where=where))
    wanted_id = str(require(CARRIER, data, "wantedId", where=where))
    raw_status = str(require(CARRIER, data, "status", where=where)).strip().upper()
    fail_code = str(data.get("failCode") or "")
    state, failure = intercept_outcome(
        CARRIER,
        codes.INTERCEPT_STATES,
        codes.INTERCEPT_FAILURES,
        raw_status=raw_status,
        fail_code=fail_code,
        where=where,
        raw=data,
    )
    updated = data.get("updateTime")
    result = InterceptResult(
        carrier=CARRIER,
        waybill=waybill,
        status=state,
        failure=failure,
        raw_code=fail_code,
        raw_status=raw_status,
        message=str(data.get("failReason") or ""),
        carrier_reference=wanted_id,
        updated_at=parse_china_time(CARRIER, updated, where=f"{where}.updateTime") if updated else None,
    )
    return PushEvent(
        carrier=CARRIER,
        kind=PushKind.INTERCEPT_RESULT,
        waybill=waybill,
        dedupe_key=dedupe_key(CARRIER, waybill.strip().upper(), "intercept", wanted_id, raw_status),
        intercept=result,
        raw=data,
    )

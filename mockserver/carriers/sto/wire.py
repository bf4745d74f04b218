"""STO on the wire: answer envelopes, trace rendering and the signed push builders.

Envelope: ``{"success", "errorCode", "errorMsg", "needRetry", "requestId", "expInfo", "data"}``
with ``success``/``needRetry`` rendered as the STRINGS ``"true"``/``"false"``, as the real
gateway often does; ``needRetry`` is ``"true"`` for the flow-limit/busy codes. A bad signature
(``S01``) is answered as an XML ``<response>`` body instead. Accepted intercept ``data``:
``{"waybillNo", "interceptId", "status": "PENDING"}``; cancel answers the same with ``CANCELLED``.
The outcome arrives by push (``INTERCEPT_RESULT_PUSH``: ``SUCCESS``/``FAILED``/``CANCELLED``).
The codes are in :mod:`mockserver.carriers.sto.codes`.

Pushes: a form of the seven link fields, ``from_appkey = from_code = sto_trace_platform``,
``to_appkey`` = the account's app key, ``to_code`` = its ``extra["from_code"]`` (default the app
key), signed with the account's secret; one trace per push. A trace push's ``trace`` starts with
``outBizCode``, STO's idempotency key for a re-pushed trace (public receivers' ``StoPushTraceDto``,
carriers.md S4): the same on every re-delivery of a push, different for every other trace.
Acknowledged by HTTP 200 ``{"success": true, ...}``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence
from typing import Any, Optional
from xml.sax.saxutils import escape

from flask import Response

from mockserver.carriers.codec import (
    b64_md5,
    china_time,
    compact_json,
    form_push,
    json_object_answer,
    json_response,
    json_response_with_data,
)
from mockserver.carriers.exchange import CarrierFault
from mockserver.carriers.sto.codes import (
    FAIL_CODES,
    INTERCEPT_PUSH_API,
    INTERCEPT_STATUS,
    PUSH_FROM,
    RETRYABLE_CODES,
    SCAN_TYPES,
    TRACE_PUSH_API,
)
from mockserver.pushes import PushRequest
from mockserver.world import Account, FailReason, InterceptRecord, InterceptStatus, Scan, ScanKind

__all__ = [
    "PUSH_CONTENT_TYPE",
    "build_intercept_push",
    "build_trace_pushes",
    "error_response",
    "intercept_data",
    "intercept_push_content",
    "is_push_ack",
    "literal_json",
    "ok_response",
    "ok_response_with_data",
    "out_biz_code",
    "push_form",
    "render_envelope",
    "render_scan",
    "trace_push_content",
    "xml_error_response",
]

#: STO spells the charset of its pushes in capitals.
PUSH_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _envelope(*, success: bool, code: str, message: str, data: Any) -> dict[str, Any]:
    return {
        "success": _flag(success),
        "errorCode": code,
        "errorMsg": message,
        "needRetry": _flag(code in RETRYABLE_CODES),
        "requestId": uuid.uuid4().hex,
        "expInfo": "",
        "data": data,
    }


def ok_response(data: Any) -> Response:
    """A success envelope around ``data``."""
    return json_response(_envelope(success=True, code="", message="", data=data))


def ok_response_with_data(data_json: str) -> Response:
    """:func:`ok_response` of the data whose JSON text is ``data_json`` (a fresh ``requestId``)."""
    return json_response_with_data(_envelope(success=True, code="", message="", data=None), data_json)


def error_response(code: str, message: str, status: int = 200) -> Response:
    """A JSON failure envelope (``needRetry: "true"`` for the flow-limit/busy codes)."""
    return json_response(_envelope(success=False, code=code, message=message, data=None), status=status)


def xml_error_response(code: str, message: str, status: int = 200) -> Response:
    """An XML failure body, as the gateway answers a bad signature."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><response><success>false</success>'
        f"<errorCode>{escape(code)}</errorCode><errorMsg>{escape(message)}</errorMsg></response>"
    )
    return Response(body, status=status, content_type="text/xml;charset=UTF-8")


def render_scan(waybill: str, scan: Scan) -> dict[str, Any]:
    """One trace entry (docs/carriers/sto.md, modelled item 1), in the field order of the doc."""
    signer = scan.signer if scan.kind in (ScanKind.SIGNED, ScanKind.RETURNED) else None
    return {
        "waybillNo": waybill,
        "opTime": china_time(scan.time),
        "scanType": SCAN_TYPES[scan.kind],
        "memo": scan.description,
        "opOrgName": scan.site.name,
        "opOrgCode": scan.site.code,
        "opOrgProvinceName": scan.site.province,
        "opOrgCityName": scan.site.city,
        "opEmpName": scan.courier or "",
        "bizEmpName": scan.courier or "",
        "bizEmpPhone": scan.courier_phone or "",
        "nextOrgName": scan.next_site.name if scan.next_site is not None else "",
        "issueName": (scan.problem_code or "") if scan.kind is ScanKind.PROBLEM else "",
        "signoffPeople": signer or "",
    }


def intercept_data(record: InterceptRecord) -> dict[str, str]:
    """``data`` of an accepted intercept or cancel answer."""
    return {"waybillNo": record.waybill, "interceptId": record.id, "status": INTERCEPT_STATUS[record.status]}


def out_biz_code(account: Account, waybill: str, scan: Scan) -> str:
    """The ``outBizCode`` of a trace push (32 hex digits; the format is modelled).

    Derived from the account, the waybill and everything the scan says, so a push rebuilt or
    sent again carries the same key and two different traces never share one.
    """
    identity = compact_json([account.carrier, account.app_key, waybill, scan.to_dict()])
    return hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def trace_push_content(account: Account, waybill: str, scan: Scan) -> str:
    """The ``content`` of a ``STO_TRACE_PLATFORM_PUSH``: one trace per push, keyed by ``outBizCode``."""
    trace = {"outBizCode": out_biz_code(account, waybill, scan), **render_scan(waybill, scan)}
    return compact_json({"waybillNo": waybill, "trace": trace})


def intercept_push_content(record: InterceptRecord) -> str:
    """The ``content`` of the (modelled) ``INTERCEPT_RESULT_PUSH``."""
    failed = record.status is InterceptStatus.FAILED
    code, message = FAIL_CODES[record.fail_reason or FailReason.OTHER] if failed else ("", "")
    return compact_json(
        {
            "waybillNo": record.waybill,
            "interceptId": record.id,
            "status": INTERCEPT_STATUS[record.status],
            "errorCode": code,
            "errorMsg": message,
            "opTime": china_time(record.updated_at),
        }
    )


def push_form(api_name: str, content: str, secret: str, to_appkey: str, to_code: str) -> dict[str, str]:
    """The signed form fields of a push, in the order the gateway sends them."""
    return {
        "content": content,
        "data_digest": b64_md5((content + secret).encode("utf-8")),
        "api_name": api_name,
        "from_appkey": PUSH_FROM,
        "from_code": PUSH_FROM,
        "to_appkey": to_appkey,
        "to_code": to_code,
    }


def _true(value: Optional[Any]) -> bool:
    return value is True or value == "true"


def is_push_ack(status: int, body: bytes) -> bool:
    """Whether a subscriber acknowledged a push: HTTP 200 and ``success`` true (boolean or string).

    An answer that asks for a retry (``needRetry`` true, top level or in ``data``) is not an ack.
    """
    answer = json_object_answer(status, body)
    if answer is None or not _true(answer.get("success")):
        return False
    data = answer.get("data")
    retry = answer.get("needRetry") if not isinstance(data, dict) else data.get("needRetry")
    return not _true(retry) and not _true(answer.get("needRetry"))


def literal_json(body: Any) -> str:
    """A Decider fault's literal JSON body, as STO's gateway writes JSON."""
    # A fault's literal body keeps json.dumps' default separators here (the other carriers: compact).
    return json.dumps(body, ensure_ascii=False)


def render_envelope(fault: CarrierFault) -> Response:
    """A failure answer: the XML body for a bad signature (S01), else the JSON envelope."""
    if fault.code == "S01":
        return xml_error_response(fault.code, fault.message, fault.http_status)
    return error_response(fault.code, fault.message, fault.http_status)


def _push_target(account: Account) -> tuple[str, str]:
    to_code = account.extra.get("from_code")
    return account.app_key, to_code if isinstance(to_code, str) and to_code else account.app_key


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """One ``STO_TRACE_PLATFORM_PUSH`` per scan (observed: one trace per push).

    Args:
        account: the subscriber (``to_appkey``; its secret signs ``content``).
        items: ``(waybill, scan)`` pairs, oldest first.

    Returns:
        The signed form POSTs, in the order of ``items``.
    """
    to_appkey, to_code = _push_target(account)
    return [
        form_push(
            "trace",
            waybill,
            push_form(
                TRACE_PUSH_API,
                trace_push_content(account, waybill, scan),
                account.app_secret,
                to_appkey,
                to_code,
            ),
            content_type=PUSH_CONTENT_TYPE,
        )
        for waybill, scan in items
    ]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The modelled ``INTERCEPT_RESULT_PUSH`` of an intercept's final status.

    Args:
        account: the account that asked for the intercept.
        record: the intercept, normally ``SUCCEEDED``, ``FAILED`` or ``CANCELLED``.

    Returns:
        The signed form POST.
    """
    to_appkey, to_code = _push_target(account)
    fields = push_form(
        INTERCEPT_PUSH_API, intercept_push_content(record), account.app_secret, to_appkey, to_code
    )
    return form_push("intercept", record.waybill, fields, content_type=PUSH_CONTENT_TYPE)

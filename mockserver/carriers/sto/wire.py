"""STO (申通 LinkGateway) wire vocabulary: code tables, answer envelopes, trace rendering and push forms.

Everything here follows docs/carriers/sto.md ("Wire protocol" and "Modelled where the public
record is silent"); the blueprint in :mod:`mockserver.carriers.sto` uses it to answer requests
and to build pushes. Keeping the tables in one module makes a modelled code easy to correct.

Envelope: ``{"success", "errorCode", "errorMsg", "needRetry", "requestId", "expInfo", "data"}``
with ``success``/``needRetry`` rendered as the STRINGS ``"true"``/``"false"``, as the real
gateway often does. A bad signature (``S01``) is answered as an XML ``<response>`` body instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Optional
from xml.sax.saxutils import escape

from flask import Response

from mockserver.carriers.codec import b64_md5, china_time, compact_json, json_response
from mockserver.carriers.fields import loads
from mockserver.deciders import Fault, Operation
from mockserver.world import FailReason, InterceptRecord, InterceptStatus, Scan, ScanKind

__all__ = [
    "APIS",
    "FAIL_CODES",
    "FAULT_CODES",
    "INTERCEPT_STATUS",
    "PUSH_FROM",
    "RETRYABLE_CODES",
    "SCAN_TYPES",
    "error_response",
    "intercept_data",
    "intercept_push_content",
    "is_push_ack",
    "ok_response",
    "push_form",
    "render_scan",
    "trace_push_content",
    "xml_error_response",
]

#: ``api_name`` -> (neutral operation name, the ``to_appkey``/``to_code`` the doc gives for it).
APIS: Mapping[str, tuple[Operation, str]] = {
    "STO_TRACE_QUERY_COMMON": (Operation.TRACK, "sto_trace_query"),
    "STO_TRACE_PLATFORM_SUBSCRIBE": (Operation.SUBSCRIBE, "sto_trace_platform"),
    "INTERCEPT_CREATE_STANDARD": (Operation.INTERCEPT, "reverse-center"),
    "INTERCEPT_DEL_STANDARD": (Operation.CANCEL_INTERCEPT, "reverse-center"),
}

#: Neutral scan kind -> STO ``scanType`` (carriers.md §4.4). The return leg is 退回件 scans ended by
#: a 签收 of the sender (寄件人): STO has no separate "returned" type, so only the order tells it apart.
SCAN_TYPES: Mapping[ScanKind, str] = {
    ScanKind.PICKUP: "收件",
    ScanKind.DEPART: "发件",
    ScanKind.ARRIVE: "到件",
    ScanKind.OUT_FOR_DELIVERY: "派件",
    ScanKind.LOCKER_IN: "驿站代收",
    ScanKind.SIGNED: "签收",
    ScanKind.PROBLEM: "问题件",
    ScanKind.RETURN: "退回件",
    ScanKind.RETURN_TRANSIT: "退回件",
    ScanKind.RETURNED: "签收",
}

#: Intercept refusals (all modelled, docs/carriers/sto.md item 2).
FAIL_CODES: Mapping[FailReason, tuple[str, str]] = {
    FailReason.ALREADY_SIGNED: ("I101", "运单已签收，无法拦截"),
    FailReason.OUT_FOR_DELIVERY: ("I102", "运单已派件，无法拦截"),
    FailReason.DUPLICATE: ("I103", "该运单已有拦截处理中"),
    FailReason.NOT_FOUND: ("I104", "运单不存在"),
    FailReason.NOT_SUPPORTED: ("I105", "该运单不支持拦截"),
    FailReason.NO_INTERCEPT: ("I106", "没有可撤销的拦截"),
    FailReason.OTHER: ("I199", "拦截失败"),
}

#: Decider faults -> STO envelope codes; ``{field}`` is filled in for ``MISSING_FIELD``.
FAULT_CODES: Mapping[Fault, tuple[str, str]] = {
    Fault.SYSTEM_ERROR: ("S06", "系统繁忙，请稍后重试"),
    Fault.UNAVAILABLE: ("S06", "服务暂不可用，请稍后重试"),
    Fault.TIMEOUT: ("S06", "请求超时，请稍后重试"),
    Fault.RATE_LIMITED: ("S05", "调用频率超限"),
    Fault.BAD_SIGNATURE: ("S01", "签名校验失败"),
    Fault.MISSING_FIELD: ("S02", "{field}不能为空"),
    Fault.NOT_FOUND: ("I104", "运单不存在"),
}

#: Codes answered with ``needRetry: "true"``: flow limit and system busy.
RETRYABLE_CODES = frozenset({"S05", "S06"})

#: Intercept status in the answer ``data.status`` and the result push.
INTERCEPT_STATUS: Mapping[InterceptStatus, str] = {
    InterceptStatus.PENDING: "PENDING",
    InterceptStatus.SUCCEEDED: "SUCCESS",
    InterceptStatus.FAILED: "FAILED",
    InterceptStatus.CANCELLED: "CANCELLED",
}

#: ``from_appkey``/``from_code`` of the pushes STO sends.
PUSH_FROM = "sto_trace_platform"


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


def trace_push_content(waybill: str, scan: Scan) -> str:
    """The ``content`` of a ``STO_TRACE_PLATFORM_PUSH``: one trace per push."""
    return compact_json({"waybillNo": waybill, "trace": render_scan(waybill, scan)})


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
    if status != 200:
        return False
    try:
        answer = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(answer, dict) or not _true(answer.get("success")):
        return False
    data = answer.get("data")
    retry = answer.get("needRetry") if not isinstance(data, dict) else data.get("needRetry")
    return not _true(retry) and not _true(answer.get("needRetry"))

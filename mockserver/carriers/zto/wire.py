"""ZTO wire vocabulary for the mock: code tables, scan rendering and the push builders.

Kept apart from the blueprint (:mod:`mockserver.carriers.zto`, whose docstring documents the request
checks) so the codes live in one place and can be corrected against docs/carriers/zto.md.

Scan kinds -> ZTO ``scanType`` (query) and push ``action``:
    ================  ==========  ================================================================
    kind              scanType    push action
    ================  ==========  ================================================================
    PICKUP            收件        GOT
    DEPART            发件        DEPARTURE
    ARRIVE            到件        ARRIVAL
    OUT_FOR_DELIVERY  派件        DISPATCH
    LOCKER_IN         ARRIVAL     INBOUND
    SIGNED            签收        SIGNED
    PROBLEM           问题件      PROBLEM (modelled)
    RETURN            退件        RETURN (modelled)
    RETURN_TRANSIT    退件        RETURN (modelled)
    RETURNED          退件签收    RETURN_SIGNED (modelled); ``signMan``/``expressSigner`` 寄件人
    ================  ==========  ================================================================

LOCKER_IN uses the query API's English third-party locker type (carriers.md §2.5) and RETURNED
the 退件签收 type found in public ZTO client code, so a client can tell a locker drop-off and a
parcel signed back by its sender from a delivery.

Intercept refusals: ALREADY_SIGNED E23101 快件已签收, OUT_FOR_DELIVERY E23120 有派件扫描不允许拦截,
DUPLICATE E23121 存在相同渠道的拦截件,不允许再次发起, NOT_FOUND E23102 订单信息不存在,
NOT_SUPPORTED E23139 不满足拦截发起业务规则, OTHER E23124 轨迹异常不允许拦截,
NO_INTERCEPT (cancel) E23130 非拦截中拦截件,不能取消. Intercept status: PENDING "1" 拦截中,
SUCCEEDED "2" 拦截成功, FAILED "3" 拦截失败, CANCELLED "4" 已取消.
Decider faults: SYSTEM_ERROR S202, UNAVAILABLE S203, TIMEOUT S200, RATE_LIMITED S221,
BAD_SIGNATURE S211, MISSING_FIELD S208 (<field>不能为空, default billCode), NOT_FOUND E23102.

Pushes are form posts (``company_id``, ``msg_type``, ``data``, ``data_digest =
base64(md5(data + app_secret))``), one scan per request; an acknowledgement is HTTP 200 with
``"status": true``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from mockserver.carriers.codec import b64_md5, china_time, compact_json, epoch_ms, form_body
from mockserver.carriers.fields import loads
from mockserver.deciders import Fault
from mockserver.pushes import PushRequest
from mockserver.world import Account, FailReason, InterceptRecord, InterceptStatus, Scan, ScanKind

__all__ = [
    "FAIL_CODES",
    "FAULT_CODES",
    "INTERCEPT_STATUS",
    "PUSH_ACTIONS",
    "SCAN_TYPES",
    "SLUG",
    "WAYBILL_RE",
    "build_intercept_push",
    "build_trace_pushes",
    "intercept_push_form",
    "intercept_status_result",
    "is_push_ack",
    "is_valid_waybill",
    "render_scan",
    "trace_push_form",
]

SLUG = "zto"
WAYBILL_RE = re.compile(r"^(?:7[3-68]\d{12}|\d{12})$")

SCAN_TYPES: Mapping[ScanKind, str] = {
    ScanKind.PICKUP: "收件",
    ScanKind.DEPART: "发件",
    ScanKind.ARRIVE: "到件",
    ScanKind.OUT_FOR_DELIVERY: "派件",
    ScanKind.LOCKER_IN: "ARRIVAL",  # the query API's English third-party locker namespace
    ScanKind.SIGNED: "签收",
    ScanKind.PROBLEM: "问题件",
    ScanKind.RETURN: "退件",
    ScanKind.RETURN_TRANSIT: "退件",
    ScanKind.RETURNED: "退件签收",
}

PUSH_ACTIONS: Mapping[ScanKind, str] = {
    ScanKind.PICKUP: "GOT",
    ScanKind.DEPART: "DEPARTURE",
    ScanKind.ARRIVE: "ARRIVAL",
    ScanKind.OUT_FOR_DELIVERY: "DISPATCH",
    ScanKind.LOCKER_IN: "INBOUND",
    ScanKind.SIGNED: "SIGNED",
    ScanKind.PROBLEM: "PROBLEM",
    ScanKind.RETURN: "RETURN",
    ScanKind.RETURN_TRANSIT: "RETURN",
    ScanKind.RETURNED: "RETURN_SIGNED",
}

FAIL_CODES: Mapping[FailReason, tuple[str, str]] = {
    FailReason.ALREADY_SIGNED: ("E23101", "快件已签收"),
    FailReason.OUT_FOR_DELIVERY: ("E23120", "有派件扫描不允许拦截"),
    FailReason.DUPLICATE: ("E23121", "存在相同渠道的拦截件,不允许再次发起"),
    FailReason.NOT_FOUND: ("E23102", "订单信息不存在"),
    FailReason.NOT_SUPPORTED: ("E23139", "不满足拦截发起业务规则"),
    FailReason.OTHER: ("E23124", "轨迹异常不允许拦截"),
    FailReason.NO_INTERCEPT: ("E23130", "非拦截中拦截件,不能取消"),
}

FAULT_CODES: Mapping[Fault, tuple[str, str]] = {
    Fault.SYSTEM_ERROR: ("S202", "发生错误"),
    Fault.UNAVAILABLE: ("S203", "服务暂不可用"),
    Fault.TIMEOUT: ("S200", "请求超时"),
    Fault.RATE_LIMITED: ("S221", "api qps flow limit"),
    Fault.BAD_SIGNATURE: ("S211", "签名错误"),
    Fault.MISSING_FIELD: ("S208", "{field}不能为空"),
    Fault.NOT_FOUND: ("E23102", "订单信息不存在"),
}

INTERCEPT_STATUS: Mapping[InterceptStatus, tuple[str, str]] = {
    InterceptStatus.PENDING: ("1", "拦截中"),
    InterceptStatus.SUCCEEDED: ("2", "拦截成功"),
    InterceptStatus.FAILED: ("3", "拦截失败"),
    InterceptStatus.CANCELLED: ("4", "已取消"),
}


def is_valid_waybill(waybill: str) -> bool:
    """Whether ``waybill`` is a ZTO number: 14 digits ``7[3-68]…`` or a legacy 12-digit one."""
    return bool(WAYBILL_RE.match(waybill))


def render_scan(waybill: str, scan: Scan) -> dict[str, Any]:
    """One entry of the track ``result`` array (docs/carriers/zto.md, modelled item 1)."""
    item: dict[str, Any] = {
        "billCode": waybill,
        "scanType": SCAN_TYPES[scan.kind],
        "scanDate": epoch_ms(scan.time),
        "scanSite": {
            "name": scan.site.name,
            "code": scan.site.code,
            "city": scan.site.city,
            "prov": scan.site.province,
        },
        "desc": scan.description,
    }
    if scan.kind in (ScanKind.SIGNED, ScanKind.RETURNED):
        item["signMan"] = scan.signer or ""
    if scan.next_site is not None:
        item["preOrNextSite"] = {
            "name": scan.next_site.name,
            "city": scan.next_site.city,
            "prov": scan.next_site.province,
        }
    return item


def intercept_status_result(record: InterceptRecord) -> dict[str, Any]:
    """The ``queryInterceptAndReturnStatus`` result object (also the intercept push ``data``)."""
    status, name = INTERCEPT_STATUS[record.status]
    failed = record.status is InterceptStatus.FAILED and record.fail_reason is not None
    code, reason = FAIL_CODES[record.fail_reason] if failed else (None, None)  # type: ignore[index]
    return {
        "billCode": record.waybill,
        "serviceCode": record.external_ref,
        "status": status,
        "statusName": name,
        "failCode": code,
        "failReason": reason,
        "updateTime": china_time(record.updated_at),
    }


def _push_form(app_key: str, app_secret: str, msg_type: str, data: Mapping[str, Any]) -> dict[str, str]:
    text = compact_json(data)
    return {
        "company_id": app_key,
        "msg_type": msg_type,
        "data": text,
        "data_digest": b64_md5((text + app_secret).encode("utf-8")),
    }


def trace_push_form(app_key: str, app_secret: str, waybill: str, scan: Scan) -> dict[str, str]:
    """Form fields of a ZTO trace push for one scan (``msg_type=Traces``); see ``form_body``."""
    data = {
        "billCode": waybill,
        "action": PUSH_ACTIONS[scan.kind],
        "actionTime": china_time(scan.time),
        "desc": scan.description,
        "facilityName": scan.site.name,
        "facilityCode": scan.site.code,
        "city": scan.site.city,
        "courier": scan.courier or "",
        "courierPhone": scan.courier_phone or "",
        "expressSigner": scan.signer or "",
    }
    return _push_form(app_key, app_secret, "Traces", data)


def intercept_push_form(app_key: str, app_secret: str, record: InterceptRecord) -> dict[str, str]:
    """Form fields of a (modelled) intercept-result push: ``msg_type=InterceptResult``."""
    return _push_form(app_key, app_secret, "InterceptResult", intercept_status_result(record))


def _push_request(kind: str, waybill: str, fields: Mapping[str, str]) -> PushRequest:
    return PushRequest(
        kind=kind,
        waybills=(waybill,),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=form_body(fields).encode("ascii"),
    )


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """ZTO pushes one scan per request (observed on the wire)."""
    return [
        _push_request("trace", waybill, trace_push_form(account.app_key, account.app_secret, waybill, scan))
        for waybill, scan in items
    ]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The modelled ``msg_type=InterceptResult`` push."""
    fields = intercept_push_form(account.app_key, account.app_secret, record)
    return _push_request("intercept", record.waybill, fields)


def is_push_ack(status: int, body: bytes) -> bool:
    """Whether a subscriber's answer to a push acknowledges it (HTTP 200, ``status: true``)."""
    if status != 200:
        return False
    try:
        answer = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(answer, dict) and answer.get("status") is True

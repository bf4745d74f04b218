"""STO identity and code tables: slug, waybill rule, api names, scan types, refusal and fault codes.

No Flask here: the blueprint (:mod:`mockserver.carriers.sto.blueprint`) and the wire rendering
(:mod:`mockserver.carriers.sto.wire`) read these tables; all codes follow docs/carriers/sto.md
("Modelled where the public record is silent"), so a modelled code is corrected in one place.

Waybills: ``^(77|43)\\d{12,15}$``.

    ============================  ===================  ==========================================
    api_name                      to_appkey = to_code  operation (content)
    ============================  ===================  ==========================================
    STO_TRACE_QUERY_COMMON        sto_trace_query      track (``order``, ``waybillNoList``)
    STO_TRACE_PLATFORM_SUBSCRIBE  sto_trace_platform   subscribe (``subscribeInfoList``)
    INTERCEPT_CREATE_STANDARD     reverse-center       intercept (``waybillNo``, ``interceptForAct``)
    INTERCEPT_DEL_STANDARD        reverse-center       cancel intercept (``waybillNo``)
    ============================  ===================  ==========================================

Scan kinds -> ``scanType``:
    ================  ========  ==========================================================
    kind              scanType  notes
    ================  ========  ==========================================================
    PICKUP            收件
    DEPART            发件      ``nextOrgName`` = next site
    ARRIVE            到件
    OUT_FOR_DELIVERY  派件      ``bizEmpName``/``bizEmpPhone`` = courier
    LOCKER_IN         驿站代收  at a station/locker, awaiting collection
    SIGNED            签收      ``signoffPeople`` = signer
    PROBLEM           问题件    ``issueName`` = problem code
    RETURN            退回件
    RETURN_TRANSIT    退回件
    RETURNED          签收      ``signoffPeople`` 寄件人, always after 退回件 scans
    ================  ========  ==========================================================

STO lists no "returned to sender" scan type (carriers.md §4.4), so the return leg ends like a
delivery, with a 签收 by the sender; only its place after 退回件 scans (and the signer) tells a
client it is a return and not a delivery.

Intercept refusals: ALREADY_SIGNED I101, OUT_FOR_DELIVERY I102, DUPLICATE I103, NOT_FOUND I104,
NOT_SUPPORTED I105, NO_INTERCEPT (cancel) I106, OTHER I199.
Decider faults: SYSTEM_ERROR / UNAVAILABLE / TIMEOUT S06 and RATE_LIMITED S05 (both
``needRetry: "true"``), BAD_SIGNATURE S01 (XML), MISSING_FIELD S02 (<field>不能为空, default the
operation's waybill field), NOT_FOUND I104.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mockserver.deciders import Fault, Operation
from mockserver.world import FailReason, InterceptStatus, ScanKind

__all__ = [
    "APIS",
    "FAIL_CODES",
    "FAULT_CODES",
    "INTERCEPT_PUSH_API",
    "INTERCEPT_STATUS",
    "PUSH_FROM",
    "RETRYABLE_CODES",
    "SCAN_TYPES",
    "SLUG",
    "TRACE_PUSH_API",
    "WAYBILL_RE",
    "is_valid_waybill",
]

SLUG = "sto"
WAYBILL_RE = re.compile(r"^(?:(?:77|43)[0-9]{12,15}|[0-9]{12})$")

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


#: ``api_name`` of the pushes STO sends.
TRACE_PUSH_API = "STO_TRACE_PLATFORM_PUSH"
INTERCEPT_PUSH_API = "INTERCEPT_RESULT_PUSH"


def is_valid_waybill(waybill: str) -> bool:
    """Whether ``waybill`` is an STO number: ``77``/``43`` and 12 to 15 ASCII digits, or legacy 12."""
    return WAYBILL_RE.fullmatch(waybill) is not None

"""ZTO identity and code tables: slug, waybill rule, scan types, push actions, refusal, status, fault codes.

No Flask here: the blueprint (:mod:`mockserver.carriers.zto.blueprint`) and the wire rendering
(:mod:`mockserver.carriers.zto.wire`) read these tables, so a code is corrected against
docs/carriers/zto.md in one place.

Waybills: 14 digits matching ``^7[3-68]\\d{12}$``, or legacy 12 digits.

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
    PROBLEM           问题件      PROBLEM
    RETURN            退件        RETURN_SCAN
    RETURN_TRANSIT    退件        RETURN_SCAN
    RETURNED          退件签收    RETURN_SIGNED; ``signMan``/``expressSigner`` 寄件人
    ================  ==========  ================================================================

A scan at a locker or station pushes the locker actions of ``STATION_PUSH_ACTIONS`` instead:
LOCKER_IN as INBOUND then HANDOVERSCAN_SIGNED, SIGNED as DEPARTURE_SIGNED.

LOCKER_IN uses the query API's English third-party locker type (carriers.md §2.5) and RETURNED
the 退件签收 type found in public ZTO client code, so a client can tell a locker drop-off and a
parcel signed back by its sender from a delivery. The push actions are ZOP's push action table
as public ZTO push receivers copy it (GOT, DEPARTURE, ARRIVAL, DISPATCH, RETURN_SCAN,
RETURN_SIGNED, INBOUND, HANDOVERSCAN_SIGNED, DEPARTURE_SIGNED, SIGNED, PROBLEM; docs/carriers/zto.md).

Intercept refusals: ALREADY_SIGNED E23101 快件已签收, OUT_FOR_DELIVERY E23120 有派件扫描不允许拦截,
DUPLICATE E23121 存在相同渠道的拦截件,不允许再次发起, NOT_FOUND E23102 订单信息不存在,
NOT_SUPPORTED E23139 不满足拦截发起业务规则, OTHER E23124 轨迹异常不允许拦截,
NO_INTERCEPT (cancel) E23130 非拦截中拦截件,不能取消. Intercept status: PENDING "1" 拦截中,
SUCCEEDED "2" 拦截成功, FAILED "3" 拦截失败, CANCELLED "4" 已取消.
Decider faults: SYSTEM_ERROR S202, UNAVAILABLE S203, TIMEOUT S200, RATE_LIMITED S221,
BAD_SIGNATURE S211, MISSING_FIELD S208 (<field>不能为空, default billCode), NOT_FOUND E23102.
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
    "INTERCEPT_STATUS",
    "PUSH_ACTIONS",
    "SCAN_TYPES",
    "SLUG",
    "STATION_COMPANIES",
    "STATION_PUSH_ACTIONS",
    "WAYBILL_RE",
    "is_valid_waybill",
]

SLUG = "zto"
WAYBILL_RE = re.compile(r"^(?:7[3-68][0-9]{12}|[0-9]{12})$")

#: ``apiName`` (the URL path under ``/zto``) -> operation.
APIS: Mapping[str, Operation] = {
    "zto.merchant.waybill.track.query": Operation.TRACK,
    "zto.merchant.waybill.track.subsrcibe": Operation.SUBSCRIBE,  # sic, as ZTO spells it
    "thirdcenter.createIntercept": Operation.INTERCEPT,
    "thirdcenter.cancelIntercept": Operation.CANCEL_INTERCEPT,
    "thirdcenter.queryInterceptAndReturnStatus": Operation.INTERCEPT_STATUS,
}

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
    ScanKind.RETURN: "RETURN_SCAN",
    ScanKind.RETURN_TRANSIT: "RETURN_SCAN",
    ScanKind.RETURNED: "RETURN_SIGNED",
}

#: Push actions of a scan at a locker or station, in the order pushed (all at the scan's time):
#: the real pushes of ``YangLiCon/docs`` show a station parcel's INBOUND (快件已被【station】代收)
#: and HANDOVERSCAN_SIGNED (快件已投递【station】) at the same second, and its collection as
#: DEPARTURE_SIGNED (已签收，签收人凭取货码签收) instead of SIGNED.
STATION_PUSH_ACTIONS: Mapping[ScanKind, tuple[str, ...]] = {
    ScanKind.LOCKER_IN: ("INBOUND", "HANDOVERSCAN_SIGNED"),
    ScanKind.SIGNED: ("DEPARTURE_SIGNED",),
}

#: Station operators whose push ``comName``/``comCode`` the real pushes show (``YangLiCon/docs``);
#: a station of any other operator (the generator's 丰巢 lockers) is pushed without them.
STATION_COMPANIES: Mapping[str, str] = {"菜鸟": "1014", "兔喜生活": "1022"}

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
    """Whether ``waybill`` is a ZTO number: 14 ASCII digits ``7[3-68]…`` or a legacy 12-digit one."""
    return WAYBILL_RE.fullmatch(waybill) is not None

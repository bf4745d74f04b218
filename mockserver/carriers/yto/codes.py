"""YTO identity and code tables: slug, waybill rule, methods, ``infoContent``, refusal and fault codes.

No Flask here: the blueprint (:mod:`mockserver.carriers.yto.blueprint`) and the wire rendering
(:mod:`mockserver.carriers.yto.wire`) read these tables, so a code is corrected against YTO's
documents (docs/carriers/yto.md) in one place.

Waybills: ``YT`` and 13 digits. The only API version is ``v1``.

Scan kinds -> ``infoContent`` (carriers.md §3.4). The return leg is ``TMS_RETURN`` scans ending
with the ordinary ``SIGNED`` scan signed by the sender (docs/carriers/yto.md "Return leg"; clients
read a sign scan after a return scan as returned, so the parcel never looks delivered):
    ================  ============  ================  ================
    kind              infoContent   kind              infoContent
    ================  ============  ================  ================
    PICKUP            GOT           SIGNED            SIGNED
    DEPART            DEPARTURE     PROBLEM           FAILED
    ARRIVE            ARRIVAL       RETURN            TMS_RETURN
    OUT_FOR_DELIVERY  SENT_SCAN     RETURN_TRANSIT    TMS_RETURN
    LOCKER_IN         INBOUND       RETURNED          SIGNED, by 寄件人
    ================  ============  ================  ================

Intercept refusals (codes modelled, docs/carriers/yto.md item 3): ALREADY_SIGNED 2001,
OUT_FOR_DELIVERY 2002, DUPLICATE 2003, NOT_FOUND 2004, NOT_SUPPORTED 2005, NO_INTERCEPT (cancel) 2006,
OTHER 2099. The duplicate's text is public (syships/php-express ``LogisticsGateway::formatResponse``:
``{"statusCode":1,"statusMessage":"已有有效拦截件，不能重复发起拦截"}``).
Decider faults: SYSTEM_ERROR / UNAVAILABLE / TIMEOUT S06, RATE_LIMITED S05, BAD_SIGNATURE 401
(public, the same source: ``{"success":false,"code":401,"reason":"请求加密校验失败"}``; ``S01`` under
the ``modelled`` answer style), MISSING_FIELD S02 (<field>不能为空, default: the method's waybill
field), NOT_FOUND 2004.
Intercept push ``status``: SUCCESS / FAILED / CANCELLED (PENDING is never pushed).

Answer styles (the account's ``extra["yto_answers"]``, docs/carriers/yto.md "Answer styles"):
``real`` (the default: the public shapes where there are any), ``loose`` (every refusal in the
``statusCode``/``statusMessage`` envelope, every acceptance without ``data``) and ``modelled`` (the
mock's shapes before the public ones were known: ``S01`` and ``2003`` with ``message``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mockserver.deciders import Fault, Operation
from mockserver.world import FailReason, InterceptStatus, ScanKind

__all__ = [
    "ANSWER_STYLES",
    "ANSWER_STYLE_SETTING",
    "BAD_SIGNATURE",
    "DEFAULT_ANSWER_STYLE",
    "FAIL_CODES",
    "FAULT_CODES",
    "INFO_CONTENT",
    "METHODS",
    "MODELLED_BAD_SIGNATURE",
    "PUSH_STATUS",
    "SLUG",
    "STATUS_REFUSAL_CODE",
    "VERSION",
    "WAYBILL_RE",
    "is_valid_waybill",
]

SLUG = "yto"
WAYBILL_RE = re.compile(r"^YT[0-9]{13,15}$")
VERSION = "v1"

#: URL ``<method>`` -> operation.
METHODS: Mapping[str, Operation] = {
    "track_query_adapter": Operation.TRACK,
    "subscribe_adapter": Operation.SUBSCRIBE,
    "wanted_report_adapter": Operation.INTERCEPT,
    "wanted_change_adapter": Operation.INTERCEPT,
    "wanted_cancel_adapter": Operation.CANCEL_INTERCEPT,
}

INFO_CONTENT: Mapping[ScanKind, str] = {
    ScanKind.PICKUP: "GOT",
    ScanKind.DEPART: "DEPARTURE",
    ScanKind.ARRIVE: "ARRIVAL",
    ScanKind.OUT_FOR_DELIVERY: "SENT_SCAN",
    ScanKind.LOCKER_IN: "INBOUND",
    ScanKind.SIGNED: "SIGNED",
    ScanKind.PROBLEM: "FAILED",
    ScanKind.RETURN: "TMS_RETURN",
    ScanKind.RETURN_TRANSIT: "TMS_RETURN",
    ScanKind.RETURNED: "SIGNED",  # the return leg ends with the ordinary sign scan, by the sender
}

FAIL_CODES: Mapping[FailReason, tuple[str, str]] = {
    FailReason.ALREADY_SIGNED: ("2001", "快件已签收，无法拦截"),
    FailReason.OUT_FOR_DELIVERY: ("2002", "快件派送中，无法拦截"),
    FailReason.DUPLICATE: ("2003", "已有有效拦截件，不能重复发起拦截"),
    FailReason.NOT_FOUND: ("2004", "运单不存在"),
    FailReason.NOT_SUPPORTED: ("2005", "该运单不支持拦截"),
    FailReason.NO_INTERCEPT: ("2006", "无可取消的拦截"),
    FailReason.OTHER: ("2099", "拦截申请被拒绝"),
}

#: A request whose ``sign`` does not verify (public; answered ``{"success": false, "code": 401,
#: "reason": …}`` with an integer code).
BAD_SIGNATURE = ("401", "请求加密校验失败")
#: The same under the ``modelled`` answer style (invented before the public shape was known).
MODELLED_BAD_SIGNATURE = ("S01", "签名验证失败")
#: The ``statusCode`` of a refusal in the ``{"statusCode", "statusMessage"}`` envelope (public: 1).
STATUS_REFUSAL_CODE = 1

#: Account setting naming the answer style, its values and the default.
ANSWER_STYLE_SETTING = "yto_answers"
ANSWER_STYLES = ("real", "loose", "modelled")
DEFAULT_ANSWER_STYLE = "real"

FAULT_CODES: Mapping[Fault, tuple[str, str]] = {
    Fault.SYSTEM_ERROR: ("S06", "系统繁忙，请稍后重试"),
    Fault.UNAVAILABLE: ("S06", "服务暂不可用"),
    Fault.TIMEOUT: ("S06", "请求超时"),
    Fault.RATE_LIMITED: ("S05", "请求过于频繁"),
    Fault.BAD_SIGNATURE: BAD_SIGNATURE,
    Fault.MISSING_FIELD: ("S02", "{field}不能为空"),
    Fault.NOT_FOUND: FAIL_CODES[FailReason.NOT_FOUND],
}

PUSH_STATUS: Mapping[InterceptStatus, str] = {
    InterceptStatus.PENDING: "PENDING",  # never pushed: only final results are
    InterceptStatus.SUCCEEDED: "SUCCESS",
    InterceptStatus.FAILED: "FAILED",
    InterceptStatus.CANCELLED: "CANCELLED",
}


def is_valid_waybill(waybill: str) -> bool:
    """Whether ``waybill`` is a YTO number: ``YT`` and 13 to 15 ASCII digits."""
    return WAYBILL_RE.fullmatch(waybill) is not None

"""J&T identity and code tables: slug, waybill rule, API paths, trace nodes, platform, refusal, fault codes.

No Flask here: the blueprint (:mod:`mockserver.carriers.jt.blueprint`) and the wire rendering
(:mod:`mockserver.carriers.jt.wire`) read these tables, written from docs/carriers/jt.md and
carriers.md §5 and kept in one place so a wrong guess is corrected once.

Waybills: ``JT`` and 13 digits.

Scan kinds -> trace node (``scanTypeCode``) and its Chinese name (``scanType``), carriers.md §5.4:
    ================  ====  ==============  =============================================
    kind              node  scanType        note
    ================  ====  ==============  =============================================
    PICKUP            1     快件揽收
    DEPART            3     发件扫描
    ARRIVE            4     到件扫描
    OUT_FOR_DELIVERY  5     出仓扫描        leaves the outlet with the courier
    LOCKER_IN         6     入库扫描        put into a station or parcel locker
    SIGNED            10    快件签收
    PROBLEM           11    问题件扫描      with ``problemType`` (A-code, below)
    RETURN            14    退件扫描
    RETURN_TRANSIT    14    退件扫描
    RETURNED          10    快件签收        signed back by the sender (desc says so)
    ================  ====  ==============  =============================================

The return leg follows docs/carriers/jt.md ("Return leg", modelled): J&T has no "returned" node, so
a parcel signed back by its sender ends with the ordinary sign scan; it never looks delivered to a
client that reads a sign scan after a 退件扫描 as returned to sender, as the SDK's client does.

Neutral problem codes -> ``problemType``: ``UNREACHABLE`` -> ``A9`` (收件人联系不上); an A-code of
carriers.md §5.4 is passed through; anything else -> ``A7`` (异常件提醒).

Intercept refusals (modelled, ``FailReason`` -> code): ALREADY_SIGNED 173001, OUT_FOR_DELIVERY
173002, DUPLICATE 173003, NOT_FOUND 173004, NOT_SUPPORTED 173005, OTHER 173099 (NO_INTERCEPT also
173099, reachable only through a Decider rejection).
Decider faults: SYSTEM_ERROR/UNAVAILABLE/TIMEOUT 145003062, RATE_LIMITED 145003061, BAD_SIGNATURE
145003030, MISSING_FIELD 145003050 (<field>不能为空, default billCodes), NOT_FOUND 173004.

Trace push shape (the account's ``extra["jt_push_shape"]``, docs/carriers/jt.md item 4): ``array``
(the default: bizContent a JSON array of ``{billCode, details}``, batched) or ``object`` (one push
per waybill, bizContent one ``{billCode, txlogisticId, details}`` object).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mockserver.deciders import Fault, Operation
from mockserver.world import FailReason, InterceptStatus, Scan, ScanKind

__all__ = [
    "APIS",
    "A_CODES",
    "CANCELLED_CODE",
    "DEFAULT_PUSH_SHAPE",
    "FAIL_CODES",
    "FAULT_CODES",
    "INTERCEPT_STATES",
    "NODES",
    "PLATFORM_ERRORS",
    "PROBLEM_TYPES",
    "PUSH_SHAPES",
    "PUSH_SHAPE_SETTING",
    "SLUG",
    "WAYBILL_RE",
    "is_valid_waybill",
    "problem_type",
]

SLUG = "jt"
WAYBILL_RE = re.compile(r"^JT[0-9]{12,13}$")

#: Account setting naming the trace push shape, its values and the default.
PUSH_SHAPE_SETTING = "jt_push_shape"
PUSH_SHAPES = ("array", "object")
DEFAULT_PUSH_SHAPE = "array"

#: Path under ``/jt`` -> operation (J&T has no intercept cancel).
APIS: Mapping[str, Operation] = {
    "webopenplatformapi/api/logistics/trace": Operation.TRACK,
    "webopenplatformapi/api/trace/subscribe": Operation.SUBSCRIBE,
    "webopenplatformapi/api/waybill/intercept": Operation.INTERCEPT,
}

#: Neutral scan kind -> (node number, node name).
NODES: Mapping[ScanKind, tuple[int, str]] = {
    ScanKind.PICKUP: (1, "快件揽收"),
    ScanKind.DEPART: (3, "发件扫描"),
    ScanKind.ARRIVE: (4, "到件扫描"),
    ScanKind.OUT_FOR_DELIVERY: (5, "出仓扫描"),
    ScanKind.LOCKER_IN: (6, "入库扫描"),
    ScanKind.SIGNED: (10, "快件签收"),
    ScanKind.PROBLEM: (11, "问题件扫描"),
    ScanKind.RETURN: (14, "退件扫描"),
    ScanKind.RETURN_TRANSIT: (14, "退件扫描"),
    ScanKind.RETURNED: (10, "快件签收"),  # after 退件扫描: returned to sender (docs/carriers/jt.md)
}

#: Neutral problem code -> J&T ``problemType``.
PROBLEM_TYPES: Mapping[str, str] = {"UNREACHABLE": "A9"}
_DEFAULT_PROBLEM = "A7"
#: The ``problemType`` A-codes of carriers.md §5.4 (A5, A6 and A22 are not listed): the only ones
#: the mock passes through.
A_CODES: frozenset[str] = frozenset(f"A{n}" for n in range(1, 36) if n not in (5, 6, 22))

#: Platform envelope codes (carriers.md §5.3) and the modelled retryable ones (docs/carriers/jt.md).
PLATFORM_ERRORS: Mapping[str, tuple[str, str]] = {
    "no_account": ("145003051", "apiAccount不能为空"),
    "no_digest": ("145003052", "digest不能为空"),
    "no_timestamp": ("145003053", "timestamp不能为空"),
    "unknown_account": ("145003010", "apiAccount不存在"),
    "bad_digest": ("145003030", "headers签名校验失败"),
    "unknown_api": ("145003050", "接口不存在"),
    "illegal": ("145003050", "非法参数"),
}

#: Intercept refusals (modelled, docs/carriers/jt.md item 2).
FAIL_CODES: Mapping[FailReason, tuple[str, str]] = {
    FailReason.ALREADY_SIGNED: ("173001", "快件已签收，无法拦截"),
    FailReason.OUT_FOR_DELIVERY: ("173002", "快件派送中，拦截失败"),
    FailReason.DUPLICATE: ("173003", "该运单已有拦截申请在处理中"),
    FailReason.NOT_FOUND: ("173004", "运单不存在"),
    FailReason.NOT_SUPPORTED: ("173005", "该运单不支持拦截"),
    FailReason.OTHER: ("173099", "拦截失败"),
    FailReason.NO_INTERCEPT: ("173099", "无处理中的拦截申请"),
}

#: Decider faults -> envelope codes.
FAULT_CODES: Mapping[Fault, tuple[str, str]] = {
    Fault.SYSTEM_ERROR: ("145003062", "系统繁忙，请稍后重试"),
    Fault.UNAVAILABLE: ("145003062", "系统繁忙，请稍后重试"),
    Fault.TIMEOUT: ("145003062", "系统繁忙，请稍后重试"),
    Fault.RATE_LIMITED: ("145003061", "请求过于频繁，触发限流"),
    Fault.BAD_SIGNATURE: ("145003030", "headers签名校验失败"),
    Fault.MISSING_FIELD: ("145003050", "{field}不能为空"),
    Fault.NOT_FOUND: ("173004", "运单不存在"),
}

#: Intercept states of the intercept answer and push (modelled). J&T has no cancel API; a record
#: cancelled some other way is pushed as FAILED with 173099.
INTERCEPT_STATES: Mapping[InterceptStatus, str] = {
    InterceptStatus.PENDING: "PENDING",
    InterceptStatus.SUCCEEDED: "SUCCESS",
    InterceptStatus.FAILED: "FAILED",
    InterceptStatus.CANCELLED: "FAILED",
}
#: ``(failCode, failReason)`` of an intercept cancelled some other way.
CANCELLED_CODE = ("173099", "拦截已撤销")


def is_valid_waybill(waybill: str) -> bool:
    """Whether ``waybill`` is a J&T China number: ``JT`` and 12 or 13 ASCII digits."""
    return WAYBILL_RE.fullmatch(waybill) is not None


def problem_type(scan: Scan) -> str:
    """The ``problemType`` A-code of a ``PROBLEM`` scan."""
    code = scan.problem_code or ""
    if code in A_CODES:
        return code
    return PROBLEM_TYPES.get(code, _DEFAULT_PROBLEM)

"""J&T Express China (极兔) wire tables, rendering and push builders for :mod:`mockserver.carriers.jt`.

Everything here is the J&T dialect written from docs/carriers/jt.md and carriers.md §5, kept in one
place so a wrong guess is corrected once. The blueprint itself lives in :mod:`mockserver.carriers.jt`.

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

Pushes (docs/carriers/jt.md, modelled item 4): form field ``bizContent`` with headers ``apiAccount``,
``digest = base64(md5(bizContent + secret))`` and ``timestamp``; a trace push batches every given
waybill into one JSON array, an intercept push is an object with ``"type": "INTERCEPT"``. The
``timestamp`` is the time of the newest scan (trace) or of the intercept's last change (intercept), so
a push is the same bytes however often it is rebuilt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from mockserver.carriers.codec import b64_md5, china_time, compact_json, epoch_ms, form_body
from mockserver.carriers.fields import loads
from mockserver.deciders import Fault
from mockserver.pushes import PushRequest
from mockserver.world import Account, FailReason, InterceptRecord, InterceptStatus, Scan, ScanKind

__all__ = [
    "FAIL_CODES",
    "FAULT_CODES",
    "INTERCEPT_STATES",
    "NODES",
    "PLATFORM_ERRORS",
    "PROBLEM_TYPES",
    "build_intercept_push",
    "build_trace_pushes",
    "intercept_failure",
    "intercept_push_content",
    "is_push_ack",
    "problem_type",
    "render_detail",
    "trace_push_content",
    "track_entry",
]

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
_A_CODE_RE = re.compile(r"^A(?:[1-9]|1\d|2[0-1]|2[3-9]|3[0-5])$")

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
_CANCELLED = ("173099", "拦截已撤销")

_FORM = "application/x-www-form-urlencoded; charset=utf-8"


def problem_type(scan: Scan) -> str:
    """The ``problemType`` A-code of a ``PROBLEM`` scan."""
    code = scan.problem_code or ""
    if _A_CODE_RE.match(code):
        return code
    return PROBLEM_TYPES.get(code, _DEFAULT_PROBLEM)


def render_detail(scan: Scan) -> dict[str, Any]:
    """One ``details`` entry (docs/carriers/jt.md, modelled item 1).

    ``staffName``/``staffContact`` appear only when the scan has a courier/phone, ``problemType``
    only on node 11.
    """
    node, name = NODES[scan.kind]
    detail: dict[str, Any] = {
        "scanTime": china_time(scan.time),
        "scanType": name,
        "scanTypeCode": str(node),
        "desc": scan.description,
        "scanNetworkName": scan.site.name,
        "scanNetworkProvince": scan.site.province,
        "scanNetworkCity": scan.site.city,
    }
    if scan.courier:
        detail["staffName"] = scan.courier
    if scan.courier_phone:
        detail["staffContact"] = scan.courier_phone
    if scan.kind is ScanKind.PROBLEM:
        detail["problemType"] = problem_type(scan)
    return detail


def track_entry(waybill: str, scans: Sequence[Scan]) -> dict[str, Any]:
    """One element of the track ``data`` array: ``{"billCode", "details"}``, oldest first."""
    return {"billCode": waybill, "details": [render_detail(scan) for scan in scans]}


def intercept_failure(record: InterceptRecord) -> tuple[Optional[str], Optional[str]]:
    """``(failCode, failReason)`` of a record: both ``None`` unless it failed (or was cancelled)."""
    if record.status is InterceptStatus.CANCELLED:
        return _CANCELLED
    if record.status is InterceptStatus.FAILED:
        return FAIL_CODES[record.fail_reason or FailReason.OTHER]
    return None, None


def intercept_push_content(record: InterceptRecord) -> dict[str, Any]:
    """The bizContent object of the (modelled) intercept-result push."""
    code, reason = intercept_failure(record)
    return {
        "type": "INTERCEPT",
        "mailNo": record.waybill,
        "interceptId": record.id,
        "status": INTERCEPT_STATES[record.status],
        "failCode": code,
        "failReason": reason,
        "updateTime": china_time(record.updated_at),
    }


def trace_push_content(items: Sequence[tuple[str, Scan]]) -> list[dict[str, Any]]:
    """The bizContent array of a batched trace push: one entry per waybill, in first-seen order."""
    grouped: dict[str, list[Scan]] = {}
    for waybill, scan in items:
        grouped.setdefault(waybill, []).append(scan)
    return [track_entry(waybill, scans) for waybill, scans in grouped.items()]


def _push(account: Account, kind: str, waybills: tuple[str, ...], content: Any, stamp: int) -> PushRequest:
    text = compact_json(content)
    return PushRequest(
        kind=kind,
        waybills=waybills,
        headers={
            "Content-Type": _FORM,
            "apiAccount": account.app_key,
            "digest": b64_md5((text + account.app_secret).encode("utf-8")),
            "timestamp": str(stamp),
        },
        body=form_body({"bizContent": text}).encode("ascii"),
    )


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """J&T batches: one push carrying every ``(waybill, scan)`` given (none when there are none).

    Args:
        account: the subscriber's account (``apiAccount`` and signing secret).
        items: new scans, oldest first.

    Returns:
        ``[]`` or a single :class:`PushRequest` whose bizContent is a JSON array.
    """
    if not items:
        return []
    content = trace_push_content(items)
    newest = max(scan.time for _, scan in items)
    waybills = tuple(entry["billCode"] for entry in content)
    return [_push(account, "trace", waybills, content, epoch_ms(newest))]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The (modelled) intercept-result push: bizContent ``{"type": "INTERCEPT", ...}``.

    Args:
        account: the subscriber's account.
        record: the intercept, normally in its final state.
    """
    content = intercept_push_content(record)
    return _push(account, "intercept", (record.waybill,), content, epoch_ms(record.updated_at))


def is_push_ack(status: int, body: bytes) -> bool:
    """Whether an answer acknowledges a push: HTTP 200 and a JSON object with ``code`` ``"1"``.

    Args:
        status: the subscriber's HTTP status.
        body: the subscriber's answer bytes (``{"code":"1","msg":"success","data":"SUCCESS"}``).
    """
    if status != 200:
        return False
    try:
        answer = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(answer, dict):
        return False
    code = answer.get("code")
    return (code == "1" or (isinstance(code, int) and not isinstance(code, bool) and code == 1)) and (
        answer.get("data", "SUCCESS") == "SUCCESS"
    )

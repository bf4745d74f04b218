"""J&T on the wire: answer envelopes, trace rendering and the signed push builders.

Every answer is HTTP 200 ``{"code", "msg", "data", "requestId"}``; ``code`` ``"1"`` is success.
Track ``data`` is one ``{"billCode", "details"}`` entry per waybill asked for, oldest scan first.
The codes are in :mod:`mockserver.carriers.jt.codes`.

Pushes (docs/carriers/jt.md, modelled item 4): form field ``bizContent`` with headers ``apiAccount``,
``digest = base64(md5(bizContent + secret))`` and ``timestamp``; a trace push batches every given
waybill into one JSON array, an intercept push is an object with ``"type": "INTERCEPT"``. The
``timestamp`` is the time of the newest scan (trace) or of the intercept's last change (intercept), so
a push is the same bytes however often it is rebuilt.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Optional

from flask import Response

from mockserver.carriers.codec import (
    FORM_CONTENT_TYPE,
    b64_md5,
    china_time,
    compact_json,
    epoch_ms,
    form_body,
    json_object_answer,
    json_response,
)
from mockserver.carriers.exchange import CarrierFault
from mockserver.carriers.jt.codes import CANCELLED_CODE, FAIL_CODES, INTERCEPT_STATES, NODES, problem_type
from mockserver.pushes import PushRequest
from mockserver.world import Account, FailReason, InterceptRecord, InterceptStatus, Scan, ScanKind

__all__ = [
    "PUSH_TIMESTAMP_HEADER",
    "build_intercept_push",
    "build_trace_pushes",
    "intercept_failure",
    "intercept_push_content",
    "is_push_ack",
    "ok_response",
    "render_detail",
    "render_envelope",
    "trace_push_content",
    "track_entry",
]


#: The push header carrying a timestamp (epoch ms), which a ``stale_timestamp`` push fault ages.
PUSH_TIMESTAMP_HEADER = "timestamp"


def _envelope(code: str, msg: str, data: Any) -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": data, "requestId": uuid.uuid4().hex}


def _json(payload: Any) -> Response:
    return json_response(payload)


def render_envelope(fault: CarrierFault) -> Response:
    """A failure answer: the fault's ``code`` and ``msg``, ``data`` null."""
    answer = _json(_envelope(fault.code, fault.message, None))
    answer.status_code = fault.http_status
    return answer


def ok_response(data: Any) -> Response:
    """A success answer (``code`` ``"1"``) around ``data``."""
    return _json(_envelope("1", "success", data))


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
        return CANCELLED_CODE
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
            "Content-Type": FORM_CONTENT_TYPE,
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
    answer = json_object_answer(status, body)
    if answer is None:
        return False
    code = answer.get("code")
    return (code == "1" or (isinstance(code, int) and not isinstance(code, bool) and code == 1)) and (
        answer.get("data", "SUCCESS") == "SUCCESS"
    )

"""J&T on the wire: answer envelopes, trace rendering and the signed push builders.

Every answer is HTTP 200 ``{"code", "msg", "data", "requestId"}``; ``code`` ``"1"`` is success.
Track ``data`` is one ``{"billCode", "details"}`` entry per waybill asked for, oldest scan first.
The codes are in :mod:`mockserver.carriers.jt.codes`.

Subscribe answers ``data: {"list": [{"id", "waybillCode", "isSuccess", "traceNode"}]}``, one entry
per waybill subscribed (maxbetas/jtexpress ``types.go`` ``SubscribeResponseData``).

Pushes (docs/carriers/jt.md, modelled item 4): form field ``bizContent`` with headers ``apiAccount``,
``digest = base64(md5(bizContent + secret))`` and ``timestamp``; a trace push batches every given
waybill into one JSON array (the default), or, with the account setting ``extra["jt_push_shape"] =
"object"``, is one push per waybill whose bizContent is one ``{"billCode", "txlogisticId",
"details"}`` object (the J&T statusFeedback docs of another tenant). An intercept push is an
object with ``"type": "INTERCEPT"``. The ``timestamp`` is the time of the newest scan (trace) or
of the intercept's last change (intercept), so a push is the same bytes however often it is rebuilt.
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
    json_response_with_data,
)
from mockserver.carriers.exchange import CarrierFault
from mockserver.carriers.jt.codes import (
    CANCELLED_CODE,
    DEFAULT_PUSH_SHAPE,
    FAIL_CODES,
    INTERCEPT_STATES,
    NODES,
    PUSH_SHAPE_SETTING,
    PUSH_SHAPES,
    problem_type,
)
from mockserver.carriers.settings import SettingError, account_setting
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
    "ok_response_with_data",
    "push_shape",
    "render_detail",
    "render_envelope",
    "subscribe_data",
    "trace_push_content",
    "trace_push_object",
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


def ok_response_with_data(data_json: str) -> Response:
    """:func:`ok_response` of the data whose JSON text is ``data_json`` (a fresh ``requestId``)."""
    return json_response_with_data(_envelope("1", "success", None), data_json)


def subscribe_data(account: Account, subscribed: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``data`` of a subscribe answer: one ``{id, waybillCode, isSuccess, traceNode}`` per waybill.

    ``id`` is the account (the request's ``id``) as a string, ``traceNode`` the nodes asked for.
    """
    return {
        "list": [
            {"id": account.app_key, "waybillCode": waybill, "isSuccess": True, "traceNode": nodes}
            for waybill, nodes in subscribed
        ]
    }


def push_shape(account: Account) -> str:
    """The account's trace push shape (``extra["jt_push_shape"]``): ``array`` unless set.

    Raises:
        SettingError: the setting names no shape.
    """
    return account_setting(account, PUSH_SHAPE_SETTING, PUSH_SHAPES)


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


def trace_push_object(waybill: str, scans: Sequence[Scan]) -> dict[str, Any]:
    """The bizContent object of a one-waybill trace push (``jt_push_shape`` ``object``).

    ``txlogisticId`` (the customer's order number) is the waybill, as in the tenant's example: the
    mock keeps no order numbers.
    """
    return {"billCode": waybill, "txlogisticId": waybill, "details": [render_detail(scan) for scan in scans]}


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
    """J&T's trace pushes for ``items``, in the account's push shape (none when there are none).

    ``array``: one push carrying every ``(waybill, scan)`` given, bizContent a JSON array.
    ``object``: one push per waybill, in first-seen order, bizContent one object. A setting that
    names no shape pushes arrays (the account's carrier calls already answer the setting's error).

    Args:
        account: the subscriber's account (``apiAccount``, signing secret and push shape).
        items: new scans, oldest first.
    """
    if not items:
        return []
    try:
        shape = push_shape(account)
    except SettingError:
        shape = DEFAULT_PUSH_SHAPE
    if shape == "object":
        grouped: dict[str, list[Scan]] = {}
        for waybill, scan in items:
            grouped.setdefault(waybill, []).append(scan)
        return [
            _push(
                account,
                "trace",
                (waybill,),
                trace_push_object(waybill, scans),
                epoch_ms(max(scan.time for scan in scans)),
            )
            for waybill, scans in grouped.items()
        ]
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

"""YTO on the wire: answer envelopes, track entries and the signed (modelled) push builders.

Answers are HTTP 200. Track success is a bare JSON array of scans, oldest first; no scans is
``{"code": "1001", "map": {"YT…": []}, "message": "查询结果为空。", "success": true}``.
Subscribe, intercept, change address and cancel answer ``{"success": true, "statusCode": 0,
"code": "0", "message": "成功"}`` (plus ``data: {"waybillNo", "wantedId"}`` for the last three);
refusals ``{"success": false, "statusCode": <int>, "code": "<code>", "message"}`` (the integer
``statusCode`` only for the intercept refusal codes). The codes are in
:mod:`mockserver.carriers.yto.codes`.

Pushes (modelled): form ``logistics_interface`` (JSON), ``data_digest = base64(md5(
logistics_interface + app_secret))``, ``type`` (``TRACE``: one track entry per push; ``INTERCEPT``:
``{"waybillNo", "wantedId", "status", "failCode", "failReason", "updateTime"}``) and ``clientId``;
acknowledged by HTTP 200 ``{"success": true, "code": "0", …}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Optional

from flask import Response

from mockserver.carriers.codec import (
    b64_md5,
    china_time,
    compact_json,
    form_push,
    json_object_answer,
    json_response,
)
from mockserver.carriers.exchange import CarrierFault
from mockserver.carriers.yto.codes import FAIL_CODES, INFO_CONTENT, PUSH_STATUS
from mockserver.pushes import PushRequest
from mockserver.world import Account, FailReason, InterceptRecord, InterceptStatus, Scan
from mockserver.world.geo import Place, Site, city_for

__all__ = [
    "build_intercept_push",
    "build_trace_pushes",
    "client_id_of",
    "intercept_push_data",
    "intercept_push_form",
    "is_push_ack",
    "no_data_response",
    "ok_response",
    "render_envelope",
    "render_scan",
    "trace_push_form",
]

#: Codes answered with an integer ``statusCode`` next to ``code`` (intercept answers).
_STATUS_CODES = frozenset(code for code, _ in FAIL_CODES.values())


def render_envelope(fault: CarrierFault) -> Response:
    """A failure answer ``{"success": false, ["statusCode",] "code", "message"}``."""
    payload: dict[str, Any] = {"success": False}
    if fault.code in _STATUS_CODES:
        payload["statusCode"] = int(fault.code)
    payload.update(code=fault.code, message=fault.message)
    return json_response(payload, status=fault.http_status)


def ok_response(data: Optional[Mapping[str, Any]] = None) -> Response:
    """A success answer, with ``data`` when given."""
    payload: dict[str, Any] = {"success": True, "statusCode": 0, "code": "0", "message": "成功"}
    if data is not None:
        payload["data"] = dict(data)
    return json_response(payload)


def no_data_response(waybill: str) -> Response:
    """The track answer for a waybill without scans."""
    return json_response({"code": "1001", "map": {waybill: []}, "message": "查询结果为空。", "success": True})


def client_id_of(account: Account) -> str:
    """The account's YTO ``client_id``: ``extra["client_id"]``, else its app key (partner code)."""
    value = account.extra.get("client_id")
    return str(value) if value else account.app_key


def _district(site: Site) -> str:
    city = city_for(Place(province=site.province, city=site.city))
    return next((district for district in city.districts if district in site.name), "")


def render_scan(waybill: str, scan: Scan) -> dict[str, Any]:
    """One track entry (docs/carriers/yto.md, modelled item 1); also the TRACE push data.

    ``processInfo`` starts with the site in 【】 as YTO's texts do.
    """
    text = scan.description
    if not text.startswith("【"):
        text = f"【{scan.site.name}】 {text}"
    return {
        "waybill_No": waybill,
        "upload_Time": china_time(scan.time),
        "infoContent": INFO_CONTENT[scan.kind],
        "processInfo": text,
        "city": scan.site.city,
        "district": _district(scan.site),
    }


def intercept_push_data(record: InterceptRecord) -> dict[str, Any]:
    """The INTERCEPT push's ``logistics_interface`` object for an intercept's final state."""
    code: Optional[str] = None
    reason: Optional[str] = None
    if record.status is InterceptStatus.FAILED:
        code, reason = FAIL_CODES[record.fail_reason or FailReason.OTHER]
    return {
        "waybillNo": record.waybill,
        "wantedId": record.external_ref,
        "status": PUSH_STATUS[record.status],
        "failCode": code,
        "failReason": reason,
        "updateTime": china_time(record.updated_at),
    }


def _push_form(account: Account, kind: str, data: Mapping[str, Any]) -> dict[str, str]:
    text = compact_json(data)
    return {
        "logistics_interface": text,
        "data_digest": b64_md5((text + account.app_secret).encode("utf-8")),
        "type": kind,
        "clientId": client_id_of(account),
    }


def trace_push_form(account: Account, waybill: str, scan: Scan) -> dict[str, str]:
    """Form fields of a TRACE push carrying one scan; encode with ``form_body``."""
    return _push_form(account, "TRACE", render_scan(waybill, scan))


def intercept_push_form(account: Account, record: InterceptRecord) -> dict[str, str]:
    """Form fields of an INTERCEPT push carrying the intercept's result."""
    return _push_form(account, "INTERCEPT", intercept_push_data(record))


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """One TRACE push per scan, oldest first (YTO pushes one event per request)."""
    return [form_push("trace", waybill, trace_push_form(account, waybill, scan)) for waybill, scan in items]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The INTERCEPT push of an intercept's final result (``SUCCESS``/``FAILED``/``CANCELLED``)."""
    return form_push("intercept", record.waybill, intercept_push_form(account, record))


def is_push_ack(status: int, body: bytes) -> bool:
    """Whether a subscriber acknowledged a push: HTTP 200, ``success: true`` and ``code`` "0" if given."""
    answer = json_object_answer(status, body)
    if answer is None or answer.get("success") is not True:
        return False
    return "code" not in answer or str(answer["code"]) == "0"

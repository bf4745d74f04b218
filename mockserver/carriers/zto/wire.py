"""ZTO on the wire: answer envelopes, scan rendering and the signed push builders.

Answers are ``{"result", "message", "status", "statusCode"}`` with HTTP 200, success
``SYS000``/``成功`` (docs/carriers/zto.md); the codes they carry are in
:mod:`mockserver.carriers.zto.codes`.

Pushes are form posts (``company_id``, ``msg_type``, ``data``, ``data_digest =
base64(md5(data + app_secret))``), one scan per request; an acknowledgement is HTTP 200 with
``"status": true``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask import Response

from mockserver.carriers.codec import (
    b64_md5,
    china_time,
    compact_json,
    epoch_ms,
    form_push,
    json_object_answer,
    json_response,
)
from mockserver.carriers.exchange import CarrierFault
from mockserver.carriers.zto.codes import FAIL_CODES, INTERCEPT_STATUS, PUSH_ACTIONS, SCAN_TYPES
from mockserver.pushes import PushRequest
from mockserver.world import Account, InterceptRecord, InterceptStatus, Scan, ScanKind

__all__ = [
    "build_intercept_push",
    "build_trace_pushes",
    "intercept_push_form",
    "intercept_status_result",
    "is_push_ack",
    "ok_response",
    "render_envelope",
    "render_scan",
    "trace_push_form",
]


def render_envelope(fault: CarrierFault) -> Response:
    """A failure answer: ``result`` null, ``status`` false, the fault's code and message."""
    return json_response(
        {"result": None, "message": fault.message, "status": False, "statusCode": fault.code},
        status=fault.http_status,
    )


def ok_response(result: Any) -> Response:
    """A success answer around ``result``."""
    return json_response({"result": result, "message": "成功", "status": True, "statusCode": "SYS000"})


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


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """ZTO pushes one scan per request (observed on the wire)."""
    return [
        form_push("trace", waybill, trace_push_form(account.app_key, account.app_secret, waybill, scan))
        for waybill, scan in items
    ]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The modelled ``msg_type=InterceptResult`` push."""
    fields = intercept_push_form(account.app_key, account.app_secret, record)
    return form_push("intercept", record.waybill, fields)


def is_push_ack(status: int, body: bytes) -> bool:
    """Whether a subscriber's answer to a push acknowledges it (HTTP 200, ``status: true``)."""
    answer = json_object_answer(status, body)
    return answer is not None and answer.get("status") is True

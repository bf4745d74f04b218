"""YTO wire vocabulary for the mock: raw code tables, scan rendering and the (modelled) push builders.

Kept apart from the blueprint (:mod:`mockserver.carriers.yto`, whose docstring documents the whole
contract) so the codes live in one place and can be corrected against YTO's real documents.

``INFO_CONTENT`` renders neutral scan kinds as YTO's ``infoContent`` track codes (carriers.md
§3.4). A return leg (docs/carriers/yto.md, "Return leg") is ``TMS_RETURN`` scans ending with the
ordinary ``SIGNED`` scan signed by the sender; clients read a sign scan after a return scan as
returned, so the parcel never looks delivered to its recipient.
``FAIL_CODES`` are the modelled intercept refusal codes of docs/carriers/yto.md (item 3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Optional

from mockserver.carriers.codec import b64_md5, china_time, compact_json, form_body
from mockserver.carriers.fields import loads
from mockserver.pushes import PushRequest
from mockserver.world import Account, FailReason, InterceptRecord, InterceptStatus, Scan, ScanKind
from mockserver.world.geo import Place, Site, city_for

__all__ = [
    "FAIL_CODES",
    "INFO_CONTENT",
    "PUSH_STATUS",
    "SLUG",
    "build_intercept_push",
    "build_trace_pushes",
    "client_id_of",
    "intercept_push_data",
    "intercept_push_form",
    "is_push_ack",
    "is_valid_waybill",
    "render_scan",
    "trace_push_form",
]

SLUG = "yto"
WAYBILL_RE = re.compile(r"^YT\d{13}$")

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
    FailReason.DUPLICATE: ("2003", "该运单已有拦截中的工单，请勿重复提交"),
    FailReason.NOT_FOUND: ("2004", "运单不存在"),
    FailReason.NOT_SUPPORTED: ("2005", "该运单不支持拦截"),
    FailReason.NO_INTERCEPT: ("2006", "无可取消的拦截"),
    FailReason.OTHER: ("2099", "拦截申请被拒绝"),
}

PUSH_STATUS: Mapping[InterceptStatus, str] = {
    InterceptStatus.PENDING: "PENDING",  # never pushed: only final results are
    InterceptStatus.SUCCEEDED: "SUCCESS",
    InterceptStatus.FAILED: "FAILED",
    InterceptStatus.CANCELLED: "CANCELLED",
}

_FORM_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


def is_valid_waybill(waybill: str) -> bool:
    """Whether ``waybill`` is a YTO number: ``YT`` and 13 digits."""
    return bool(WAYBILL_RE.match(waybill))


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


def _push_request(kind: str, waybill: str, fields: Mapping[str, str]) -> PushRequest:
    return PushRequest(
        kind=kind,
        waybills=(waybill,),
        headers={"Content-Type": _FORM_TYPE},
        body=form_body(fields).encode("ascii"),
    )


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """One TRACE push per scan, oldest first (YTO pushes one event per request)."""
    return [
        _push_request("trace", waybill, trace_push_form(account, waybill, scan)) for waybill, scan in items
    ]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The INTERCEPT push of an intercept's final result (``SUCCESS``/``FAILED``/``CANCELLED``)."""
    return _push_request("intercept", record.waybill, intercept_push_form(account, record))


def is_push_ack(status: int, body: bytes) -> bool:
    """Whether a subscriber acknowledged a push: HTTP 200, ``success: true`` and ``code`` "0" if given."""
    if status != 200:
        return False
    try:
        answer = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    if not isinstance(answer, dict) or answer.get("success") is not True:
        return False
    return "code" not in answer or str(answer["code"]) == "0"

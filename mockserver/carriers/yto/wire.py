"""YTO on the wire: answer envelopes, track entries and the signed (modelled) push builders.

Answers are HTTP 200. Track success is a bare JSON array of scans, oldest first; no scans is
``{"code": "1001", "map": {"YT…": []}, "message": "查询结果为空。", "success": true}``.

The other answers depend on the account's answer style (``extra["yto_answers"]``,
docs/carriers/yto.md "Answer styles"; the public shapes are those syships/php-express
``LogisticsGateway::formatResponse`` met):

================================  ==================================================================
answer                            ``real`` (the default) / ``loose``
================================  ==================================================================
bad signature                     ``{"success": false, "code": 401, "reason"}`` (public) / the same
duplicate intercept               ``{"statusCode": 1, "statusMessage"}`` (public) / the same
other intercept/cancel refusals   ``{"success": false, "statusCode": <int>, "code", "message"}``
                                  (modelled) / ``{"statusCode": 1, "statusMessage"}``
other errors                      ``{"success": false, "code", "message"}`` (modelled) / the same
accepted                          ``{"success": true, "statusCode": 0, "code": "0", "message": "成功"}``
                                  and ``data`` (modelled) / ``{"waybillNo", "success": true}`` (public)
================================  ==================================================================

``modelled`` answers every error ``{"success": false, ["statusCode",] "code", "message"}`` (a bad
signature ``S01``) and accepts as ``real`` does. ``data`` is ``{"waybillNo", "wantedId"}`` for
intercept, change address and cancel. The codes are in :mod:`mockserver.carriers.yto.codes`.

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
from mockserver.carriers.settings import account_setting
from mockserver.carriers.yto.codes import (
    ANSWER_STYLE_SETTING,
    ANSWER_STYLES,
    BAD_SIGNATURE,
    DEFAULT_ANSWER_STYLE,
    FAIL_CODES,
    INFO_CONTENT,
    MODELLED_BAD_SIGNATURE,
    PUSH_STATUS,
    STATUS_REFUSAL_CODE,
)
from mockserver.pushes import PushRequest
from mockserver.world import Account, FailReason, InterceptRecord, InterceptStatus, Scan
from mockserver.world.geo import Place, Site, city_for

__all__ = [
    "answer_style",
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
_DUPLICATE_CODE = FAIL_CODES[FailReason.DUPLICATE][0]


def answer_style(account: Optional[Account]) -> str:
    """The account's answer style (``extra["yto_answers"]``); ``real`` without an account.

    Raises:
        SettingError: the setting names no style.
    """
    return account_setting(account, ANSWER_STYLE_SETTING, ANSWER_STYLES)


def _status_envelope(message: str) -> dict[str, Any]:
    return {"statusCode": STATUS_REFUSAL_CODE, "statusMessage": message}


def render_envelope(
    fault: CarrierFault, style: str = DEFAULT_ANSWER_STYLE, *, intercepting: bool = True
) -> Response:
    """A failure answer in the account's answer ``style`` (see the module docstring).

    ``intercepting``: the request is an intercept, change of address or cancel, whose refusals
    the ``loose`` style answers in the ``statusCode`` envelope (the public one is an intercept's).
    """
    payload: dict[str, Any]
    if fault.code in (BAD_SIGNATURE[0], MODELLED_BAD_SIGNATURE[0]):
        # A Decider's own wording is kept; the standard text is the style's.
        standard = fault.message in (BAD_SIGNATURE[1], MODELLED_BAD_SIGNATURE[1])
        if style == "modelled":
            code, text = MODELLED_BAD_SIGNATURE
            payload = {"success": False, "code": code, "message": text if standard else fault.message}
        else:
            text = BAD_SIGNATURE[1] if standard else fault.message
            payload = {"success": False, "code": int(BAD_SIGNATURE[0]), "reason": text}
    elif fault.code in _STATUS_CODES and (
        (style == "loose" and intercepting) or (style == "real" and fault.code == _DUPLICATE_CODE)
    ):
        payload = _status_envelope(fault.message)
    else:
        payload = {"success": False}
        if fault.code in _STATUS_CODES:
            payload["statusCode"] = int(fault.code)
        payload.update(code=fault.code, message=fault.message)
    return json_response(payload, status=fault.http_status)


def ok_response(
    data: Optional[Mapping[str, Any]] = None,
    *,
    style: str = DEFAULT_ANSWER_STYLE,
    waybill: Optional[str] = None,
) -> Response:
    """A success answer, with ``data`` when given; ``loose``: ``{"waybillNo", "success": true}``."""
    if style == "loose":
        loose: dict[str, Any] = {"waybillNo": waybill} if waybill is not None else {}
        loose["success"] = True
        return json_response(loose)
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

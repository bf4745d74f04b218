"""ZTO (中通, ZOP gateway) mock: ``POST /zto/<apiName>`` per docs/carriers/zto.md, plus push builders.

Wire contract (docs/carriers/zto.md): JSON body, app key in ``x-appKey`` (or the official SDK's
``x-companyid``), ``x-dataDigest = base64(md5(raw_body + app_secret))``; answers are
``{"result", "message", "status", "statusCode"}`` with HTTP 200, success ``SYS000``/``成功``.

Checks, in order (first failure answers):
    ===========================================  ======  ===================================
    problem                                       code    message
    ===========================================  ======  ===================================
    no ``x-appKey``/``x-companyid`` header        S208    x-appKey不能为空
    no ``x-dataDigest`` header                    S208    x-dataDigest不能为空
    unknown app key (chosen over S211)            S210    无权限访问
    digest mismatch                               S211    签名错误
    unknown apiName                               S207    API不存在
    body not a JSON object                        S208    请求体必须是JSON对象
    required field missing/empty                  S208    <field>不能为空
    field of the wrong type                       S208    <field>格式错误
    malformed billCode                            E416    不符合中通运单号规则校验
    ``mobilePhone`` given but not 4 digits        E413    请输入收寄人任一方电话号码后4位
    ``destinationType`` not 1-4                   E23108  无效的拦截、退改方式
    bad ``receivePhone`` (types 3, 4)             E23148 / E23149 (virtual) / E23150 (> 16)
    unexpected exception                          S202    发生错误
    ===========================================  ======  ===================================

Waybills: 14 digits matching ``^7[3-68]\\d{12}$``, or legacy 12 digits.
``destinationType``: 1 and 2 are modelled as a return to the sender, 3 and 4 as a change of
delivery address (4 = "return to a given address" is a redirect to that address).

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
    PROBLEM           问题件      PROBLEM (modelled)
    RETURN            退件        RETURN (modelled)
    RETURN_TRANSIT    退件        RETURN (modelled)
    RETURNED          退件签收    RETURN_SIGNED (modelled); ``signMan``/``expressSigner`` 寄件人
    ================  ==========  ================================================================

LOCKER_IN uses the query API's English third-party locker type (carriers.md §2.5) and RETURNED
the 退件签收 type found in public ZTO client code, so a client can tell a locker drop-off and a
parcel signed back by its sender from a delivery.

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
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from flask import Blueprint, Response, request

from mockserver.carriers._dialect import Dialect
from mockserver.carriers._dialect import fault as _fault
from mockserver.carriers._envelope import (
    CarrierFault,
    Decision,
    Fault,
    Operation,
    b64_md5,
    china_time,
    compact_json,
    digest_matches,
    epoch_ms,
    exchange,
    form_body,
    json_response,
    services,
)
from mockserver.carriers._fields import (
    json_object,
    loads,
    peek_text,
    required_text,
    text_field,
)
from mockserver.carriers._push import PushRequest
from mockserver.domain import (
    Account,
    Address,
    FailReason,
    InterceptKind,
    InterceptRecord,
    InterceptStatus,
    Scan,
    ScanKind,
)
from mockserver.operations import InterceptRequest

__all__ = [
    "APIS",
    "SCAN_TYPES",
    "SLUG",
    "bp",
    "intercept_push_form",
    "intercept_status_result",
    "is_push_ack",
    "is_valid_waybill",
    "render_scan",
    "trace_push_form",
]

SLUG = "zto"
WAYBILL_RE = re.compile(r"^(?:7[3-68]\d{12}|\d{12})$")

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
    ScanKind.RETURN: "RETURN",
    ScanKind.RETURN_TRANSIT: "RETURN",
    ScanKind.RETURNED: "RETURN_SIGNED",
}

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

_DESTINATION_KINDS = {
    1: InterceptKind.RETURN,
    2: InterceptKind.RETURN,
    3: InterceptKind.CHANGE_ADDRESS,
    4: InterceptKind.CHANGE_ADDRESS,
}
_E23108 = ("E23108", "无效的拦截、退改方式")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_VIRTUAL_RE = re.compile(r"^1\d{10}[-_,#转]\d{1,6}$")


def is_valid_waybill(waybill: str) -> bool:
    """Whether ``waybill`` is a ZTO number: 14 digits ``7[3-68]…`` or a legacy 12-digit one."""
    return bool(WAYBILL_RE.match(waybill))


def _render_envelope(fault: CarrierFault) -> Response:
    return json_response({"result": None, "message": fault.message, "status": False,
                          "statusCode": fault.code}, status=fault.http_status)


def _ok(result: Any) -> Response:
    return json_response({"result": result, "message": "成功", "status": True,
                          "statusCode": "SYS000"})


bp = Blueprint("zto", __name__)


# -- request parsing ---------------------------------------------------------------------------


def _authenticate(raw: bytes) -> Account:
    note = exchange()
    app_key = (request.headers.get("x-appKey") or request.headers.get("x-companyid") or "").strip()
    if not app_key:
        raise _fault("S208", "x-appKey不能为空")
    note.app_key = app_key
    digest = (request.headers.get("x-dataDigest") or "").strip()
    if not digest:
        raise _fault("S208", "x-dataDigest不能为空")
    account = services().ops.account(SLUG, app_key)
    if account is None:
        raise _fault("S210", "无权限访问")
    note.secret = account.app_secret
    if not digest_matches(b64_md5(raw + account.app_secret.encode("utf-8")), digest):
        raise _fault("S211", "签名错误")
    return account


def _waybill(body: Mapping[str, Any]) -> str:
    waybill = required_text(body, "billCode")
    if not is_valid_waybill(waybill):
        raise _fault("E416", "不符合中通运单号规则校验")
    exchange().waybill = waybill
    return waybill


def _destination_type(body: Mapping[str, Any]) -> InterceptKind:
    value = body.get("destinationType")
    if value is None or value == "":
        raise _fault("S208", "destinationType不能为空")
    try:
        number = int(value) if not isinstance(value, bool) else -1
    except (TypeError, ValueError, OverflowError):  # OverflowError: JSON 1e999 is float("inf")
        number = -1
    if number not in _DESTINATION_KINDS or isinstance(value, float):
        raise _fault(*_E23108)
    return _DESTINATION_KINDS[number]


def _phone(value: str) -> str:
    if len(value) > 16:
        raise _fault("E23150", "收件人电话长度不能超过16位")
    if _VIRTUAL_RE.match(value):
        raise _fault("E23149", "收件人电话不能为虚拟号")
    if not (_MOBILE_RE.match(value) or _LANDLINE_RE.match(value)):
        raise _fault("E23148", "收件人电话格式不正确")
    return value


def _new_address(body: Mapping[str, Any]) -> Address:
    fields = {name: required_text(body, name) for name in (
        "receiveUsername", "receivePhone", "receiveProvince", "receiveCity", "receiveAddress")}
    return Address(
        name=fields["receiveUsername"],
        phone=_phone(fields["receivePhone"]),
        province=fields["receiveProvince"],
        city=fields["receiveCity"],
        district=text_field(body, "receiveDistrict", required=False) or "",
        detail=fields["receiveAddress"],
    )


DIALECT = Dialect(fail_codes=FAIL_CODES, fault_codes=FAULT_CODES, render_envelope=_render_envelope,
                  field_code="S208", bad_body="请求体必须是JSON对象")
DIALECT.install(bp)


# -- rendering ---------------------------------------------------------------------------------


def render_scan(waybill: str, scan: Scan) -> dict[str, Any]:
    """One entry of the track ``result`` array (docs/carriers/zto.md, modelled item 1)."""
    item: dict[str, Any] = {
        "billCode": waybill,
        "scanType": SCAN_TYPES[scan.kind],
        "scanDate": epoch_ms(scan.time),
        "scanSite": {"name": scan.site.name, "code": scan.site.code, "city": scan.site.city,
                     "prov": scan.site.province},
        "desc": scan.description,
    }
    if scan.kind in (ScanKind.SIGNED, ScanKind.RETURNED):
        item["signMan"] = scan.signer or ""
    if scan.next_site is not None:
        item["preOrNextSite"] = {"name": scan.next_site.name, "city": scan.next_site.city,
                                 "prov": scan.next_site.province}
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


def _push_request(kind: str, waybill: str, fields: Mapping[str, str]) -> PushRequest:
    return PushRequest(
        kind=kind,
        waybills=(waybill,),
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
        body=form_body(fields).encode("ascii"),
    )


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """ZTO pushes one scan per request (observed on the wire)."""
    return [
        _push_request("trace", waybill, trace_push_form(account.app_key, account.app_secret, waybill, scan))
        for waybill, scan in items
    ]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The modelled ``msg_type=InterceptResult`` push."""
    fields = intercept_push_form(account.app_key, account.app_secret, record)
    return _push_request("intercept", record.waybill, fields)


def is_push_ack(status: int, body: bytes) -> bool:
    """Whether a subscriber's answer to a push acknowledges it (HTTP 200, ``status: true``)."""
    if status != 200:
        return False
    try:
        answer = loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(answer, dict) and answer.get("status") is True


# -- operations --------------------------------------------------------------------------------


def _track(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body)
    phone = text_field(body, "mobilePhone", required=False)
    if phone is not None and not re.fullmatch(r"\d{4}", phone):
        raise _fault("E413", "请输入收寄人任一方电话号码后4位")
    scans = services().ops.trace(account, waybill)
    return _ok([render_scan(waybill, scan) for scan in scans])


def _subscribe(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body)
    services().ops.subscribe(account, waybill)
    return _ok(None)


def _create_intercept(
    account: Account, body: Mapping[str, Any], decision: Optional[Decision]
) -> Response:
    waybill = _waybill(body)
    request_id = required_text(body, "requestId")
    kind = _destination_type(body)
    address = _new_address(body) if kind is InterceptKind.CHANGE_ADDRESS else None
    external_ref = text_field(body, "thirdBizNo", required=False) or request_id
    DIALECT.reject(decision)
    outcome = services().ops.create_intercept(account, InterceptRequest(
        waybill=waybill, kind=kind, request_id=request_id, external_ref=external_ref,
        new_address=address), decision.intercept if decision is not None else None)
    if outcome.fail_reason is not None or outcome.record is None:
        raise DIALECT.refusal(outcome.fail_reason)
    status, name = INTERCEPT_STATUS[outcome.record.status]
    return _ok({"billCode": waybill, "thirdBizNo": outcome.record.external_ref,
                "status": status, "statusName": name})


def _cancel_intercept(
    account: Account, body: Mapping[str, Any], decision: Optional[Decision]
) -> Response:
    waybill = _waybill(body)
    external_ref = text_field(body, "thirdBizNo", required=False)
    text_field(body, "dealRemark", required=False)
    DIALECT.reject(decision)
    outcome = services().ops.cancel_intercept(account, waybill, external_ref=external_ref)
    if outcome.fail_reason is not None:
        raise DIALECT.refusal(outcome.fail_reason)
    return _ok(None)


def _intercept_status(
    account: Account, body: Mapping[str, Any], decision: Optional[Decision]
) -> Response:
    waybill = _waybill(body)
    record = services().ops.latest_intercept(account, waybill)
    if record is None:
        raise DIALECT.refusal(FailReason.NOT_FOUND)
    return _ok(intercept_status_result(record))


_Handler = Callable[[Account, Mapping[str, Any], Optional[Decision]], Response]
_HANDLERS: Mapping[Operation, _Handler] = {
    Operation.TRACK: _track,
    Operation.SUBSCRIBE: _subscribe,
    Operation.INTERCEPT: _create_intercept,
    Operation.CANCEL_INTERCEPT: _cancel_intercept,
    Operation.INTERCEPT_STATUS: _intercept_status,
}


# merge_slashes=False: "/zto//x" is an unknown route (JSON 404), not an HTML redirect to "/zto/x".
@bp.post("/<path:api_name>", merge_slashes=False)
def gateway(api_name: str) -> Response:
    """The ZOP gateway: ``POST /zto/<apiName>``."""
    raw = request.get_data(cache=True)
    note = exchange()
    # Note what the request is about before checking it, so rejected requests are journalled
    # with their operation and waybill too.
    note.operation = APIS.get(api_name, Operation.UNKNOWN)
    note.waybill = peek_text(raw, "billCode")
    account = _authenticate(raw)
    operation = APIS.get(api_name)
    if operation is None:
        raise _fault("S207", "API不存在")
    body = json_object(raw)
    return DIALECT.answer(operation, app_key=account.app_key, waybill=note.waybill,
                          default_field="billCode",
                          handler=lambda decision: _HANDLERS[operation](account, body, decision))

"""ZTO (中通, ZOP gateway) blueprint: authentication, request checks, operations of ``POST /zto/<apiName>``.

Wire contract (docs/carriers/zto.md): a JSON body, or a form (``application/x-www-form-urlencoded``,
the official SDK's ``addParam``/``setData``); app key in ``x-appKey`` (or the official SDK's
``x-companyid``), ``x-dataDigest = base64(md5(text + app_secret))`` where ``text`` is the raw JSON
body or the form's decoded ``k=v&…`` pairs in the order sent; the account's ``zop_sign*`` settings
choose the ZOP console's other digests (:mod:`mockserver.carriers.zto.signing`). Answers are
``{"result", "message", "status", "statusCode"}`` with HTTP 200, success ``SYS000``/``成功``.

Checks, in order (first failure answers):
    ===========================================  ======  ===================================
    problem                                       code    message
    ===========================================  ======  ===================================
    no ``x-appKey``/``x-companyid`` header        S208    x-appKey不能为空
    no ``x-dataDigest`` header                    S208    x-dataDigest不能为空
    unknown app key (chosen over S211)            S210    无权限访问
    unknown ``zop_sign*`` account setting         S211    签名错误: mock account setting …
    no ``x-timestamp`` (``zop_sign_timestamp``)   S208    x-timestamp不能为空
    form body not UTF-8 (form mode)               S208    请求体必须是UTF-8编码的表单
    form field sent twice (form mode)             S208    <field>重复
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

``mobilePhone`` (the last 4 digits of the sender's or receiver's phone) is optional on track and
subscribe alike.

Waybills: see :mod:`mockserver.carriers.zto.codes` (14 digits ``7[3-68]…`` or legacy 12 digits).
``destinationType``: 1 and 2 are modelled as a return to the sender, 3 and 4 as a change of
delivery address (4 = "return to a given address" is a redirect to that address).

The code tables (API names, scan types, push actions, refusal, status and fault codes) live in
:mod:`mockserver.carriers.zto.codes`; answer envelopes, scan rendering and the push builders in
:mod:`mockserver.carriers.zto.wire`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Callable, Optional

from flask import Blueprint, Response

from mockserver.carriers.codec import AnswerCache, digest_matches, form_pairs
from mockserver.carriers.dialect import Dialect
from mockserver.carriers.dialect import fault as _fault
from mockserver.carriers.exchange import Exchange, exchange
from mockserver.carriers.fields import (
    json_object,
    maybe_json_object,
    peek_field,
    required_text,
    text_field,
)
from mockserver.carriers.zto.codes import (
    APIS,
    FAIL_CODES,
    FAULT_CODES,
    INTERCEPT_STATUS,
    SLUG,
    is_valid_waybill,
)
from mockserver.carriers.zto.signing import SignSettingError, form_signed_text, sign_options
from mockserver.carriers.zto.wire import intercept_status_result, ok_response, render_envelope, render_scan
from mockserver.deciders import Decision, Operation
from mockserver.services import get_services
from mockserver.simulator import InterceptRequest
from mockserver.world import Account, Address, FailReason, InterceptKind

__all__ = ["DIALECT", "bp", "gateway"]

_DESTINATION_KINDS = {
    1: InterceptKind.RETURN,
    2: InterceptKind.RETURN,
    3: InterceptKind.CHANGE_ADDRESS,
    4: InterceptKind.CHANGE_ADDRESS,
}
_E23108 = ("E23108", "无效的拦截、退改方式")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_PHONE_TAIL_RE = re.compile(r"[0-9]{4}")
_VIRTUAL_RE = re.compile(r"^1\d{10}[-_,#转]\d{1,6}$")
#: Track answers by (app key, waybill), sent again while the visible scans are the same.
_TRACKS = AnswerCache()


bp = Blueprint("zto", __name__)


# -- request parsing ---------------------------------------------------------------------------


def _authenticate(note: Exchange, signed: Callable[[], bytes]) -> Account:
    """Check the app key and the digest of ``signed()`` (the raw JSON body or the decoded form)."""
    environ = note.request.environ  # request.headers.get("x-appKey") is environ["HTTP_X_APPKEY"]
    app_key = (environ.get("HTTP_X_APPKEY") or environ.get("HTTP_X_COMPANYID") or "").strip()
    if not app_key:
        raise _fault("S208", "x-appKey不能为空")
    note.app_key = app_key
    digest = (environ.get("HTTP_X_DATADIGEST") or "").strip()
    if not digest:
        raise _fault("S208", "x-dataDigest不能为空")
    account = note.hub.simulator.account(SLUG, app_key)
    if account is None:
        raise _fault("S210", "无权限访问")
    note.secret = account.app_secret
    try:
        options = sign_options(account.extra)
    except SignSettingError as problem:  # the QA's account setting, named in the answer
        raise _fault("S211", f"签名错误: mock {problem}") from None
    timestamp = (environ.get("HTTP_X_TIMESTAMP") or "").strip()
    if options.timestamp and not timestamp:
        raise _fault("S208", "x-timestamp不能为空")
    if not digest_matches(options.digest(signed(), account.app_secret, timestamp), digest):
        raise _fault("S211", "签名错误")
    return account


def _is_form(note: Exchange) -> bool:
    """Whether the request is ZOP form mode (``addParam``/``setData``): by its Content-Type."""
    # Werkzeug's ``request.mimetype``, without parsing the parameters nobody reads here.
    content_type: str = note.request.environ.get("CONTENT_TYPE", "")
    return content_type.partition(";")[0].strip().lower() == "application/x-www-form-urlencoded"


def _form(raw: bytes) -> list[tuple[str, str]]:
    """The form's decoded pairs; a body that is not a UTF-8 form, or names a field twice, is S208."""
    try:
        pairs = form_pairs(raw)
    except ValueError:
        raise _fault("S208", "请求体必须是UTF-8编码的表单") from None
    seen: set[str] = set()
    for name, _ in pairs:
        if name in seen:
            raise _fault("S208", f"{name}重复")
        seen.add(name)
    return pairs


def _peek_form_waybill(raw: bytes) -> Optional[str]:
    """Best-effort ``billCode`` of a form body, for journalling requests that are then refused."""
    try:
        return dict(form_pairs(raw)).get("billCode")
    except ValueError:
        return None


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
    fields = {
        name: required_text(body, name)
        for name in ("receiveUsername", "receivePhone", "receiveProvince", "receiveCity", "receiveAddress")
    }
    return Address(
        name=fields["receiveUsername"],
        phone=_phone(fields["receivePhone"]),
        province=fields["receiveProvince"],
        city=fields["receiveCity"],
        district=text_field(body, "receiveDistrict", required=False) or "",
        detail=fields["receiveAddress"],
    )


DIALECT = Dialect(
    fail_codes=FAIL_CODES,
    fault_codes=FAULT_CODES,
    render_envelope=render_envelope,
    field_code="S208",
    bad_body="请求体必须是JSON对象",
)
DIALECT.install(bp)


# -- operations --------------------------------------------------------------------------------


def _check_phone_tail(body: Mapping[str, Any]) -> None:
    """An optional ``mobilePhone`` must be the last 4 digits of a phone (ASCII; ``\\d`` takes ``٣``)."""
    phone = text_field(body, "mobilePhone", required=False)
    if phone is not None and not _PHONE_TAIL_RE.fullmatch(phone):
        raise _fault("E413", "请输入收寄人任一方电话号码后4位")


def _track(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body)
    _check_phone_tail(body)
    scans = get_services().simulator.trace(account, waybill)
    return _TRACKS.response(
        (account.app_key, waybill), scans, lambda: ok_response([render_scan(waybill, scan) for scan in scans])
    )


def _subscribe(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body)
    _check_phone_tail(body)  # the subscribe sample of YangLiCon/docs sends ``"mobilePhone": "5514"``
    get_services().simulator.subscribe(account, waybill)
    return ok_response(None)


def _create_intercept(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body)
    request_id = required_text(body, "requestId")
    kind = _destination_type(body)
    address = _new_address(body) if kind is InterceptKind.CHANGE_ADDRESS else None
    external_ref = text_field(body, "thirdBizNo", required=False) or request_id
    DIALECT.reject(decision)
    outcome = get_services().simulator.create_intercept(
        account,
        InterceptRequest(
            waybill=waybill, kind=kind, request_id=request_id, external_ref=external_ref, new_address=address
        ),
        decision.intercept if decision is not None else None,
    )
    if outcome.fail_reason is not None or outcome.record is None:
        raise DIALECT.refusal(outcome.fail_reason)
    status, name = INTERCEPT_STATUS[outcome.record.status]
    return ok_response(
        {"billCode": waybill, "thirdBizNo": outcome.record.external_ref, "status": status, "statusName": name}
    )


def _cancel_intercept(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body)
    external_ref = text_field(body, "thirdBizNo", required=False)
    text_field(body, "dealRemark", required=False)
    DIALECT.reject(decision)
    outcome = get_services().simulator.cancel_intercept(account, waybill, external_ref=external_ref)
    if outcome.fail_reason is not None:
        raise DIALECT.refusal(outcome.fail_reason)
    return ok_response(None)


def _intercept_status(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body)
    record = get_services().simulator.latest_intercept(account, waybill)
    if record is None:
        raise DIALECT.refusal(FailReason.NOT_FOUND)
    return ok_response(intercept_status_result(record))


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
    note = exchange()
    raw = note.body()
    form = _is_form(note)
    # Note what the request is about before checking it, so rejected requests are journalled
    # with their operation and waybill too.
    note.operation = APIS.get(api_name, Operation.UNKNOWN)
    parsed = None if form else maybe_json_object(raw)  # parsed once; a bad body is refused below
    note.waybill = _peek_form_waybill(raw) if form else peek_field(parsed, "billCode")
    account = _authenticate(note, (lambda: form_signed_text(_form(raw))) if form else (lambda: raw))
    operation = APIS.get(api_name)
    if operation is None:
        raise _fault("S207", "API不存在")
    body: Mapping[str, Any] = dict(_form(raw)) if form else parsed if parsed is not None else json_object(raw)
    return DIALECT.answer(
        operation,
        app_key=account.app_key,
        waybill=note.waybill,
        default_field="billCode",
        handler=lambda decision: _HANDLERS[operation](account, body, decision),
        note=note,
    )

"""YTO (圆通) blueprint: authentication, request checks and operations of the open platform.

URL: ``POST /yto/open/<method>/v1/<partner_code>/<client_id>`` per docs/carriers/yto.md.

Wire contract (docs/carriers/yto.md, carriers.md §3): the body carries ``timestamp``, ``param`` (a
JSON string), ``sign`` and ``format=JSON``, either as a form or as a JSON object.
``sign = base64(md5(param + method + "v1" + app_secret))`` over the ``param`` string exactly as
received. The account is the URL's ``partner_code`` (its ``app_key``); the URL's ``client_id``
must equal the account's ``extra["client_id"]`` (default: the app key). Every answer is HTTP 200.

``timestamp`` is accepted as epoch milliseconds (or seconds) in ASCII digits, as PHP
``microtime()`` text (``"0.12345600 1700000000"``: what the public client syships/php-express
``yto/YtoClient.php`` sends) and as ``microtime(true)`` text (``"1700000000.1235"``); anything else
is refused. It is not compared with the clock.

Checks, in order (first failure answers in the account's answer style, :mod:`.wire`; the codes
and messages of the ``real`` default):
    ==============================================  ====  ==================================
    problem                                          code  message
    ==============================================  ====  ==================================
    body neither a form nor a JSON object            S02   请求体必须是表单或JSON对象
    ``param`` / ``sign`` missing (or not a string)   S02   <field>不能为空 / <field>格式错误
    version other than ``v1``                        S02   version格式错误
    unknown partner code                             S03   partner_code无效
    ``extra["yto_answers"]`` names no style          HTTP 500 ``invalid_account_setting``
    URL ``client_id`` not the account's              S03   client_id无效
    sign mismatch                                    401   请求加密校验失败 (in ``reason``)
    unknown method                                   S02   method不存在
    ``timestamp`` missing / not a timestamp          S02   timestamp不能为空 / timestamp格式错误
    ``format`` given and not JSON                    S02   format格式错误
    ``param`` not a JSON object                      S02   param格式错误
    required param field missing / wrong type        S02   <field>不能为空 / <field>格式错误
    malformed waybill (not ``^YT\\d{13,15}$``)        S02   <field>格式错误
    bad ``receiverTel``                              S02   receiverTel格式错误
    unexpected exception                             S06   系统繁忙，请稍后重试
    ==============================================  ====  ==================================

The code tables (methods, ``infoContent``, refusal and fault codes) live in
:mod:`mockserver.carriers.yto.codes`; answer envelopes, track entries and the push builders in
:mod:`mockserver.carriers.yto.wire`. YTO has no request id, so every intercept request is new (a
repeat while one is pending is a duplicate); ``wantedId`` is the mock's work-order number.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl

from flask import Blueprint, Response, g, request

from mockserver.carriers.codec import AnswerCache, b64_md5, digest_matches, json_response
from mockserver.carriers.dialect import Dialect
from mockserver.carriers.dialect import fault as _fault
from mockserver.carriers.exchange import CarrierFault, exchange
from mockserver.carriers.fields import FieldProblem, json_object, loads, required_text, text_field
from mockserver.carriers.settings import SettingError, setting_fault
from mockserver.carriers.yto.codes import (
    BAD_SIGNATURE,
    DEFAULT_ANSWER_STYLE,
    FAIL_CODES,
    FAULT_CODES,
    METHODS,
    SLUG,
    VERSION,
    is_valid_waybill,
)
from mockserver.carriers.yto.wire import (
    answer_style,
    client_id_of,
    no_data_response,
    ok_response,
    render_envelope,
    render_scan,
)
from mockserver.deciders import Decision, Operation
from mockserver.services import get_services
from mockserver.simulator import InterceptRequest
from mockserver.world import Account, Address, FailReason, InterceptKind

__all__ = ["DIALECT", "bp", "gateway"]

_PHONE_RE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
#: Epoch ms (or s) in ASCII digits; PHP ``microtime()`` ("0.12345600 1700000000", "%.8F %ld");
#: PHP ``microtime(true)`` as text ("1700000000.1235").
_TIMESTAMP_RE = re.compile(r"[0-9]{1,19}|0\.[0-9]{8} [0-9]{1,19}|[1-9][0-9]{8,11}\.[0-9]{1,8}")
_INTERCEPTING = (Operation.INTERCEPT, Operation.CANCEL_INTERCEPT)


def _render(fault: CarrierFault) -> Response:
    """A fault in the answer style of the request's account (``real`` before it is known)."""
    style = g.get("yto_answer_style", DEFAULT_ANSWER_STYLE)
    return render_envelope(fault, style, intercepting=exchange().operation in _INTERCEPTING)


#: Track answers by (app key, waybill), sent again while the visible scans are the same.
_TRACKS = AnswerCache()


bp = Blueprint("yto", __name__)
DIALECT = Dialect(
    fail_codes=FAIL_CODES,
    fault_codes=FAULT_CODES,
    render_envelope=_render,
    field_code="S02",
    bad_body="请求体必须是表单或JSON对象",
)
DIALECT.install(bp)


# -- request parsing ---------------------------------------------------------------------------


def _envelope(raw: bytes) -> dict[str, Any]:
    """The four envelope fields, from a JSON object body or a urlencoded form (first value wins)."""
    content_type = (request.content_type or "").lower()
    if "json" in content_type or raw.lstrip().startswith(b"{"):
        return json_object(raw)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FieldProblem(field="body", problem="json") from None
    fields: dict[str, Any] = {}
    for name, value in parse_qsl(text, keep_blank_values=True):
        fields.setdefault(name, value)
    return fields


def _exact_text(envelope: Mapping[str, Any], name: str) -> str:
    """A string field exactly as received (never stripped: ``param`` is signed byte for byte)."""
    value = envelope.get(name)
    if value is None or value == "":
        raise FieldProblem(field=name, problem="missing")
    if not isinstance(value, str):
        raise FieldProblem(field=name, problem="type")
    try:
        value.encode("utf-8")  # a JSON body may hold a lone surrogate ("\ud800"): unsignable
    except UnicodeEncodeError:
        raise FieldProblem(field=name, problem="type") from None
    return value


def _authenticate(method: str, partner_code: str, client_id: str, param: str, sign: str) -> Account:
    note = exchange()
    note.app_key = partner_code
    account = get_services().simulator.account(SLUG, partner_code)
    if account is None:
        raise _fault("S03", "partner_code无效")
    note.secret = account.app_secret
    try:
        g.yto_answer_style = answer_style(account)
    except SettingError as problem:
        raise setting_fault(problem) from None
    if client_id != client_id_of(account):
        raise _fault("S03", "client_id无效")
    expected = b64_md5((param + method + VERSION + account.app_secret).encode("utf-8"))
    if not digest_matches(expected, sign):
        raise _fault(*BAD_SIGNATURE)
    return account


def _ok(account: Account, data: Optional[Mapping[str, Any]] = None, *, waybill: str) -> Response:
    """A success answer in the account's answer style."""
    return ok_response(data, style=answer_style(account), waybill=waybill)


def _check_envelope(envelope: Mapping[str, Any]) -> None:
    timestamp = text_field(envelope, "timestamp")
    if timestamp is not None and _TIMESTAMP_RE.fullmatch(timestamp) is None:
        raise _fault("S02", "timestamp格式错误")
    fmt = text_field(envelope, "format", required=False)
    if fmt is not None and fmt.upper() != "JSON":
        raise _fault("S02", "format格式错误")


def _param_object(param: str) -> dict[str, Any]:
    try:
        return json_object(param.encode("utf-8"))
    except FieldProblem:
        raise FieldProblem(field="param", problem="type") from None


def _subscription(param: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``logistics_interface`` object of a subscribe param (a JSON string, or an object)."""
    inner = param.get("logistics_interface")
    if isinstance(inner, dict):
        return inner
    text = required_text(param, "logistics_interface")
    try:
        return json_object(text.encode("utf-8"))
    except FieldProblem:
        raise FieldProblem(field="logistics_interface", problem="type") from None


def _peek_waybill(method: str, param: str) -> Optional[str]:
    """Best-effort waybill of a request, never raising (for the journal and the Decider)."""
    try:
        body = loads(param)
        if method == "subscribe_adapter" and isinstance(body, dict):
            inner = body.get("logistics_interface")
            body = loads(inner) if isinstance(inner, str) else inner
        if not isinstance(body, dict):
            return None
        value = (
            body.get("NUMBER", body.get("Number"))
            if method == "track_query_adapter"
            else body.get("waybillNo")
        )
        return value.strip() if isinstance(value, str) and value.strip() else None
    except (TypeError, ValueError):
        return None


def _waybill(body: Mapping[str, Any], name: str) -> str:
    waybill = required_text(body, name)
    if not is_valid_waybill(waybill):
        raise _fault("S02", f"{name}格式错误")
    exchange().waybill = waybill
    return waybill


def _new_address(param: Mapping[str, Any]) -> Address:
    fields = {
        name: required_text(param, name)
        for name in ("receiverName", "receiverTel", "receiveProvName", "receiveCityName", "receiveAddress")
    }
    if not _PHONE_RE.match(fields["receiverTel"]):
        raise _fault("S02", "receiverTel格式错误")
    return Address(
        name=fields["receiverName"],
        phone=fields["receiverTel"],
        province=fields["receiveProvName"],
        city=fields["receiveCityName"],
        district=text_field(param, "receiveCountyName", required=False) or "",
        detail=fields["receiveAddress"],
    )


# -- operations --------------------------------------------------------------------------------


def _track(account: Account, method: str, param: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    name = "NUMBER" if "NUMBER" in param or "Number" not in param else "Number"
    waybill = _waybill(param, name)
    scans = get_services().simulator.trace(account, waybill)
    return _TRACKS.response(
        (account.app_key, waybill),
        scans,
        lambda: (
            json_response([render_scan(waybill, scan) for scan in scans])
            if scans
            else no_data_response(waybill)
        ),
    )


def _subscribe(
    account: Account, method: str, param: Mapping[str, Any], decision: Optional[Decision]
) -> Response:
    inner = _subscription(param)
    waybill = _waybill(inner, "waybillNo")
    get_services().simulator.subscribe(
        account,
        waybill,
        extra={
            "client_id": text_field(param, "client_id", required=False) or client_id_of(account),
            "msg_type": text_field(param, "msg_type", required=False) or "online",
        },
    )
    return _ok(account, waybill=waybill)


def _create_intercept(
    account: Account, method: str, param: Mapping[str, Any], decision: Optional[Decision]
) -> Response:
    waybill = _waybill(param, "waybillNo")
    change = method == "wanted_change_adapter"
    address = _new_address(param) if change else None
    required_text(param, "wantedDesc")
    DIALECT.reject(decision)
    wanted_id = "W" + uuid.uuid4().hex[:16].upper()
    outcome = get_services().simulator.create_intercept(
        account,
        InterceptRequest(
            waybill=waybill,
            kind=InterceptKind.CHANGE_ADDRESS if change else InterceptKind.RETURN,
            request_id=wanted_id,
            external_ref=wanted_id,
            new_address=address,
        ),
        decision.intercept if decision is not None else None,
    )
    if outcome.fail_reason is not None or outcome.record is None:
        raise DIALECT.refusal(outcome.fail_reason)
    return _ok(account, {"waybillNo": waybill, "wantedId": outcome.record.external_ref}, waybill=waybill)


def _cancel_intercept(
    account: Account, method: str, param: Mapping[str, Any], decision: Optional[Decision]
) -> Response:
    waybill = _waybill(param, "waybillNo")
    text_field(param, "dealRemark", required=False)
    DIALECT.reject(decision)
    outcome = get_services().simulator.cancel_intercept(account, waybill)
    if outcome.fail_reason is not None or outcome.record is None:
        raise DIALECT.refusal(outcome.fail_reason, default=FailReason.NO_INTERCEPT)
    return _ok(account, {"waybillNo": waybill, "wantedId": outcome.record.external_ref}, waybill=waybill)


_Handler = Callable[[Account, str, Mapping[str, Any], Optional[Decision]], Response]
_HANDLERS: Mapping[Operation, _Handler] = {
    Operation.TRACK: _track,
    Operation.SUBSCRIBE: _subscribe,
    Operation.INTERCEPT: _create_intercept,
    Operation.CANCEL_INTERCEPT: _cancel_intercept,
}


@bp.post("/open/<method>/<version>/<partner_code>/<client_id>")
def gateway(method: str, version: str, partner_code: str, client_id: str) -> Response:
    """The YTO open platform: ``POST /yto/open/<method>/v1/<partner_code>/<client_id>``."""
    raw = request.get_data(cache=True)
    note = exchange()
    # Note what the request is about before checking it, so rejected requests are journalled
    # with their operation, account and waybill too.
    note.operation = METHODS.get(method, Operation.UNKNOWN)
    note.app_key = partner_code
    envelope = _envelope(raw)
    param_text = _exact_text(envelope, "param")
    note.waybill = _peek_waybill(method, param_text)
    sign = _exact_text(envelope, "sign")
    if version != VERSION:
        raise _fault("S02", "version格式错误")
    account = _authenticate(method, partner_code, client_id, param_text, sign.strip())
    operation = METHODS.get(method)
    if operation is None:
        raise _fault("S02", "method不存在")
    _check_envelope(envelope)
    param = _param_object(param_text)
    return DIALECT.answer(
        operation,
        app_key=account.app_key,
        waybill=note.waybill,
        default_field="NUMBER" if method == "track_query_adapter" else "waybillNo",
        handler=lambda decision: _HANDLERS[operation](account, method, param, decision),
    )

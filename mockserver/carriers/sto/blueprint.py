"""STO (申通, LinkGateway) blueprint: authentication, request checks, operations of ``/sto/gateway/link.do``.

Wire contract (docs/carriers/sto.md): one URL, ``application/x-www-form-urlencoded`` form fields
``content`` (business JSON), ``data_digest``, ``api_name``, ``from_appkey``, ``from_code``,
``to_appkey``, ``to_code``; ``data_digest = base64(md5(content + app_secret))`` over the exact
received ``content``. The account is ``(sto, from_appkey)``. Answers are HTTP 200 envelopes
``{"success", "errorCode", "errorMsg", "needRetry", "requestId", "expInfo", "data"}`` with
``success``/``needRetry`` as the strings ``"true"``/``"false"`` (see :mod:`.wire`).

The ``api_name`` table (with its ``to_appkey``/``to_code``) is in :mod:`mockserver.carriers.sto.codes`.

Checks, in order (first failure answers; all codes modelled, docs/carriers/sto.md item 2):
    ==========================================  ====  =========================================
    problem                                      code  errorMsg
    ==========================================  ====  =========================================
    a link field missing or empty                S02   <field>不能为空
    unknown ``from_appkey``                      S03   from_appkey不存在
    digest mismatch                              S01   签名校验失败 (XML ``<response>`` body)
    unknown ``api_name``                         S02   api_name不存在
    ``to_appkey``/``to_code`` not the api's      S02   <field>与api_name不匹配
    ``content`` not a JSON object                S02   content格式错误
    content field missing / wrong type           S02   <field>不能为空 / <field>格式错误
    malformed waybill                            S02   <field>不符合申通运单号规则
    unknown ``interceptForAct``/``order``        S02   <field>格式错误
    unexpected exception                         S06   系统繁忙，请稍后重试 (``needRetry: "true"``)
    ==========================================  ====  =========================================

``interceptForAct``: ``DEFAULT`` is a return to the sender, unless the content carries any
``receiver*`` field: then it is a change of address (``receiverName``, ``receiverTel``,
``receiverProvince``, ``receiverCity``, ``receiverAddress`` required, ``receiverArea``
optional), the form the public client syships/php-express sends (``LogisticApplication.php``).
The older modelled form ``CHANGE_ADDRESS`` with the same fields is still accepted. STO intercept content
has no request id, so each intercept request is a new work order: a repeat while one is pending
is refused as a duplicate. A track request for several waybills is shown to the Decider and the
journal with its first waybill.

The code tables (api names, scan types, refusal and fault codes) live in
:mod:`mockserver.carriers.sto.codes`; the envelopes, trace rendering and push builders in
:mod:`mockserver.carriers.sto.wire`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Callable, Optional

from flask import Blueprint, Response, request

from mockserver.carriers.codec import AnswerCache, b64_md5, digest_matches
from mockserver.carriers.dialect import Dialect
from mockserver.carriers.dialect import fault as _fault
from mockserver.carriers.exchange import exchange
from mockserver.carriers.fields import FieldProblem, json_object, loads, required_text, text_field
from mockserver.carriers.sto.codes import APIS, FAIL_CODES, FAULT_CODES, SLUG, is_valid_waybill
from mockserver.carriers.sto.wire import (
    intercept_data,
    literal_json,
    ok_response,
    ok_response_with_data,
    render_envelope,
    render_scan,
)
from mockserver.deciders import Decision, Fault, Operation
from mockserver.services import get_services
from mockserver.simulator import InterceptRequest
from mockserver.world import Account, Address, FailReason, InterceptKind

__all__ = ["DIALECT", "LINK_FIELDS", "bp", "gateway"]

LINK_FIELDS = ("content", "data_digest", "api_name", "from_appkey", "from_code", "to_appkey", "to_code")

_ACTS: Mapping[str, InterceptKind] = {
    "DEFAULT": InterceptKind.RETURN,
    "CHANGE_ADDRESS": InterceptKind.CHANGE_ADDRESS,
}
#: The new address of a change: any of them next to ``DEFAULT`` makes the intercept a change.
_RECEIVER_FIELDS = (
    "receiverName",
    "receiverTel",
    "receiverProvince",
    "receiverCity",
    "receiverArea",
    "receiverAddress",
)
_WAYBILL_FIELDS: Mapping[Operation, str] = {
    Operation.TRACK: "waybillNoList",
    Operation.SUBSCRIBE: "subscribeInfoList",
}

#: Track answers (their data) by (app key, waybills, order), sent again while the visible scans are the same.
_TRACKS = AnswerCache()


bp = Blueprint("sto", __name__)
DIALECT = Dialect(
    fail_codes=FAIL_CODES,
    fault_codes=FAULT_CODES,
    render_envelope=render_envelope,
    field_code="S02",
    bad_body="content格式错误",
    literal_json=literal_json,
)
DIALECT.install(bp)


# -- request parsing ---------------------------------------------------------------------------


def _peek_waybill(content: str) -> Optional[str]:
    """Best-effort first waybill of a content JSON, never raising (for the journal and Decider)."""
    try:
        body = loads(content)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    candidates: list[Any] = [body.get("waybillNo")]
    numbers, infos = body.get("waybillNoList"), body.get("subscribeInfoList")
    if isinstance(numbers, list) and numbers:
        candidates.append(numbers[0])
    if isinstance(infos, list) and infos and isinstance(infos[0], dict):
        candidates.append(infos[0].get("waybillNo"))
    return next((c.strip() for c in candidates if isinstance(c, str) and c.strip()), None)


def _link_fields() -> dict[str, str]:
    fields: dict[str, str] = {}
    for name in LINK_FIELDS:
        value = request.form.get(name, "")
        if not value.strip():
            raise _fault("S02", f"{name}不能为空")
        fields[name] = value if name == "content" else value.strip()
    return fields


def _authenticate(fields: Mapping[str, str]) -> Account:
    account = get_services().simulator.account(SLUG, fields["from_appkey"])
    if account is None:
        raise _fault("S03", "from_appkey不存在")
    exchange().secret = account.app_secret
    expected = b64_md5((fields["content"] + account.app_secret).encode("utf-8"))
    if not digest_matches(expected, fields["data_digest"]):
        raise _fault(*FAULT_CODES[Fault.BAD_SIGNATURE])
    return account


def _route(fields: Mapping[str, str]) -> Operation:
    known = APIS.get(fields["api_name"])
    if known is None:
        raise _fault("S02", "api_name不存在")
    operation, target = known
    for name in ("to_appkey", "to_code"):
        if fields[name] != target:
            raise _fault("S02", f"{name}与api_name不匹配")
    return operation


def _waybill(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldProblem(field=field, problem="missing" if value in (None, "") else "type")
    waybill = value.strip()
    if not is_valid_waybill(waybill):
        raise _fault("S02", f"{field}不符合申通运单号规则")
    return waybill


def _list_field(body: Mapping[str, Any], name: str) -> list[Any]:
    value = body.get(name)
    if value is None or value == []:
        raise FieldProblem(field=name, problem="missing")
    if not isinstance(value, list):
        raise FieldProblem(field=name, problem="type")
    return value


def _new_address(body: Mapping[str, Any]) -> Address:
    fields = {
        name: required_text(body, name)
        for name in ("receiverName", "receiverTel", "receiverProvince", "receiverCity", "receiverAddress")
    }
    return Address(
        name=fields["receiverName"],
        phone=fields["receiverTel"],
        province=fields["receiverProvince"],
        city=fields["receiverCity"],
        district=text_field(body, "receiverArea", required=False) or "",
        detail=fields["receiverAddress"],
    )


# -- operations --------------------------------------------------------------------------------


def _track(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybills = [_waybill(item, "waybillNoList") for item in _list_field(body, "waybillNoList")]
    order = text_field(body, "order", required=False) or "asc"
    if order not in ("asc", "desc"):
        raise _fault("S02", "order格式错误")
    simulator = get_services().simulator
    traces = tuple(simulator.trace(account, waybill) for waybill in waybills)

    def render() -> dict[str, list[dict[str, Any]]]:
        data: dict[str, list[dict[str, Any]]] = {}
        for waybill, scans in zip(waybills, traces):
            entries = [render_scan(waybill, scan) for scan in scans]
            data[waybill] = entries[::-1] if order == "desc" else entries
        return data

    return ok_response_with_data(_TRACKS.data_json((account.app_key, tuple(waybills), order), traces, render))


def _subscribe(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    infos = _list_field(body, "subscribeInfoList")
    if not all(isinstance(info, dict) for info in infos):
        raise FieldProblem(field="subscribeInfoList", problem="type")
    waybills = [_waybill(info.get("waybillNo"), "waybillNo") for info in infos]
    for waybill in waybills:
        get_services().simulator.subscribe(account, waybill)
    return ok_response(None)


def _create_intercept(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body.get("waybillNo"), "waybillNo")
    kind = _ACTS.get(required_text(body, "interceptForAct"))
    if kind is None:
        raise _fault("S02", "interceptForAct格式错误")
    if any(body.get(name) not in (None, "") for name in _RECEIVER_FIELDS):
        kind = InterceptKind.CHANGE_ADDRESS
    address = _new_address(body) if kind is InterceptKind.CHANGE_ADDRESS else None
    DIALECT.reject(decision)
    request_id = "STO" + uuid.uuid4().hex
    outcome = get_services().simulator.create_intercept(
        account,
        InterceptRequest(waybill=waybill, kind=kind, request_id=request_id, new_address=address),
        decision.intercept if decision is not None else None,
    )
    if outcome.fail_reason is not None or outcome.record is None:
        raise DIALECT.refusal(outcome.fail_reason)
    return ok_response(intercept_data(outcome.record))


def _cancel_intercept(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(body.get("waybillNo"), "waybillNo")
    DIALECT.reject(decision)
    outcome = get_services().simulator.cancel_intercept(account, waybill)
    if outcome.fail_reason is not None or outcome.record is None:
        raise DIALECT.refusal(outcome.fail_reason, default=FailReason.NO_INTERCEPT)
    return ok_response(intercept_data(outcome.record))


_Handler = Callable[[Account, Mapping[str, Any], Optional[Decision]], Response]
_HANDLERS: Mapping[Operation, _Handler] = {
    Operation.TRACK: _track,
    Operation.SUBSCRIBE: _subscribe,
    Operation.INTERCEPT: _create_intercept,
    Operation.CANCEL_INTERCEPT: _cancel_intercept,
}


@bp.post("/gateway/link.do")
def gateway() -> Response:
    """The LinkGateway: ``POST /sto/gateway/link.do`` with the seven link form fields."""
    request.get_data(cache=True)  # keep the raw body for the journal before the form is parsed
    note = exchange()
    # Note what the request is about before checking it, so rejected requests are journalled
    # with their operation, account and waybill too.
    known = APIS.get(request.form.get("api_name", ""))
    note.operation = known[0] if known is not None else Operation.UNKNOWN
    note.app_key = request.form.get("from_appkey", "").strip() or None
    note.waybill = _peek_waybill(request.form.get("content", ""))
    fields = _link_fields()
    account = _authenticate(fields)
    operation = _route(fields)
    body = json_object(fields["content"].encode("utf-8"))
    return DIALECT.answer(
        operation,
        app_key=account.app_key,
        waybill=note.waybill,
        default_field=_WAYBILL_FIELDS.get(operation, "waybillNo"),
        handler=lambda decision: _HANDLERS[operation](account, body, decision),
    )

"""STO (申通, LinkGateway) mock: ``POST /sto/gateway/link.do`` per docs/carriers/sto.md, plus push builders.

Wire contract (docs/carriers/sto.md): one URL, ``application/x-www-form-urlencoded`` form fields
``content`` (business JSON), ``data_digest``, ``api_name``, ``from_appkey``, ``from_code``,
``to_appkey``, ``to_code``; ``data_digest = base64(md5(content + app_secret))`` over the exact
received ``content``. The account is ``(sto, from_appkey)``. Answers are HTTP 200 envelopes
``{"success", "errorCode", "errorMsg", "needRetry", "requestId", "expInfo", "data"}`` with
``success``/``needRetry`` as the strings ``"true"``/``"false"`` (see :mod:`.sto_wire`).

    ============================  ===================  ==========================================
    api_name                      to_appkey = to_code  operation (content)
    ============================  ===================  ==========================================
    STO_TRACE_QUERY_COMMON        sto_trace_query      track (``order``, ``waybillNoList``)
    STO_TRACE_PLATFORM_SUBSCRIBE  sto_trace_platform   subscribe (``subscribeInfoList``)
    INTERCEPT_CREATE_STANDARD     reverse-center       intercept (``waybillNo``, ``interceptForAct``)
    INTERCEPT_DEL_STANDARD        reverse-center       cancel intercept (``waybillNo``)
    ============================  ===================  ==========================================

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

Waybills: ``^(77|43)\\d{12,15}$``. ``interceptForAct``: ``DEFAULT`` is a return to the sender,
``CHANGE_ADDRESS`` a redirect (``receiverName``, ``receiverTel``, ``receiverProvince``,
``receiverCity``, ``receiverAddress`` required, ``receiverArea`` optional). STO intercept content
has no request id, so each intercept request is a new work order: a repeat while one is pending
is refused as a duplicate. A track request for several waybills is shown to the Decider and the
journal with its first waybill.

Scan kinds -> ``scanType``:
    ================  ========  ==========================================================
    kind              scanType  notes
    ================  ========  ==========================================================
    PICKUP            收件
    DEPART            发件      ``nextOrgName`` = next site
    ARRIVE            到件
    OUT_FOR_DELIVERY  派件      ``bizEmpName``/``bizEmpPhone`` = courier
    LOCKER_IN         驿站代收  at a station/locker, awaiting collection
    SIGNED            签收      ``signoffPeople`` = signer
    PROBLEM           问题件    ``issueName`` = problem code
    RETURN            退回件
    RETURN_TRANSIT    退回件
    RETURNED          签收      ``signoffPeople`` 寄件人, always after 退回件 scans
    ================  ========  ==========================================================

STO lists no "returned to sender" scan type (carriers.md §4.4), so the return leg ends like a
delivery, with a 签收 by the sender; only its place after 退回件 scans (and the signer) tells a
client it is a return and not a delivery.

Intercept refusals: ALREADY_SIGNED I101, OUT_FOR_DELIVERY I102, DUPLICATE I103, NOT_FOUND I104,
NOT_SUPPORTED I105, NO_INTERCEPT (cancel) I106, OTHER I199. Accepted intercept ``data``:
``{"waybillNo", "interceptId", "status": "PENDING"}``; cancel answers the same with ``CANCELLED``.
The outcome arrives by push (``INTERCEPT_RESULT_PUSH``: ``SUCCESS``/``FAILED``/``CANCELLED``).
Decider faults: SYSTEM_ERROR / UNAVAILABLE / TIMEOUT S06 and RATE_LIMITED S05 (both
``needRetry: "true"``), BAD_SIGNATURE S01 (XML), MISSING_FIELD S02 (<field>不能为空, default the
operation's waybill field), NOT_FOUND I104.

Pushes: a form of the seven link fields, ``from_appkey = from_code = sto_trace_platform``,
``to_appkey`` = the account's app key, ``to_code`` = its ``extra["from_code"]`` (default the app
key), signed with the account's secret; one trace per push. Acknowledged by HTTP 200
``{"success": true, ...}``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Callable, Optional

from flask import Blueprint, Response, request

from mockserver.carriers.codec import b64_md5, digest_matches, form_body
from mockserver.carriers.dialect import Dialect
from mockserver.carriers.dialect import fault as _fault
from mockserver.carriers.exchange import CarrierFault, exchange
from mockserver.carriers.fields import FieldProblem, json_object, loads, required_text, text_field
from mockserver.carriers.sto.wire import (
    APIS,
    FAIL_CODES,
    FAULT_CODES,
    SCAN_TYPES,
    error_response,
    intercept_data,
    intercept_push_content,
    is_push_ack,
    ok_response,
    push_form,
    render_scan,
    trace_push_content,
    xml_error_response,
)
from mockserver.deciders import Decision, Fault, Operation
from mockserver.pushes import PushRequest
from mockserver.services import get_services
from mockserver.simulator import InterceptRequest
from mockserver.world import Account, Address, FailReason, InterceptKind, InterceptRecord, Scan

__all__ = [
    "APIS",
    "INTERCEPT_PUSH_API",
    "LINK_FIELDS",
    "SCAN_TYPES",
    "SLUG",
    "TRACE_PUSH_API",
    "bp",
    "build_intercept_push",
    "build_trace_pushes",
    "is_push_ack",
    "is_valid_waybill",
    "render_scan",
]

SLUG = "sto"
WAYBILL_RE = re.compile(r"^(?:77|43)\d{12,15}$")
LINK_FIELDS = ("content", "data_digest", "api_name", "from_appkey", "from_code", "to_appkey", "to_code")
TRACE_PUSH_API = "STO_TRACE_PLATFORM_PUSH"
INTERCEPT_PUSH_API = "INTERCEPT_RESULT_PUSH"
PUSH_HEADERS = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}

_ACTS: Mapping[str, InterceptKind] = {
    "DEFAULT": InterceptKind.RETURN,
    "CHANGE_ADDRESS": InterceptKind.CHANGE_ADDRESS,
}
_WAYBILL_FIELDS: Mapping[Operation, str] = {
    Operation.TRACK: "waybillNoList",
    Operation.SUBSCRIBE: "subscribeInfoList",
}


def is_valid_waybill(waybill: str) -> bool:
    """Whether ``waybill`` is an STO number: ``77`` or ``43`` then 12 to 15 digits."""
    return bool(WAYBILL_RE.match(waybill))


def _literal_json(body: Any) -> str:
    # A fault's literal body keeps json.dumps' default separators here (the other carriers: compact).
    return json.dumps(body, ensure_ascii=False)


def _render_envelope(fault: CarrierFault) -> Response:
    if fault.code == "S01":
        return xml_error_response(fault.code, fault.message, fault.http_status)
    return error_response(fault.code, fault.message, fault.http_status)


bp = Blueprint("sto", __name__)
DIALECT = Dialect(
    fail_codes=FAIL_CODES,
    fault_codes=FAULT_CODES,
    render_envelope=_render_envelope,
    field_code="S02",
    bad_body="content格式错误",
    literal_json=_literal_json,
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
    data: dict[str, list[dict[str, Any]]] = {}
    for waybill in waybills:
        traces = [render_scan(waybill, scan) for scan in get_services().simulator.trace(account, waybill)]
        data[waybill] = traces[::-1] if order == "desc" else traces
    return ok_response(data)


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


# -- pushes ------------------------------------------------------------------------------------


def _push_target(account: Account) -> tuple[str, str]:
    to_code = account.extra.get("from_code")
    return account.app_key, to_code if isinstance(to_code, str) and to_code else account.app_key


def _push(kind: str, waybill: str, fields: Mapping[str, str]) -> PushRequest:
    return PushRequest(
        kind=kind, waybills=(waybill,), headers=PUSH_HEADERS, body=form_body(fields).encode("ascii")
    )


def build_trace_pushes(account: Account, items: Sequence[tuple[str, Scan]]) -> list[PushRequest]:
    """One ``STO_TRACE_PLATFORM_PUSH`` per scan (observed: one trace per push).

    Args:
        account: the subscriber (``to_appkey``; its secret signs ``content``).
        items: ``(waybill, scan)`` pairs, oldest first.

    Returns:
        The signed form POSTs, in the order of ``items``.
    """
    to_appkey, to_code = _push_target(account)
    return [
        _push(
            "trace",
            waybill,
            push_form(
                TRACE_PUSH_API, trace_push_content(waybill, scan), account.app_secret, to_appkey, to_code
            ),
        )
        for waybill, scan in items
    ]


def build_intercept_push(account: Account, record: InterceptRecord) -> PushRequest:
    """The modelled ``INTERCEPT_RESULT_PUSH`` of an intercept's final status.

    Args:
        account: the account that asked for the intercept.
        record: the intercept, normally ``SUCCEEDED``, ``FAILED`` or ``CANCELLED``.

    Returns:
        The signed form POST.
    """
    to_appkey, to_code = _push_target(account)
    fields = push_form(
        INTERCEPT_PUSH_API, intercept_push_content(record), account.app_secret, to_appkey, to_code
    )
    return _push("intercept", record.waybill, fields)

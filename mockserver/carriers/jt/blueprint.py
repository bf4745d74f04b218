"""J&T Express China (极兔) blueprint: authentication, request checks, operations of the open platform.

The open platform: ``POST /jt/webopenplatformapi/api/...`` per docs/carriers/jt.md.

Wire contract (docs/carriers/jt.md, carriers.md §5): form body with the single field ``bizContent``
(a JSON object), headers ``apiAccount``, ``digest = base64(md5(bizContent + secret))`` over the exact
received bizContent string, and ``timestamp`` (epoch ms, not checked against the mock clock). Every
answer is HTTP 200 ``{"code", "msg", "data", "requestId"}``; ``code`` ``"1"`` is success.

Paths (under ``/jt/webopenplatformapi``): ``/api/logistics/trace`` (``{"billCodes": "JT…,JT…"}``),
``/api/trace/subscribe`` (``{"id": <apiAccount>, "list": [{"traceNode", "waybillCode"}]}``) and
``/api/waybill/intercept`` (``{"mailNo", "applyTypeCode"}``: 4 return, 5 change address with
``receiveUsername, receivePhone, receiveProvince, receiveCity, receiveAddress`` and an optional
``receiveDistrict``). J&T has no intercept cancel: any other path under ``/jt`` (a cancel included)
answers ``145003050`` 接口不存在 once the request is authenticated.

Checks, in order (first failure answers):
    =========================================  =========  =====================================
    problem                                    code       msg
    =========================================  =========  =====================================
    no ``apiAccount`` header                    145003051  apiAccount不能为空
    no ``digest`` header                        145003052  digest不能为空
    no ``timestamp`` header                     145003053  timestamp不能为空
    unknown account                             145003010  apiAccount不存在
    no ``bizContent`` form field                145003050  bizContent不能为空
    digest mismatch                             145003030  headers签名校验失败
    unknown path (cancel included)              145003050  接口不存在
    bizContent not a JSON object                145003050  bizContent格式错误
    field missing/empty                         145003050  <field>不能为空
    field of the wrong type / bad value         145003050  <field>格式错误
    malformed waybill (``^JT\\d{13}$``)          145003050  运单号格式错误: <waybill>
    subscribe ``id`` is not the apiAccount      145003050  id与apiAccount不一致
    unexpected exception                        145003062  系统繁忙，请稍后重试
    =========================================  =========  =====================================

J&T's intercept carries no request id, so every request is a new one: a second intercept while
one is pending answers 173003. Accepted: ``data: {"mailNo", "interceptId", "status": "PENDING"}``;
the result arrives by push.

A track request naming several waybills (comma-separated) answers one entry per waybill, in the
order given; the Decider is consulted once, with the first waybill. The code tables (paths, nodes,
platform, refusal and fault codes) are in :mod:`mockserver.carriers.jt.codes`; the envelopes, scan
rendering and the push builders in :mod:`mockserver.carriers.jt.wire`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any, Callable, Optional
from urllib.parse import parse_qsl

from flask import Blueprint, Response, request

from mockserver.carriers.codec import AnswerCache, b64_md5, digest_matches
from mockserver.carriers.dialect import Dialect
from mockserver.carriers.dialect import fault as _fault
from mockserver.carriers.exchange import CarrierFault, exchange
from mockserver.carriers.fields import FieldProblem, json_object, loads, required_text, text_field
from mockserver.carriers.jt.codes import (
    APIS,
    FAIL_CODES,
    FAULT_CODES,
    INTERCEPT_STATES,
    PLATFORM_ERRORS,
    SLUG,
    is_valid_waybill,
)
from mockserver.carriers.jt.wire import (
    ok_response,
    ok_response_with_data,
    push_shape,
    render_envelope,
    subscribe_data,
    track_entry,
)
from mockserver.carriers.settings import SettingError, setting_fault
from mockserver.deciders import Decision, Operation
from mockserver.services import get_services
from mockserver.simulator import InterceptRequest
from mockserver.world import Account, Address, InterceptKind

__all__ = ["DIALECT", "bp", "gateway"]

_APPLY_TYPES = {4: InterceptKind.RETURN, 5: InterceptKind.CHANGE_ADDRESS}
# ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
_DIGITS_RE = re.compile(r"[0-9]{1,9}")
_TRACE_NODE_RE = re.compile(r"^(?:[1-9]|1[0-4])(?:&(?:[1-9]|1[0-4]))*$")
_PHONE_RE = re.compile(r"^(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")
_ADDRESS_FIELDS = ("receiveUsername", "receivePhone", "receiveProvince", "receiveCity", "receiveAddress")


def _platform(name: str, detail: str = "") -> CarrierFault:
    code, message = PLATFORM_ERRORS[name]
    return _fault(code, message + detail)


def _illegal(message: str) -> CarrierFault:
    return _fault(PLATFORM_ERRORS["illegal"][0], message)


#: Track answers (their data) by (app key, waybills), sent again while the visible scans are the same.
_TRACKS = AnswerCache()


bp = Blueprint("jt", __name__)
DIALECT = Dialect(
    fail_codes=FAIL_CODES,
    fault_codes=FAULT_CODES,
    render_envelope=render_envelope,
    field_code=PLATFORM_ERRORS["illegal"][0],
    bad_body="bizContent格式错误",
)
DIALECT.install(bp)


# -- request parsing ---------------------------------------------------------------------------


def _biz_content(raw: bytes) -> Optional[str]:
    """The exact (form-decoded) ``bizContent`` string, or ``None`` when absent or undecodable."""
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        return None
    values = [value for name, value in pairs if name == "bizContent"]
    return values[0] if len(values) == 1 and values[0] else None


def _peek_waybill(biz: Optional[str]) -> Optional[str]:
    """Best-effort first waybill of a request, for the journal and the Decider; never raises."""
    try:
        body = loads(biz or "")
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    value = body.get("billCodes") or body.get("mailNo")
    items = body.get("list")
    if value is None and isinstance(items, list) and items and isinstance(items[0], dict):
        value = items[0].get("waybillCode")
    if not isinstance(value, str):
        return None
    return value.split(",")[0].strip() or None


def _authenticate(biz: Optional[str]) -> Account:
    note = exchange()
    app_key = (request.headers.get("apiAccount") or "").strip()
    if not app_key:
        raise _platform("no_account")
    note.app_key = app_key
    digest = (request.headers.get("digest") or "").strip()
    if not digest:
        raise _platform("no_digest")
    if not (request.headers.get("timestamp") or "").strip():
        raise _platform("no_timestamp")
    account = get_services().simulator.account(SLUG, app_key)
    if account is None:
        raise _platform("unknown_account")
    note.secret = account.app_secret
    _check_settings(account)
    if biz is None:
        raise _illegal("bizContent不能为空")
    if not digest_matches(b64_md5((biz + account.app_secret).encode("utf-8")), digest):
        raise _platform("bad_digest")
    return account


def _check_settings(account: Account) -> None:
    """Refuse every call of an account whose ``jt_push_shape`` names no shape (a mock error)."""
    try:
        push_shape(account)
    except SettingError as problem:
        raise setting_fault(problem) from None


def _waybill(value: str) -> str:
    if not is_valid_waybill(value):
        raise _illegal(f"运单号格式错误: {value}")
    return value


def _apply_type(body: Mapping[str, Any]) -> InterceptKind:
    value = body.get("applyTypeCode")
    if value is None or value == "":
        raise FieldProblem(field="applyTypeCode", problem="missing")
    number = -1
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS_RE.fullmatch(value.strip()):
        number = int(value.strip())
    if number not in _APPLY_TYPES:
        raise _illegal("applyTypeCode格式错误")
    return _APPLY_TYPES[number]


def _new_address(body: Mapping[str, Any]) -> Address:
    fields = {name: required_text(body, name) for name in _ADDRESS_FIELDS}
    if not _PHONE_RE.match(fields["receivePhone"]):
        raise _illegal("receivePhone格式错误")
    return Address(
        name=fields["receiveUsername"],
        phone=fields["receivePhone"],
        province=fields["receiveProvince"],
        city=fields["receiveCity"],
        district=text_field(body, "receiveDistrict", required=False) or "",
        detail=fields["receiveAddress"],
    )


# -- operations --------------------------------------------------------------------------------


def _track(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    codes = required_text(body, "billCodes")
    waybills = [_waybill(code.strip()) for code in codes.split(",") if code.strip()]
    if not waybills:
        raise FieldProblem(field="billCodes", problem="missing")
    simulator = get_services().simulator
    traces = tuple(simulator.trace(account, waybill) for waybill in waybills)
    data = _TRACKS.data_json(
        (account.app_key, tuple(waybills)),
        traces,
        lambda: [track_entry(w, scans) for w, scans in zip(waybills, traces)],
    )
    return ok_response_with_data(data)


def _subscribe(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    if required_text(body, "id") != account.app_key:
        raise _illegal("id与apiAccount不一致")
    items = body.get("list")
    if items is None or items == []:
        raise FieldProblem(field="list", problem="missing")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise FieldProblem(field="list", problem="type")
    wanted: list[tuple[str, str]] = []
    for item in items:
        waybill = _waybill(required_text(item, "waybillCode"))
        nodes = text_field(item, "traceNode", required=False) or ""
        if nodes and not _TRACE_NODE_RE.match(nodes):
            raise _illegal("traceNode格式错误")
        wanted.append((waybill, nodes))
    for waybill, nodes in wanted:
        get_services().simulator.subscribe(account, waybill, {"traceNode": nodes} if nodes else None)
    return ok_response(subscribe_data(account, wanted))


def _intercept(account: Account, body: Mapping[str, Any], decision: Optional[Decision]) -> Response:
    waybill = _waybill(required_text(body, "mailNo"))
    kind = _apply_type(body)
    address = _new_address(body) if kind is InterceptKind.CHANGE_ADDRESS else None
    DIALECT.reject(decision)
    request_id = "jt-" + uuid.uuid4().hex  # J&T sends no request id: every request is new
    outcome = get_services().simulator.create_intercept(
        account,
        InterceptRequest(waybill=waybill, kind=kind, request_id=request_id, new_address=address),
        decision.intercept if decision is not None else None,
    )
    if outcome.fail_reason is not None or outcome.record is None:
        raise DIALECT.refusal(outcome.fail_reason)
    record = outcome.record
    return ok_response(
        {"mailNo": waybill, "interceptId": record.id, "status": INTERCEPT_STATES[record.status]}
    )


_Handler = Callable[[Account, Mapping[str, Any], Optional[Decision]], Response]
_HANDLERS: Mapping[Operation, _Handler] = {
    Operation.TRACK: _track,
    Operation.SUBSCRIBE: _subscribe,
    Operation.INTERCEPT: _intercept,
}


# merge_slashes=False: "/jt//x" is an unknown route (JSON 404), not an HTML redirect to "/jt/x".
@bp.post("/<path:path>", merge_slashes=False)
def gateway(path: str) -> Response:
    """The J&T open platform: ``POST /jt/webopenplatformapi/api/<group>/<name>``."""
    raw = request.get_data(cache=True)
    biz = _biz_content(raw)
    note = exchange()
    # Note what the request is about before checking it, so rejected requests are journalled
    # with their operation and waybill too.
    note.operation = APIS.get(path, Operation.UNKNOWN)
    note.waybill = _peek_waybill(biz)
    account = _authenticate(biz)
    operation = APIS.get(path)
    if operation is None:
        raise _platform("unknown_api", f": /{path}")
    body = json_object((biz or "").encode("utf-8"))
    return DIALECT.answer(
        operation,
        app_key=account.app_key,
        waybill=note.waybill,
        default_field="billCodes",
        handler=lambda decision: _HANDLERS[operation](account, body, decision),
    )

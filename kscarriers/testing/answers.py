"""Realistic carrier answers for tests: success, every refusal reason, envelope errors, faults.

:func:`answer` gives one answer as an :class:`~kscarriers.HttpResponse` (or the exception a
transport raises), for a :class:`~kscarriers.testing.ScriptedTransport`;
:func:`register_answers` registers it with the ``responses`` library at the URL the client
calls for that carrier and operation. The envelopes are the ones docs/carriers/<slug>.md
describes; refusal codes come from the adapters' code tables, so every
:class:`~kscarriers.InterceptFailure` a carrier can answer has an outcome named after it.

Outcome names (see :func:`outcomes` for one carrier and operation):

- ``success``;
- intercept, change of address and cancel: every refusal reason the carrier has, named by
  its :class:`~kscarriers.InterceptFailure` value (``already_signed``, ``out_for_delivery``,
  ``duplicate_request``, …), a FAILED result, not an exception;
- envelope errors: ``auth`` (AuthenticationError), ``rate_limited`` (RateLimitError),
  ``server_busy`` (CarrierServerError), ``not_found`` (NotFoundError), ``phone_required``
  (ZTO: PhoneVerificationRequired);
- :data:`FAULTS`: ``http_500``, ``http_502_html``, ``http_503``, ``html``, ``truncated``,
  ``timeout``, ``reset``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from ..carriers.jt import adapter as jt
from ..carriers.jt import codes as jt_codes
from ..carriers.sto import adapter as sto
from ..carriers.sto import codes as sto_codes
from ..carriers.yto import adapter as yto
from ..carriers.yto import codes as yto_codes
from ..carriers.zto import adapter as zto
from ..carriers.zto import codes as zto_codes
from ..config import ClientConfig
from ..errors import ConnectError, TimeoutError
from ..models import InterceptFailure, Operation
from ..transport import HttpResponse
from .pushes import sample_events

__all__ = ["FAULTS", "answer", "outcomes", "register_answers"]

FAULTS = ("http_500", "http_502_html", "http_503", "html", "truncated", "timeout", "reset")
ENVELOPE_ERRORS = ("auth", "rate_limited", "server_busy", "not_found", "phone_required")
CARRIERS = ("zto", "yto", "sto", "jt")
_REFUSING = (Operation.INTERCEPT, Operation.CHANGE_ADDRESS, Operation.CANCEL_INTERCEPT)
_JSON = "application/json;charset=UTF-8"
_NGINX = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

_MODULES: Dict[str, Any] = {"zto": zto_codes, "yto": yto_codes, "sto": sto_codes, "jt": jt_codes}
_ADAPTERS: Dict[str, Any] = {
    "zto": zto.ZtoAdapter,
    "yto": yto.YtoAdapter,
    "sto": sto.StoAdapter,
    "jt": jt.JtAdapter,
}
_MESSAGES = {
    "auth": "签名校验失败",
    "rate_limited": "请求过于频繁，请稍后再试",
    "server_busy": "系统繁忙，请稍后重试",
    "not_found": "运单号不存在",
    "phone_required": "请输入收寄人任一方电话号码后4位",
}
_REFUSALS = {
    "already_signed": "快件已签收，不允许拦截",
    "out_for_delivery": "快件派送中，不允许拦截",
    "duplicate_request": "已存在有效拦截件，请勿重复提交",
    "waybill_not_found": "运单号不存在",
    "not_supported": "该运单不支持拦截",
    "no_intercept_to_cancel": "无进行中的拦截，无法取消",
    "carrier_rejected_other": "拦截失败",
}
_DEFAULT_WAYBILLS = {
    "zto": "73100130019486",
    "yto": "YT2600227881409",
    "sto": "777031922725111",
    "jt": "JT2099306666983",
}


def _operation(operation: Union[str, Operation]) -> Operation:
    try:
        return Operation(operation)
    except ValueError:
        names = ", ".join(op.value for op in Operation if op is not Operation.PUSH)
        raise ValueError(f"operation must be one of {names}, got {operation!r}") from None


def _check_carrier(carrier: str) -> None:
    if carrier not in CARRIERS:
        raise ValueError(f"answers know {', '.join(CARRIERS)}, not {carrier!r}")


def refusal_codes(carrier: str) -> Dict[str, str]:
    """The carrier's first code for each refusal reason: ``{failure value: code}``."""
    _check_carrier(carrier)
    found: Dict[str, str] = {}
    for code, failure in _MODULES[carrier].INTERCEPT_FAILURES.items():
        found.setdefault(failure.value, code)
    return found


def _error_code(carrier: str, outcome: str) -> Optional[str]:
    module = _MODULES[carrier]
    sets = {
        "auth": module.AUTH_CODES,
        "rate_limited": module.RATE_LIMIT_CODES,
        "server_busy": module.SERVER_CODES,
        "not_found": module.NOT_FOUND_CODES,
        "phone_required": getattr(module, "PHONE_CODES", frozenset()),
    }
    # The envelope's own code first: YTO's "401" is the HTTP 401 answer's, not an envelope code.
    codes = sorted(sets[outcome], key=lambda code: (code.isdigit() and len(code) == 3, code))
    if outcome == "phone_required" and "E413" in codes:
        return "E413"
    return codes[0] if codes else None


def outcomes(carrier: str, operation: Union[str, Operation]) -> Tuple[str, ...]:
    """Every outcome :func:`answer` knows for ``carrier`` and ``operation``."""
    _check_carrier(carrier)
    op = _operation(operation)
    if op not in _ADAPTERS[carrier].operations:
        raise ValueError(f"{carrier} has no {op.value} operation")
    names: List[str] = ["success"]
    if op in _REFUSING:
        names += list(refusal_codes(carrier))
    names += [name for name in ENVELOPE_ERRORS if _error_code(carrier, name) is not None]
    return (*names, *FAULTS)


def _json(body: Any, status: int = 200, **headers: str) -> HttpResponse:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return HttpResponse(status=status, headers={"Content-Type": _JSON, **headers}, body=text.encode("utf-8"))


def _success_data(carrier: str, op: Operation, waybill: str, request_id: str) -> Any:
    trace = sample_events(carrier, waybill)[0]
    if op is Operation.TRACK:
        return {
            "zto": [
                {
                    "scanType": "签收",
                    "scanDate": 1772417700000,
                    "desc": trace.get("desc"),
                    "scanSite": {
                        "name": "杭州西湖区文三路",
                        "code": "57112",
                        "prov": "浙江省",
                        "city": "杭州市",
                    },
                    "signMan": "本人",
                    "operateUser": "王师傅",
                }
            ],
            "yto": [trace],
            "sto": {waybill: [trace.get("trace")]},
            "jt": [trace],
        }[carrier]
    if op in (Operation.INTERCEPT, Operation.CHANGE_ADDRESS):
        return {
            "zto": {"thirdBizNo": request_id, "status": "1"},
            "yto": {"wantedId": "W2026030200001"},
            "sto": {"waybillNo": waybill, "interceptId": "I2026030200001", "status": "PENDING"},
            "jt": {"mailNo": waybill, "interceptId": "JI2026030200001", "status": "PENDING"},
        }[carrier]
    if op is Operation.CANCEL_INTERCEPT:
        return {
            "zto": None,
            "yto": {"wantedId": "W2026030200001"},
            "sto": {"waybillNo": waybill, "interceptId": "I2026030200001", "status": "CANCELLED"},
        }[carrier]
    if op is Operation.INTERCEPT_STATUS:
        return {
            "billCode": waybill,
            "serviceCode": request_id,
            "status": "1",
            "statusName": "拦截中",
            "failCode": None,
            "failReason": None,
            "updateTime": "2026-03-02 10:15:00",
        }
    return None  # subscribe


def _envelope(carrier: str, *, ok: bool, code: str, message: str, data: Any, retry: bool = False) -> Any:
    if carrier == "zto":
        return {"status": ok, "statusCode": code or "SYS000", "message": message, "result": data}
    if carrier == "yto":
        found = {"success": ok, "code": code or "0", "message": message}
        if data is not None:
            found["data"] = data
        return found
    if carrier == "sto":
        return {
            "success": ok,
            "errorCode": code,
            "errorMsg": message,
            "needRetry": retry,
            "requestId": "5f3c9a0e2b7d4e1f",
            "data": data,
        }
    return {"code": code or "1", "msg": message, "data": data, "requestId": "a1b2c3d4"}


def answer(
    carrier: str,
    operation: Union[str, Operation],
    outcome: str = "success",
    *,
    waybill: Optional[str] = None,
    request_id: str = "r-1",
) -> Union[HttpResponse, Exception]:
    """One answer of ``carrier`` to ``operation`` (an outcome of :func:`outcomes`).

    ``timeout`` and ``reset`` give the exception a transport raises
    (:class:`kscarriers.TimeoutError`, :class:`kscarriers.ConnectError`); a
    :class:`~kscarriers.testing.ScriptedTransport` raises it when it comes to that step.
    ``request_id`` is echoed where the carrier echoes ours (ZTO's ``thirdBizNo``).
    """
    known = outcomes(carrier, operation)
    if outcome not in known:
        raise ValueError(
            f"{carrier} {_operation(operation).value} has no outcome {outcome!r}: {', '.join(known)}"
        )
    op = _operation(operation)
    number = waybill or _DEFAULT_WAYBILLS[carrier]
    if outcome == "timeout":
        return TimeoutError(f"read timed out ({carrier} {op.value})", url="")
    if outcome == "reset":
        return ConnectError(f"connection reset ({carrier} {op.value})", url="")
    if outcome == "http_500":
        return HttpResponse(status=500, headers={"Content-Type": "text/plain"}, body=b"Internal Server Error")
    if outcome == "http_502_html":
        return HttpResponse(status=502, headers={"Content-Type": "text/html"}, body=_NGINX.encode())
    if outcome == "http_503":
        return HttpResponse(
            status=503,
            headers={"Content-Type": "text/plain", "Retry-After": "1"},
            body=b"Service Unavailable",
        )
    if outcome == "html":
        return HttpResponse(status=200, headers={"Content-Type": "text/html"}, body=_NGINX.encode())
    if outcome == "success":
        data = _success_data(carrier, op, number, request_id)
        if carrier == "yto" and op is Operation.TRACK:
            return _json(data)  # YTO answers a track query with a bare array
        return _json(
            _envelope(carrier, ok=True, code="", message="成功" if carrier != "jt" else "success", data=data)
        )
    if outcome == "truncated":
        whole = answer(carrier, op, "success", waybill=number, request_id=request_id)
        assert isinstance(whole, HttpResponse)
        return HttpResponse(status=200, headers=dict(whole.headers), body=whole.body[: len(whole.body) // 2])
    if outcome in ENVELOPE_ERRORS:
        code = _error_code(carrier, outcome)
        assert code is not None
        message = _MESSAGES[outcome]
        retry = outcome == "server_busy"
    else:
        code = refusal_codes(carrier)[outcome]
        message = _REFUSALS.get(outcome, f"拦截失败：{InterceptFailure(outcome).value}")
        retry = False
    return _json(_envelope(carrier, ok=False, code=code, message=message, data=None, retry=retry))


def _route(carrier: str, op: Operation, root: str) -> Tuple[Any, Optional[Callable[[Any], Tuple[bool, str]]]]:
    """The URL (a string or a pattern) the client calls, and a body matcher where one URL serves all."""
    if carrier == "zto":
        api = {
            Operation.TRACK: zto.API_TRACK,
            Operation.SUBSCRIBE: zto.API_SUBSCRIBE,
            Operation.INTERCEPT: zto.API_INTERCEPT,
            Operation.CHANGE_ADDRESS: zto.API_INTERCEPT,
            Operation.CANCEL_INTERCEPT: zto.API_CANCEL,
            Operation.INTERCEPT_STATUS: zto.API_STATUS,
        }[op]
        return f"{root}/{api}", None
    if carrier == "yto":
        method = {
            Operation.TRACK: yto.METHOD_TRACK,
            Operation.SUBSCRIBE: yto.METHOD_SUBSCRIBE,
            Operation.INTERCEPT: yto.METHOD_INTERCEPT,
            Operation.CHANGE_ADDRESS: yto.METHOD_CHANGE_ADDRESS,
            Operation.CANCEL_INTERCEPT: yto.METHOD_CANCEL,
        }[op]
        return re.compile(re.escape(f"{root}/open/{method}/") + ".*"), None
    if carrier == "jt":
        path = {
            Operation.TRACK: jt.PATH_TRACK,
            Operation.SUBSCRIBE: jt.PATH_SUBSCRIBE,
            Operation.INTERCEPT: jt.PATH_INTERCEPT,
            Operation.CHANGE_ADDRESS: jt.PATH_INTERCEPT,
        }[op]
        return f"{root}{jt.PATH_PREFIX}{path}", None
    api = {
        Operation.TRACK: sto.API_TRACK,
        Operation.SUBSCRIBE: sto.API_SUBSCRIBE,
        Operation.INTERCEPT: sto.API_INTERCEPT,
        Operation.CHANGE_ADDRESS: sto.API_INTERCEPT,
        Operation.CANCEL_INTERCEPT: sto.API_CANCEL,
    }[op]

    def api_name_is(request: Any) -> Tuple[bool, str]:
        from urllib.parse import parse_qs

        body = request.body or b""
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        sent = parse_qs(text).get("api_name", [""])[0]
        return sent == api, f"api_name {sent!r} is not {api!r}"

    return f"{root}{sto.PATH}", api_name_is


def register_answers(
    rsps: Any,
    config: ClientConfig,
    carrier: str,
    operation: Union[str, Operation],
    outcome: str = "success",
    *,
    waybill: Optional[str] = None,
    request_id: str = "r-1",
    times: int = 1,
) -> None:
    """Register ``answer(carrier, operation, outcome)`` with a ``responses`` mock.

    ``rsps`` is a ``responses.RequestsMock`` (or the ``responses`` module itself inside
    ``@responses.activate``); ``config`` the client's :class:`~kscarriers.ClientConfig`, whose
    base URL for ``carrier`` is where the answer is registered. ``times`` registers it that
    many times (responses answers registrations for one URL in order, and repeats the last).
    ``timeout`` and ``reset`` raise what ``requests`` raises, which the SDK's transport turns
    into :class:`kscarriers.TimeoutError` / :class:`kscarriers.ConnectError`.
    """
    import requests

    op = _operation(operation)
    root = config.carrier(carrier).root
    url, matcher = _route(carrier, op, root)
    made = answer(carrier, op, outcome, waybill=waybill, request_id=request_id)
    match = [matcher] if matcher is not None else []
    for _ in range(times):
        if outcome == "timeout":
            rsps.add("POST", url, body=requests.exceptions.ReadTimeout("read timed out"), match=match)
        elif outcome == "reset":
            rsps.add("POST", url, body=requests.exceptions.ConnectionError("connection reset"), match=match)
        else:
            assert isinstance(made, HttpResponse)
            rsps.add(
                "POST",
                url,
                body=made.body,
                status=made.status,
                headers={k: v for k, v in made.headers.items() if k.lower() != "content-type"},
                content_type=made.headers.get("Content-Type", "application/json"),
                match=match,
            )

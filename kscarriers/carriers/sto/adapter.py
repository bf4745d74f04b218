"""StoAdapter: builds signed LinkGateway form requests and parses STO answers and pushes (no I/O)."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Dict, FrozenSet, Mapping, Optional, Pattern, Tuple

from ...errors import ResponseFormatError, ValidationError
from ...models import (
    InterceptKind,
    InterceptRequest,
    InterceptResult,
    InterceptStatus,
    Operation,
    PushAck,
    PushEvent,
    SubscribeResult,
    TrackResult,
)
from ...signing import b64_md5
from ...transport import HttpRequest, HttpResponse
from .. import CodeBook
from .._base import AdapterBase
from .._codec import FORM_CONTENT_TYPE, by_time, compact_json, encode_form, parse_form
from .._envelope import EnvelopeFormat, require
from .._push import check_account, json_ack, verified_form_json
from . import codes, wire

PATH = "/gateway/link.do"

API_TRACK = "STO_TRACE_QUERY_COMMON"
API_SUBSCRIBE = "STO_TRACE_PLATFORM_SUBSCRIBE"
API_INTERCEPT = "INTERCEPT_CREATE_STANDARD"
API_CANCEL = "INTERCEPT_DEL_STANDARD"
API_PUSH_TRACE = "STO_TRACE_PLATFORM_PUSH"
API_PUSH_INTERCEPT = "INTERCEPT_RESULT_PUSH"

#: ``to_appkey`` = ``to_code`` of each api.
TO_TRACK = "sto_trace_query"
TO_SUBSCRIBE = "sto_trace_platform"
TO_REVERSE = "reverse-center"

ACK_OK = {"success": True, "errorCode": "", "errorMsg": ""}
ACK_RETRY = {"success": False, "errorCode": "PUSH_FAILED", "errorMsg": "处理失败，请重推", "needRetry": True}


class StoAdapter(AdapterBase):
    """STO (申通) over the LinkGateway open platform. See docs/carriers/sto.md.

    Args:
        config: ``credentials.app_key`` is ``from_appkey``; ``credentials.extra["from_code"]``
            is ``from_code`` (defaults to the app key).
        now_ms: clock in epoch milliseconds (STO's link requests carry no timestamp; kept so
            every adapter takes the same keyword).
    """

    name: ClassVar[str] = "sto"
    rank: ClassVar[int] = 3
    display_name: ClassVar[str] = "STO Express (申通)"
    waybill_patterns: ClassVar[Tuple[Pattern[str], ...]] = (
        re.compile(r"(77|43)[0-9]{12,15}"),
        re.compile(r"[0-9]{12}"),
    )
    operations: ClassVar[FrozenSet[Operation]] = frozenset(
        {
            Operation.TRACK,
            Operation.SUBSCRIBE,
            Operation.INTERCEPT,
            Operation.CHANGE_ADDRESS,
            Operation.CANCEL_INTERCEPT,
            Operation.PUSH,
        }
    )
    intercept_takes_request_id: ClassVar[bool] = False
    code_book: ClassVar[CodeBook] = codes.CODE_BOOK
    envelope_format: ClassVar[EnvelopeFormat] = wire.ENVELOPE

    @property
    def from_code(self) -> str:
        """``from_code`` sent on every request: ``extra["from_code"]``, else the app key."""
        creds = self._config.credentials
        return creds.extra.get("from_code") or creds.app_key

    # -- requests ---------------------------------------------------------------------------

    def _request(self, api: str, to: str, content: Mapping[str, Any]) -> HttpRequest:
        text = compact_json(content)
        creds = self._config.credentials
        fields = {
            "content": text,
            "data_digest": b64_md5(text, creds.app_secret),
            "api_name": api,
            "from_appkey": creds.app_key,
            "from_code": self.from_code,
            "to_appkey": to,
            "to_code": to,
        }
        return HttpRequest(
            method="POST",
            url=f"{self._config.root}{PATH}",
            headers={"Content-Type": FORM_CONTENT_TYPE},
            body=encode_form(fields),
        )

    def build_track(self, waybill: str, *, phone_tail: Optional[str] = None) -> HttpRequest:
        """``STO_TRACE_QUERY_COMMON``, oldest scan first; ``phone_tail`` is ignored (no field)."""
        return self._request(API_TRACK, TO_TRACK, {"order": "asc", "waybillNoList": [waybill]})

    def build_subscribe(
        self, waybill: str, *, callback_url: Optional[str], phone_tail: Optional[str] = None
    ) -> HttpRequest:
        """``STO_TRACE_PLATFORM_SUBSCRIBE``; the callback URL is set in the STO console."""
        return self._request(API_SUBSCRIBE, TO_SUBSCRIBE, {"subscribeInfoList": [{"waybillNo": waybill}]})

    def build_intercept(self, request: InterceptRequest) -> HttpRequest:
        """``INTERCEPT_CREATE_STANDARD`` with ``interceptForAct: "DEFAULT"``.

        A change of address is the same request plus the new ``receiver*`` fields, as the
        public client sends it (syships/php-express ``LogisticApplication.php``,
        ``ACTION_INTERCEPTCHANGE`` for STO). STO has no field for our request id or reason:
        neither is sent.
        """
        content: Dict[str, Any] = {
            "waybillNo": request.waybill,
            "interceptForAct": codes.ACT_DEFAULT,
        }
        if request.kind is InterceptKind.CHANGE_ADDRESS:
            address = request.new_address
            assert address is not None  # InterceptRequest guarantees it
            content.update(
                receiverName=address.name,
                receiverTel=address.phone,
                receiverProvince=address.province,
                receiverCity=address.city,
                receiverArea=address.district,
                receiverAddress=address.detail,
            )
        return self._request(API_INTERCEPT, TO_REVERSE, content)

    def build_cancel_intercept(self, waybill: str, *, request_id: str, reason: str) -> HttpRequest:
        """``INTERCEPT_DEL_STANDARD``: STO cancels by waybill alone."""
        return self._request(API_CANCEL, TO_REVERSE, {"waybillNo": waybill})

    # -- answers ----------------------------------------------------------------------------

    def parse_track(self, waybill: str, response: HttpResponse) -> TrackResult:
        """Traces of ``data[waybill]``, sorted by time (ties keep STO's order)."""
        env = self._ok(response)
        data = wire.data_of(env, response)
        if data is None:
            require(self.name, env, "data", where="answer")
        traces = wire.traces_of(data, waybill, where="data")
        events = [wire.trace_from_wire(trace, where=f"data.{waybill}[{i}]") for i, trace in enumerate(traces)]
        events.sort(key=by_time)
        return TrackResult(carrier=self.name, waybill=waybill, events=events)

    def parse_subscribe(self, waybill: str, response: HttpResponse) -> SubscribeResult:
        """``success`` true means subscribed."""
        return self._subscribed(waybill, response)

    def _is_refusal(self, code: str, env: Mapping[str, Any]) -> bool:
        is_intercept_code = code in codes.INTERCEPT_FAILURES or code.startswith(codes.INTERCEPT_CODE_PREFIX)
        # needRetry means "not decided, ask again": that is an error to retry, not a refusal.
        return is_intercept_code and not wire.needs_retry(env)

    def parse_intercept(self, request: InterceptRequest, response: HttpResponse) -> InterceptResult:
        """Accepted is PENDING with STO's ``interceptId``; a refusal is FAILED with its I-code."""
        env = wire.envelope(response)
        if not wire.is_success(env):
            return self._refusal(
                request.waybill, env, response, code=wire.code_of(env), request_id=request.request_id
            )
        data = wire.data_of(env, response)
        intercept_id = str(require(self.name, data, "interceptId", where="data"))
        raw_status = str(data.get("status") or "PENDING").strip().upper()
        state = codes.INTERCEPT_STATES.get(raw_status)
        if state is None or state is InterceptStatus.FAILED:
            raise ResponseFormatError(
                carrier=self.name,
                code="BAD_STATUS",
                message=f"data.status {raw_status!r} is not a state of an accepted intercept",
                raw=dict(env),
            )
        return InterceptResult(
            carrier=self.name,
            waybill=str(data.get("waybillNo") or request.waybill),
            status=state,
            raw_code=wire.code_of(env),
            raw_status=raw_status,
            message=wire.message_of(env),
            request_id=request.request_id,
            carrier_reference=intercept_id,
        )

    def parse_cancel_intercept(self, waybill: str, response: HttpResponse) -> InterceptResult:
        """Success is CANCELLED; I106 is FAILED (no intercept to cancel)."""
        env = wire.envelope(response)
        if not wire.is_success(env):
            return self._refusal(waybill, env, response, code=wire.code_of(env), request_id="")
        data = wire.data_of(env, response)
        reference = data.get("interceptId") if isinstance(data, Mapping) else None
        return self._cancelled(waybill, env, reference=str(reference or ""))

    # -- pushes -----------------------------------------------------------------------------

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> Tuple[PushEvent, ...]:
        """Verify ``data_digest = base64(md5(content + secret))`` and parse ``content``.

        ``api_name`` tells a trace push (``STO_TRACE_PLATFORM_PUSH``, also assumed when absent)
        from an intercept result (``INTERCEPT_RESULT_PUSH``).
        """
        form = parse_form(self.name, body)
        creds = self._config.credentials
        content = verified_form_json(
            self.name, form, field="content", digest_field="data_digest", secret=creds.app_secret
        )
        check_account(self.name, form.get("to_appkey"), creds.app_key)
        api = form.get("api_name") or API_PUSH_TRACE
        if api == API_PUSH_TRACE:
            return (wire.push_trace_from_wire(content),)
        if api == API_PUSH_INTERCEPT:
            return (wire.push_intercept_from_wire(content),)
        raise ValidationError(field="api_name", reason=f"unknown STO push type {api!r}")

    def push_ack(self, *, ok: bool) -> PushAck:
        """``{"success":true,"errorCode":"","errorMsg":""}`` (observed); a failure asks for a re-push."""
        body = ACK_OK if ok else ACK_RETRY
        return json_ack(body)

"""YtoAdapter: builds signed YTO open-platform requests and parses its answers and pushes (no I/O)."""

from __future__ import annotations

import re
from typing import Any, ClassVar, FrozenSet, Mapping, Optional, Pattern, Tuple

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
from .._envelope import EnvelopeFormat
from .._push import check_account, json_ack, verified_form_json
from . import codes, wire

METHOD_TRACK = "track_query_adapter"
METHOD_SUBSCRIBE = "subscribe_adapter"
METHOD_INTERCEPT = "wanted_report_adapter"
METHOD_CHANGE_ADDRESS = "wanted_change_adapter"
METHOD_CANCEL = "wanted_cancel_adapter"
VERSION = "v1"


class YtoAdapter(AdapterBase):
    """YTO (圆通) over the open platform's "adapter" API. See docs/carriers/yto.md.

    Args:
        config: ``credentials.app_key`` is the partner code, ``credentials.extra["client_id"]``
            the client id (defaults to the partner code), ``app_secret`` the signing secret.
        now_ms: clock for the ``timestamp`` field, in epoch milliseconds (inject in tests).
    """

    name: ClassVar[str] = "yto"
    rank: ClassVar[int] = 2
    display_name: ClassVar[str] = "YTO Express (圆通)"
    waybill_patterns: ClassVar[Tuple[Pattern[str], ...]] = (re.compile(r"YT[0-9]{13,15}"),)
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
    def partner_code(self) -> str:
        """The partner code (``credentials.app_key``), the first id in every URL."""
        return self._config.credentials.app_key

    @property
    def client_id(self) -> str:
        """The client id (``credentials.extra["client_id"]``, default: the partner code)."""
        return self._config.credentials.extra.get("client_id") or self.partner_code

    # -- requests ---------------------------------------------------------------------------

    def _request(self, method: str, payload: Mapping[str, Any]) -> HttpRequest:
        param = compact_json(payload)
        sign = b64_md5(param, method, VERSION, self._config.credentials.app_secret)
        body = encode_form({"timestamp": str(self._now_ms()), "param": param, "sign": sign, "format": "JSON"})
        return HttpRequest(
            method="POST",
            url=f"{self._config.root}/open/{method}/{VERSION}/{self.partner_code}/{self.client_id}",
            headers={"Content-Type": FORM_CONTENT_TYPE},
            body=body,
        )

    def build_track(self, waybill: str, *, phone_tail: Optional[str] = None) -> HttpRequest:
        """``track_query_adapter`` with ``{"NUMBER": waybill}``; ``phone_tail`` is ignored (no field)."""
        return self._request(METHOD_TRACK, {"NUMBER": waybill})

    def build_subscribe(
        self, waybill: str, *, callback_url: Optional[str], phone_tail: Optional[str] = None
    ) -> HttpRequest:
        """``subscribe_adapter``; the callback URL is registered in the YTO console, not sent."""
        inner = compact_json({"clientId": self.client_id, "waybillNo": waybill})
        return self._request(
            METHOD_SUBSCRIBE,
            {"client_id": self.client_id, "logistics_interface": inner, "msg_type": "online"},
        )

    def build_intercept(self, request: InterceptRequest) -> HttpRequest:
        """``wanted_report_adapter`` (return), or ``wanted_change_adapter`` (new address).

        YTO has no request-id field: the InterceptRequest's id stays on our side only.
        """
        if not request.reason.strip():
            raise ValidationError(field="reason", reason="YTO needs a non-empty wantedDesc")
        if request.kind is InterceptKind.CHANGE_ADDRESS:
            address = request.new_address
            assert address is not None  # InterceptRequest guarantees it
            return self._request(
                METHOD_CHANGE_ADDRESS,
                {
                    "waybillNo": request.waybill,
                    "receiverName": address.name,
                    "receiverTel": address.phone,
                    "receiveProvName": address.province,
                    "receiveCityName": address.city,
                    "receiveCountyName": address.district,
                    "receiveAddress": address.detail,
                    "wantedDesc": request.reason,
                },
            )
        return self._request(METHOD_INTERCEPT, {"waybillNo": request.waybill, "wantedDesc": request.reason})

    def build_cancel_intercept(self, waybill: str, *, request_id: str, reason: str) -> HttpRequest:
        """``wanted_cancel_adapter``; YTO cancels by waybill, so ``request_id`` is not sent."""
        return self._request(METHOD_CANCEL, {"waybillNo": waybill, "dealRemark": reason})

    # -- answers ----------------------------------------------------------------------------

    def parse_track(self, waybill: str, response: HttpResponse) -> TrackResult:
        """A bare array of entries; ``code 1001`` ("查询结果为空") or a bare success envelope is empty."""
        data = wire.answer(response)
        if isinstance(data, list):
            entries = data
        elif wire.code_of(data) == codes.NO_DATA_CODE:
            entries = wire.no_data_entries(data, waybill)
        elif not wire.is_success(data):
            raise wire.error_from(data, response)
        elif data.get("data") or data.get("map"):
            raise ResponseFormatError(
                carrier=self.name,
                code="BAD_SHAPE",
                message="a successful track answer should be a list of scans, not an object with data",
                http_status=response.status,
                raw=dict(data),
            )
        else:
            # A success envelope without scans (the public client met success answers without
            # data): an empty history, like code 1001, not a format error.
            entries = []
        events = [wire.scan_from_wire(entry, where=f"[{i}]") for i, entry in enumerate(entries)]
        events.sort(key=by_time)  # stable: equal times keep YTO's order
        return TrackResult(carrier=self.name, waybill=waybill, events=events)

    def parse_subscribe(self, waybill: str, response: HttpResponse) -> SubscribeResult:
        """``success: true`` means subscribed."""
        return self._subscribed(waybill, response)

    def _is_refusal(self, code: str, env: Mapping[str, Any]) -> bool:
        # Unlisted 20xx codes are refusals too; S01, S06 … are envelope errors.
        return code in codes.INTERCEPT_FAILURES or code.startswith(codes.INTERCEPT_FAILURE_PREFIX)

    def _not_accepted(
        self, waybill: str, env: Mapping[str, Any], response: HttpResponse, request_id: str
    ) -> InterceptResult:
        code = wire.code_of(env)
        if code in codes.SUCCESS_CODES:
            code = str(env.get("statusCode") or "")  # success flag set, non-zero statusCode
        if wire.is_status_envelope(env) and not self._is_refusal(code, env):
            # {"statusCode": 1, "statusMessage": "已有有效拦截件…"}: a refusal whose code says
            # nothing; the message tells which (codes.STATUS_REFUSAL_PHRASES).
            return InterceptResult(
                carrier=self.name,
                waybill=waybill,
                status=InterceptStatus.FAILED,
                failure=wire.status_refusal(env),
                raw_code=code,
                message=wire.message_of(env),
                request_id=request_id,
            )
        return self._refusal(waybill, env, response, code=code, request_id=request_id)

    @staticmethod
    def _data(env: Mapping[str, Any]) -> Mapping[str, Any]:
        data = env.get("data")
        return data if isinstance(data, Mapping) else {}

    def parse_intercept(self, request: InterceptRequest, response: HttpResponse) -> InterceptResult:
        """Accepted is PENDING with YTO's ``wantedId``; a refusal is FAILED with its code.

        An accepted answer without ``data`` (``{"waybillNo": …, "success": true}``, as the
        public client met it) is PENDING with no ``carrier_reference``: YTO cancels by waybill.
        """
        env = wire.envelope(response)
        if not wire.is_accepted(env):
            return self._not_accepted(request.waybill, env, response, request.request_id)
        wanted_id = self._data(env).get("wantedId")
        return InterceptResult(
            carrier=self.name,
            waybill=request.waybill,
            status=InterceptStatus.PENDING,
            raw_code=wire.code_of(env),
            message=wire.message_of(env),
            request_id=request.request_id,
            carrier_reference="" if wanted_id is None else str(wanted_id),
        )

    def parse_cancel_intercept(self, waybill: str, response: HttpResponse) -> InterceptResult:
        """Accepted is CANCELLED; ``2006`` is FAILED with NO_INTERCEPT_TO_CANCEL."""
        env = wire.envelope(response)
        if not wire.is_accepted(env):
            return self._not_accepted(waybill, env, response, "")
        return self._cancelled(waybill, env, reference=str(self._data(env).get("wantedId") or ""))

    # -- pushes -----------------------------------------------------------------------------

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> Tuple[PushEvent, ...]:
        """Verify ``data_digest = base64(md5(logistics_interface + app_secret))`` and parse it.

        Raises:
            SignatureError: a field is missing, the digest is not Base64 or does not match, the
                ``clientId`` is not this account's, or ``logistics_interface`` is not JSON.
            ValidationError: ``type`` is neither TRACE nor INTERCEPT.
        """
        form = parse_form(self.name, body)
        data = verified_form_json(
            self.name,
            form,
            field="logistics_interface",
            digest_field="data_digest",
            secret=self._config.credentials.app_secret,
        )
        check_account(self.name, form.get("clientId"), self.client_id, self.partner_code)
        push_type = (form.get("type") or codes.PUSH_TRACE).strip().upper()
        if push_type == codes.PUSH_TRACE:
            return (wire.trace_push_from_wire(data),)
        if push_type == codes.PUSH_INTERCEPT:
            return (wire.intercept_push_from_wire(data),)
        raise ValidationError(field="type", reason=f"unknown YTO push type {push_type!r}")

    def push_ack(self, *, ok: bool) -> PushAck:
        """The documented acknowledgement; ``ok=False`` answers "service busy" (modelled)."""
        body = (
            {"success": True, "code": "0", "message": "成功"}
            if ok
            else {"success": False, "code": "S06", "message": "处理失败，请重试"}
        )
        return json_ack(body)

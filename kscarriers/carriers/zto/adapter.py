"""ZtoAdapter: builds signed ZOP requests and parses ZOP answers and pushes (no I/O)."""

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
    PushKind,
    SubscribeResult,
    TrackResult,
)
from ...signing import b64_md5
from ...transport import HttpRequest, HttpResponse
from .. import CodeBook, check_phone_tail
from .._base import AdapterBase
from .._codec import JSON_CONTENT_TYPE, by_time, compact_json, parse_form, receive_fields
from .._envelope import EnvelopeFormat, require
from .._push import check_account, dedupe_key, json_ack, verified_form_json
from . import codes, wire

API_TRACK = "zto.merchant.waybill.track.query"
API_SUBSCRIBE = "zto.merchant.waybill.track.subsrcibe"  # sic: ZTO's spelling
API_INTERCEPT = "thirdcenter.createIntercept"
API_CANCEL = "thirdcenter.cancelIntercept"
API_STATUS = "thirdcenter.queryInterceptAndReturnStatus"

_MAX_PHONE = 16


class ZtoAdapter(AdapterBase):
    """ZTO (中通) over the ZOP open platform. See docs/carriers/zto.md."""

    name: ClassVar[str] = "zto"
    rank: ClassVar[int] = 1
    display_name: ClassVar[str] = "ZTO Express (中通)"
    waybill_patterns: ClassVar[Tuple[Pattern[str], ...]] = (
        re.compile(r"7[3-68][0-9]{12}"),
        re.compile(r"[0-9]{12}"),
    )
    operations: ClassVar[FrozenSet[Operation]] = frozenset(Operation)
    intercept_takes_request_id: ClassVar[bool] = True
    code_book: ClassVar[CodeBook] = codes.CODE_BOOK
    envelope_format: ClassVar[EnvelopeFormat] = wire.ENVELOPE

    # -- requests ---------------------------------------------------------------------------

    def _request(self, api: str, payload: Mapping[str, Any]) -> HttpRequest:
        body = compact_json(payload).encode("utf-8")
        creds = self._config.credentials
        return HttpRequest(
            method="POST",
            url=f"{self._config.root}/{api}",
            headers={
                "Content-Type": JSON_CONTENT_TYPE,
                "x-appKey": creds.app_key,
                "x-dataDigest": b64_md5(body, creds.app_secret),
            },
            body=body,
        )

    @staticmethod
    def _waybill_body(waybill: str, phone_tail: Optional[str]) -> Dict[str, Any]:
        body: Dict[str, Any] = {"billCode": waybill}
        tail = check_phone_tail(phone_tail)
        if tail is not None:
            body["mobilePhone"] = tail  # E413 asks for it (YangLiCon/docs zto.md)
        return body

    def build_track(self, waybill: str, *, phone_tail: Optional[str] = None) -> HttpRequest:
        """``zto.merchant.waybill.track.query``; ``phone_tail`` is sent as ``mobilePhone``."""
        return self._request(API_TRACK, self._waybill_body(waybill, phone_tail))

    def build_subscribe(
        self, waybill: str, *, callback_url: Optional[str], phone_tail: Optional[str] = None
    ) -> HttpRequest:
        """``zto.merchant.waybill.track.subsrcibe`` (``phone_tail`` as ``mobilePhone``).

        The callback URL is set in the ZOP console.
        """
        return self._request(API_SUBSCRIBE, self._waybill_body(waybill, phone_tail))

    def build_intercept(self, request: InterceptRequest) -> HttpRequest:
        """``thirdcenter.createIntercept``; ``requestId`` and ``thirdBizNo`` carry our id."""
        payload: Dict[str, Any] = {
            "billCode": request.waybill,
            "requestId": request.request_id,
            "thirdBizNo": request.request_id,
            "destinationType": codes.DESTINATION_RETURN_TO_SENDER,
            "remark": request.reason,
        }
        if request.kind is InterceptKind.CHANGE_ADDRESS:
            address = request.new_address
            assert address is not None  # InterceptRequest guarantees it
            if len(address.phone) > _MAX_PHONE:
                raise ValidationError(
                    field="new_address.phone", reason=f"ZTO takes at most {_MAX_PHONE} characters"
                )
            payload.update(
                destinationType=codes.DESTINATION_CHANGE_ADDRESS,
                **receive_fields(address),
            )
        return self._request(API_INTERCEPT, payload)

    def build_cancel_intercept(self, waybill: str, *, request_id: str, reason: str) -> HttpRequest:
        """``thirdcenter.cancelIntercept``; ZTO needs the ``thirdBizNo`` of the intercept."""
        if not request_id:
            raise ValidationError(
                field="intercept_request_id",
                reason="ZTO cancels by the intercept's thirdBizNo; none was given or found",
            )
        return self._request(
            API_CANCEL, {"billCode": waybill, "thirdBizNo": request_id, "dealRemark": reason}
        )

    def build_intercept_status(self, waybill: str) -> HttpRequest:
        """``thirdcenter.queryInterceptAndReturnStatus``."""
        return self._request(API_STATUS, {"billCode": waybill})

    # -- answers ----------------------------------------------------------------------------

    def parse_track(self, waybill: str, response: HttpResponse) -> TrackResult:
        """Scans of ``result``, sorted by time (ZOP does not promise an order)."""
        result = self._ok(response).get("result") or []
        if not isinstance(result, list):
            raise ResponseFormatError(
                carrier=self.name, code="BAD_SHAPE", message="result should be a list of scans"
            )
        events = [wire.scan_from_wire(scan, i) for i, scan in enumerate(result)]
        events.sort(key=by_time)
        return TrackResult(carrier=self.name, waybill=waybill, events=events)

    def parse_subscribe(self, waybill: str, response: HttpResponse) -> SubscribeResult:
        """SYS000 means subscribed."""
        return self._subscribed(waybill, response)

    def _is_refusal(self, code: str, env: Mapping[str, Any]) -> bool:
        # Unlisted E23… codes are refusals too; other codes (S211 …) are envelope errors.
        return code in codes.INTERCEPT_FAILURES or code.startswith("E23")

    def parse_intercept(self, request: InterceptRequest, response: HttpResponse) -> InterceptResult:
        """Accepted is PENDING (ZOP opens a work order); a refusal is FAILED with its E-code."""
        env = wire.envelope(response)
        if not wire.is_success(env):
            return self._refusal(
                request.waybill, env, response, code=wire.code_of(env), request_id=request.request_id
            )
        result = env.get("result") if isinstance(env.get("result"), Mapping) else {}
        assert isinstance(result, Mapping)
        return InterceptResult(
            carrier=self.name,
            waybill=request.waybill,
            status=InterceptStatus.PENDING,
            raw_code=wire.code_of(env),
            raw_status=str(result.get("status") or ""),
            message=wire.message_of(env),
            request_id=request.request_id,
            carrier_reference=str(result.get("thirdBizNo") or request.request_id),
        )

    def parse_cancel_intercept(self, waybill: str, response: HttpResponse) -> InterceptResult:
        """SYS000 is CANCELLED; E23130 is FAILED (no intercept in progress)."""
        env = wire.envelope(response)
        if not wire.is_success(env):
            return self._refusal(waybill, env, response, code=wire.code_of(env), request_id="")
        return self._cancelled(waybill, env)

    def parse_intercept_status(self, waybill: str, response: HttpResponse) -> InterceptResult:
        """The intercept's state; no intercept for the waybill raises NotFoundError (E23102)."""
        env = self._ok(response)
        return wire.intercept_state_from_wire(waybill, env.get("result"), where="result")

    # -- pushes -----------------------------------------------------------------------------

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> Tuple[PushEvent, ...]:
        """Verify ``data_digest = base64(md5(data + secret))`` and parse ``data``."""
        form = parse_form(self.name, body)
        creds = self._config.credentials
        data = verified_form_json(
            self.name, form, field="data", digest_field="data_digest", secret=creds.app_secret
        )
        check_account(self.name, form.get("company_id"), creds.app_key)
        msg_type = form.get("msg_type", "Traces")
        if msg_type == "Traces":
            return (wire.push_trace_from_wire(data),)
        if msg_type == "InterceptResult":
            waybill = str(require(self.name, data, "billCode", where="data"))
            result = wire.intercept_state_from_wire(waybill, data, where="data")
            return (
                PushEvent(
                    carrier=self.name,
                    kind=PushKind.INTERCEPT_RESULT,
                    waybill=waybill,
                    dedupe_key=dedupe_key(
                        self.name, waybill, "intercept", result.carrier_reference, result.raw_status
                    ),
                    intercept=result,
                    raw=data,
                ),
            )
        raise ValidationError(field="msg_type", reason=f"unknown ZTO push type {msg_type!r}")

    def push_ack(self, *, ok: bool) -> PushAck:
        """ZOP-style acknowledgement (modelled: the real one is not public)."""
        body = (
            {"status": True, "message": "成功", "statusCode": "SYS000"}
            if ok
            else {"status": False, "message": "处理失败", "statusCode": "S202"}
        )
        return json_ack(body)

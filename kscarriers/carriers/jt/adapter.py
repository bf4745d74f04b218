"""JtAdapter: builds signed J&T open-platform requests and parses its answers and pushes (no I/O)."""

from __future__ import annotations

import re
from typing import Any, ClassVar, Dict, FrozenSet, Mapping, Optional, Pattern, Tuple

from ...errors import ResponseFormatError, SignatureError
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
from ...signing import b64_md5, digests_match, is_base64
from ...transport import HttpRequest, HttpResponse
from .. import CodeBook
from .._base import AdapterBase
from .._codec import (
    FORM_CONTENT_TYPE,
    compact_json,
    encode_form,
    header,
    json_loads,
    parse_form,
    receive_fields,
)
from .._envelope import EnvelopeFormat, require
from .._push import json_ack
from . import codes, wire

PATH_PREFIX = "/webopenplatformapi"
PATH_TRACK = "/api/logistics/trace"
PATH_SUBSCRIBE = "/api/trace/subscribe"
PATH_INTERCEPT = "/api/waybill/intercept"

BIZ_FIELD = "bizContent"

ACK_OK: Mapping[str, str] = {"code": "1", "msg": "success", "data": "SUCCESS"}
ACK_FAIL: Mapping[str, str] = {"code": "0", "msg": "fail", "data": "FAIL"}


#: Digits of an epoch-milliseconds timestamp (13 until the year 2286; room for a few more).
_STAMP_DIGITS = 16


class JtAdapter(AdapterBase):
    """J&T Express China (极兔) over its open platform. See docs/carriers/jt.md.

    Credentials: ``app_key`` is the ``apiAccount``, ``app_secret`` the private key. J&T has no
    intercept cancel and no intercept status API: an intercept's outcome arrives by push.

    Args:
        config: the account and base URL (``https://openapi.jtexpress.com.cn`` in production).
        now_ms: clock for the ``timestamp`` header, in epoch milliseconds (inject in tests).
    """

    name: ClassVar[str] = "jt"
    rank: ClassVar[int] = 4
    display_name: ClassVar[str] = "J&T Express (极兔)"
    waybill_patterns: ClassVar[Tuple[Pattern[str], ...]] = (re.compile(r"JT[0-9]{12,13}"),)
    operations: ClassVar[FrozenSet[Operation]] = frozenset(
        {
            Operation.TRACK,
            Operation.SUBSCRIBE,
            Operation.INTERCEPT,
            Operation.CHANGE_ADDRESS,
            Operation.PUSH,
        }
    )
    intercept_takes_request_id: ClassVar[bool] = False
    code_book: ClassVar[CodeBook] = codes.CODE_BOOK
    envelope_format: ClassVar[EnvelopeFormat] = wire.ENVELOPE

    # -- requests ---------------------------------------------------------------------------

    def _request(self, path: str, payload: Mapping[str, Any]) -> HttpRequest:
        biz = compact_json(payload)
        creds = self._config.credentials
        return HttpRequest(
            method="POST",
            url=f"{self._config.root}{PATH_PREFIX}{path}",
            headers={
                "Content-Type": FORM_CONTENT_TYPE,
                "apiAccount": creds.app_key,
                "digest": b64_md5(biz, creds.app_secret),
                "timestamp": str(self._now_ms()),
            },
            body=encode_form({BIZ_FIELD: biz}),
        )

    def build_track(self, waybill: str, *, phone_tail: Optional[str] = None) -> HttpRequest:
        """``/api/logistics/trace`` with ``{"billCodes": waybill}``; ``phone_tail`` is ignored (no field)."""
        return self._request(PATH_TRACK, {"billCodes": waybill})

    def build_subscribe(
        self, waybill: str, *, callback_url: Optional[str], phone_tail: Optional[str] = None
    ) -> HttpRequest:
        """``/api/trace/subscribe`` for every node; the callback URL is set in the J&T console.

        ``id`` is the apiAccount, sent as a JSON number when it is all digits (as J&T issues it).
        """
        account = self._config.credentials.app_key
        payload = {
            "id": int(account) if account.isdigit() else account,
            "list": [{"traceNode": codes.ALL_TRACE_NODES, "waybillCode": waybill}],
        }
        return self._request(PATH_SUBSCRIBE, payload)

    def build_intercept(self, request: InterceptRequest) -> HttpRequest:
        """``/api/waybill/intercept``: ``applyTypeCode`` 4 (return) or 5 (change address)."""
        payload: Dict[str, Any] = {"mailNo": request.waybill, "applyTypeCode": codes.APPLY_RETURN}
        if request.kind is InterceptKind.CHANGE_ADDRESS:
            address = request.new_address
            assert address is not None  # InterceptRequest guarantees it
            payload.update(
                applyTypeCode=codes.APPLY_CHANGE_ADDRESS,
                **receive_fields(address),
            )
        return self._request(PATH_INTERCEPT, payload)

    # -- answers ----------------------------------------------------------------------------

    def parse_track(self, waybill: str, response: HttpResponse) -> TrackResult:
        """The details of ``waybill`` in ``data``, sorted by time; no entry means no scans yet."""
        data = self._ok(response).get("data")
        return TrackResult(carrier=self.name, waybill=waybill, events=wire.track_events(waybill, data))

    def parse_subscribe(self, waybill: str, response: HttpResponse) -> SubscribeResult:
        """``code == "1"`` means subscribed."""
        return self._subscribed(waybill, response)

    def _is_refusal(self, code: str, env: Mapping[str, Any]) -> bool:
        return wire.is_intercept_refusal(code)  # 173xxx; platform errors are raised

    def parse_intercept(self, request: InterceptRequest, response: HttpResponse) -> InterceptResult:
        """Accepted is PENDING with the ``interceptId``; a 173xxx refusal is FAILED.

        Platform errors (bad signature, flow limit …) are raised as typed errors.
        """
        env = wire.envelope(response)
        code = wire.code_of(env)
        if not wire.is_success(env):
            return self._refusal(request.waybill, env, response, code=code, request_id=request.request_id)
        data = env.get("data")
        if not isinstance(data, Mapping):
            raise ResponseFormatError(
                carrier=self.name,
                code="BAD_SHAPE" if data is not None else "MISSING_FIELD",
                message="data should be an object with the interceptId",
                raw=dict(env),
            )
        intercept_id = str(require(self.name, data, "interceptId", where="data"))
        raw_status = str(data.get("status") or "PENDING").strip()
        state = wire.intercept_state(raw_status, "data", data)
        failure = None
        if state is InterceptStatus.FAILED:
            failure = wire.intercept_failure(str(data.get("failCode") or ""))
        return InterceptResult(
            carrier=self.name,
            waybill=str(data.get("mailNo") or request.waybill),
            status=state,
            failure=failure,
            raw_code=code,
            raw_status=raw_status,
            message=wire.message_of(env),
            request_id=request.request_id,
            carrier_reference=intercept_id,
        )

    # -- pushes -----------------------------------------------------------------------------

    def _check_freshness(self, headers: Mapping[str, str]) -> None:
        tolerance = self._config.push_tolerance
        if tolerance is None:
            return
        stamp = (header(headers, "timestamp") or "").strip()
        if not stamp:
            raise SignatureError(carrier=self.name, reason="missing_header", detail="timestamp")
        # ASCII digits only ("²".isdigit() is true) and no longer than epoch milliseconds get
        # for ages: int() refuses 4,300 digits and more with a bare ValueError.
        if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= _STAMP_DIGITS):
            raise SignatureError(
                carrier=self.name, reason="bad_encoding", detail="timestamp must be epoch milliseconds"
            )
        drift = abs(self._now_ms() - int(stamp)) / 1000
        if drift > tolerance:
            raise SignatureError(
                carrier=self.name, reason="stale", detail=f"timestamp is {drift:.0f}s from now"
            )

    def parse_push(self, headers: Mapping[str, str], body: bytes) -> Tuple[PushEvent, ...]:
        """Verify ``digest = base64(md5(bizContent + secret))`` and parse ``bizContent``.

        With ``CarrierConfig.push_tolerance`` set, the ``timestamp`` header must also be within
        that many seconds of now (reason ``stale`` otherwise).

        A trace push is a JSON array batching several waybills, or one waybill's object
        ``{billCode, details, txlogisticId}``: one event per detail. An intercept-result push
        is an object with ``"type": "INTERCEPT"``.

        Raises:
            SignatureError: missing ``digest`` header (missing_header), digest not Base64
                (bad_encoding), another ``apiAccount`` (unknown_account), digest does not
                match (mismatch), or no ``bizContent`` / not JSON (malformed).
            ResponseFormatError: a verified push lacks a field it needs (named).
        """
        digest = header(headers, "digest")
        if digest is None or not digest.strip():
            raise SignatureError(carrier=self.name, reason="missing_header", detail="digest")
        if not is_base64(digest):
            raise SignatureError(carrier=self.name, reason="bad_encoding", detail="digest")
        creds = self._config.credentials
        account = header(headers, "apiAccount")
        if account is not None and account.strip() != creds.app_key:
            raise SignatureError(carrier=self.name, reason="unknown_account", detail=account.strip())
        form = parse_form(self.name, body)
        biz = form.get(BIZ_FIELD)
        if biz is None:
            raise SignatureError(carrier=self.name, reason="malformed", detail="no bizContent field")
        if not digests_match(b64_md5(biz, creds.app_secret), digest):
            raise SignatureError(carrier=self.name, reason="mismatch")
        self._check_freshness(headers)
        try:
            data = json_loads(biz)
        except ValueError:
            raise SignatureError(
                carrier=self.name, reason="malformed", detail="bizContent is not JSON"
            ) from None
        if isinstance(data, list) or wire.is_one_trace(data):
            return wire.trace_push_events(data)
        if isinstance(data, Mapping) and str(data.get("type") or "").upper() == codes.PUSH_TYPE_INTERCEPT:
            return (wire.intercept_push_event(data),)
        raise SignatureError(
            carrier=self.name,
            reason="malformed",
            detail="bizContent is neither a trace (array or object with billCode) nor an INTERCEPT object",
        )

    def push_ack(self, *, ok: bool) -> PushAck:
        """``{"code":"1","msg":"success","data":"SUCCESS"}``; a failure answer has another code.

        The failure answer (modelled) also uses HTTP 503, so that a pusher retries whether it
        looks at the status or at ``code``; 503 ("try again later") rather than 500, which a
        receiver's monitoring would read as a crash.
        """
        return json_ack(ACK_OK if ok else ACK_FAIL, status=200 if ok else 503)

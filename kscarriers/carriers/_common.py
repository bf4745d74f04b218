"""Helpers every carrier adapter uses: JSON and form codecs, HTTP error mapping, China time."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple, Type
from urllib.parse import parse_qsl, urlencode

from ..errors import (
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    NotFoundError,
    RateLimitError,
    ResponseFormatError,
    SignatureError,
)
from ..models import (
    CHINA_TZ,
    Address,
    InterceptFailure,
    InterceptStatus,
    PushAck,
    TrackingStatus,
    TrackingSubStatus,
)
from ..signing import b64_md5, digests_match, is_base64
from ..transport import HttpResponse
from . import StatusTable

__all__ = [
    "FORM_CONTENT_TYPE",
    "JSON_CONTENT_TYPE",
    "check_account",
    "classify",
    "compact_json",
    "dedupe_key",
    "encode_form",
    "envelope_error",
    "from_epoch_ms",
    "header",
    "intercept_outcome",
    "json_ack",
    "json_loads",
    "load_json",
    "parse_china_time",
    "parse_form",
    "raise_for_http",
    "receive_fields",
    "refine_signed",
    "require",
    "retry_after_seconds",
    "verified_form_json",
]

JSON_CONTENT_TYPE = "application/json; charset=utf-8"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"


def compact_json(value: Any) -> str:
    """JSON as carriers expect it: compact, UTF-8 characters kept (never ``\\u`` escapes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode_form(fields: Mapping[str, str]) -> bytes:
    """``application/x-www-form-urlencoded`` body, UTF-8, in the given field order."""
    return urlencode(list(fields.items()), encoding="utf-8").encode("ascii")


def parse_form(carrier: str, body: bytes) -> Dict[str, str]:
    """Decode a form body; a non-UTF-8 body is a SignatureError (malformed)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise SignatureError(carrier=carrier, reason="malformed", detail="body is not UTF-8") from None
    return dict(parse_qsl(text, keep_blank_values=True))


def header(headers: Mapping[str, str], name: str) -> Optional[str]:
    """A header's value looked up without regard to case, or None."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def retry_after_seconds(value: Optional[str], *, now: Optional[datetime] = None) -> Optional[float]:
    """Seconds from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    # delta-seconds is ASCII digits only (RFC 9110); str.isdigit() also accepts "²" or "٣",
    # which float() refuses or reads as a number the carrier never sent.
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    delta = (when - (now or datetime.now(timezone.utc))).total_seconds()
    return max(0.0, delta)


def raise_for_http(carrier: str, response: HttpResponse) -> None:
    """Raise the typed error for a non-2xx answer that carries no carrier envelope."""
    status = response.status
    if 200 <= status < 300:
        return
    snippet = response.text[:200]
    request_id = response.header("x-request-id") or None
    common: Dict[str, Any] = {
        "carrier": carrier,
        "code": f"HTTP{status}",
        "message": snippet or f"HTTP {status}",
        "http_status": status,
        "request_id": request_id,
    }
    if status == 429:
        raise RateLimitError(retry_after=retry_after_seconds(response.header("Retry-After")), **common)
    if status >= 500:
        raise CarrierServerError(retry_after=retry_after_seconds(response.header("Retry-After")), **common)
    cls: Type[CarrierError] = CarrierError
    if status in (401, 403):
        cls = AuthenticationError
    elif status == 404:
        cls = NotFoundError
    raise cls(**common)


def json_loads(text: str) -> Any:
    """``json.loads``, reporting a document nested too deeply to decode as ValueError too.

    The C decoder recurses once per nesting level; a hostile or broken answer such as
    ``[[[[…]]]]`` raises RecursionError, which callers would otherwise let escape.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def load_json(carrier: str, response: HttpResponse) -> Any:
    """Check the HTTP status, then decode the JSON body, or raise ResponseFormatError."""
    raise_for_http(carrier, response)
    try:
        return json_loads(response.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ResponseFormatError(
            carrier=carrier,
            code="BAD_JSON",
            message=f"answer is not valid JSON ({type(exc).__name__}): {response.text[:120]!r}",
            http_status=response.status,
            retryable=True,
        ) from None


def require(carrier: str, data: Any, key: str, *, where: str) -> Any:
    """``data[key]``, or a ResponseFormatError naming the missing field and where it was."""
    if not isinstance(data, Mapping):
        raise ResponseFormatError(
            carrier=carrier,
            code="BAD_SHAPE",
            message=f"{where} should be an object, got {type(data).__name__}",
        )
    if data.get(key) is None:
        raise ResponseFormatError(
            carrier=carrier, code="MISSING_FIELD", message=f"{where}.{key} is missing", raw=data
        )
    return data[key]


def parse_china_time(carrier: str, value: Any, *, where: str) -> datetime:
    """Parse ``yyyy-MM-dd HH:mm:ss`` in China time (UTC+8) into an aware datetime."""
    if isinstance(value, str):
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
            try:
                return datetime.strptime(value.strip(), fmt).replace(tzinfo=CHINA_TZ)
            except ValueError:
                continue
        if value.strip().isdigit():
            return from_epoch_ms(carrier, value, where=where)
    elif isinstance(value, int) and not isinstance(value, bool):
        return from_epoch_ms(carrier, value, where=where)
    raise ResponseFormatError(carrier=carrier, code="BAD_TIME", message=f"{where} is not a time: {value!r}")


def from_epoch_ms(carrier: str, value: Any, *, where: str) -> datetime:
    """Epoch milliseconds (int or digit string) as an aware datetime in China time."""
    try:
        millis = int(value)
        return datetime.fromtimestamp(millis / 1000, tz=CHINA_TZ)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ResponseFormatError(
            carrier=carrier, code="BAD_TIME", message=f"{where} is not epoch ms: {value!r}"
        ) from None


def classify(table: StatusTable, raw: str) -> Tuple[TrackingStatus, TrackingSubStatus]:
    """Look a raw scan code up; an unknown one is UNKNOWN/UNRECOGNISED, never an error."""
    return table.get(raw.strip(), (TrackingStatus.UNKNOWN, TrackingSubStatus.UNRECOGNISED))


def refine_signed(
    pair: Tuple[TrackingStatus, TrackingSubStatus],
    text: str,
    *,
    proxy_words: Iterable[str],
    locker_words: Iterable[str] = (),
) -> Tuple[TrackingStatus, TrackingSubStatus]:
    """A signed-for scan refined by its text: collected from a locker, or signed by a proxy.

    Only SIGNED_BY_RECIPIENT is refined; locker words are looked for before proxy words.
    """
    if pair[1] is not TrackingSubStatus.SIGNED_BY_RECIPIENT:
        return pair
    if any(word in text for word in locker_words):
        return (TrackingStatus.DELIVERED, TrackingSubStatus.COLLECTED_FROM_LOCKER)
    if any(word in text for word in proxy_words):
        return (TrackingStatus.DELIVERED, TrackingSubStatus.SIGNED_BY_PROXY)
    return pair


def envelope_error(
    carrier: str,
    *,
    code: str,
    message: str,
    auth_codes: frozenset[str] = frozenset(),
    rate_codes: frozenset[str] = frozenset(),
    server_codes: frozenset[str] = frozenset(),
    not_found_codes: frozenset[str] = frozenset(),
    http_status: Optional[int] = None,
    request_id: Optional[str] = None,
    raw: Any = None,
    retryable: Optional[bool] = None,
) -> CarrierError:
    """The typed error for a carrier envelope code, chosen by the carrier's code sets.

    ``retryable=True`` forces a retry for carriers that say so themselves (STO ``needRetry``).
    """
    common: Dict[str, Any] = {
        "carrier": carrier,
        "code": code,
        "message": message,
        "http_status": http_status,
        "request_id": request_id,
        "raw": raw,
    }
    if code in auth_codes:
        return AuthenticationError(**common)
    if code in rate_codes:
        return RateLimitError(**common)
    if code in server_codes or retryable:
        return CarrierServerError(**common)
    if code in not_found_codes:
        return NotFoundError(**common)
    return CarrierError(**common)


def dedupe_key(carrier: str, *parts: Any) -> str:
    """A stable key for one pushed event: the same fields give the same key on re-delivery."""
    return "|".join([carrier, *(str(p).strip() for p in parts)])


def intercept_outcome(
    carrier: str,
    states: Mapping[str, InterceptStatus],
    failures: Mapping[str, InterceptFailure],
    *,
    raw_status: str,
    fail_code: str,
    where: str,
    raw: Any,
) -> Tuple[InterceptStatus, Optional[InterceptFailure]]:
    """A carrier's intercept state and failure code, normalised.

    An unknown state is a ResponseFormatError (it cannot be guessed safely); an unknown
    failure code of a FAILED intercept is CARRIER_REJECTED_OTHER.
    """
    state = states.get(raw_status)
    if state is None:
        raise ResponseFormatError(
            carrier=carrier,
            code="BAD_STATUS",
            message=f"{where}.status {raw_status!r} is not a known intercept state",
            raw=raw,
        )
    failure: Optional[InterceptFailure] = None
    if state is InterceptStatus.FAILED:
        failure = failures.get(fail_code, InterceptFailure.CARRIER_REJECTED_OTHER)
    return state, failure


def verified_form_json(
    carrier: str, form: Mapping[str, str], *, field: str, digest_field: str, secret: str
) -> Any:
    """The JSON in ``form[field]``, once ``form[digest_field]`` proves it was signed with ``secret``.

    The digest is ``base64(md5(form[field] + secret))`` over the text exactly as received and
    is compared in constant time. Raises SignatureError with reason ``missing_header``,
    ``bad_encoding``, ``mismatch`` or ``malformed`` (signed, but not JSON).
    """
    text = form.get(field)
    digest = form.get(digest_field)
    if text is None or digest is None:
        missing = field if text is None else digest_field
        raise SignatureError(carrier=carrier, reason="missing_header", detail=missing)
    if not is_base64(digest):
        raise SignatureError(carrier=carrier, reason="bad_encoding", detail=digest_field)
    if not digests_match(b64_md5(text, secret), digest):
        raise SignatureError(carrier=carrier, reason="mismatch")
    try:
        return json_loads(text)
    except ValueError:
        raise SignatureError(carrier=carrier, reason="malformed", detail=f"{field} is not JSON") from None


def check_account(carrier: str, sent: Optional[str], *accepted: str) -> None:
    """Refuse a push addressed to another account: SignatureError ``unknown_account``.

    A push that names no account (``sent`` absent or empty) is not refused for that.
    """
    if sent and sent not in accepted:
        raise SignatureError(carrier=carrier, reason="unknown_account", detail=sent)


def json_ack(body: Mapping[str, Any], *, status: int = 200) -> PushAck:
    """A push acknowledgement whose body is compact JSON (what every carrier here expects)."""
    return PushAck(status=status, content_type=JSON_CONTENT_TYPE, body=compact_json(body).encode("utf-8"))


def receive_fields(address: Address) -> Dict[str, str]:
    """A new delivery address in the ``receive*`` field names ZTO and J&T share."""
    return {
        "receiveUsername": address.name,
        "receivePhone": address.phone,
        "receiveProvince": address.province,
        "receiveCity": address.city,
        "receiveDistrict": address.district,
        "receiveAddress": address.detail,
    }

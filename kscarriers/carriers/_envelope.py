"""Reading a carrier's answer: HTTP errors, Retry-After, envelope codes as typed errors, fields.

Each carrier's ``wire`` module describes its envelope as an :class:`EnvelopeFormat`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Callable, Dict, Mapping, Optional, Type

from attrs import frozen

from ..errors import (
    AuthenticationError,
    CarrierError,
    CarrierServerError,
    NotFoundError,
    RateLimitError,
    ResponseFormatError,
)
from ..transport import HttpResponse
from ._codec import json_loads

__all__ = [
    "Envelope",
    "EnvelopeFormat",
    "envelope_error",
    "load_json",
    "raise_for_http",
    "require",
    "retry_after_seconds",
]

#: A decoded answer envelope.
Envelope = Mapping[str, Any]


@frozen(kw_only=True)
class EnvelopeFormat:
    """How one carrier's answer envelope is read (each carrier's ``wire`` module makes one).

    Args:
        decode: the decoded envelope of an answer (a ResponseFormatError when it is none).
        is_success: whether the envelope says the call succeeded.
        code_of: the envelope's code as a string.
        message_of: the envelope's message.
        error_from: the typed error of a failed envelope.
    """

    decode: Callable[[HttpResponse], Envelope]
    is_success: Callable[[Envelope], bool]
    code_of: Callable[[Envelope], str]
    message_of: Callable[[Envelope], str]
    error_from: Callable[[Envelope, HttpResponse], CarrierError]


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
    if type(data) is dict:  # what JSON decodes to: no isinstance walk through typing's ABCs
        value = data.get(key)
        if value is not None:
            return value
    if not isinstance(data, (dict, Mapping)):
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

"""The exception hierarchy: every error the SDK raises is one of these.

::

    KsCarriersError
    ├── ConfigurationError (+ValueError)      bad or missing client configuration
    ├── ValidationError (+ValueError)         bad input: field + reason
    │   └── IdempotencyError                  an idempotency key reused for another call
    ├── UnsupportedOperationError             the carrier has no such operation (e.g. J&T cancel)
    ├── SignatureError                        a push failed verification
    ├── OutcomeUnknownError                   a state-changing call may or may not have happened
    ├── TransportError                        the request did not get a usable HTTP answer
    │   ├── ConnectError
    │   └── TimeoutError
    └── CarrierError                          the carrier answered with an error
        ├── AuthenticationError               bad key or signature on our request
        ├── PhoneVerificationRequired         the carrier wants a phone's last 4 digits (phone_tail)
        ├── RateLimitError                    quota / QPS limit (retry_after)
        ├── NotFoundError                     waybill unknown to the carrier
        ├── InterceptRejectedError            an intercept was refused (raise_for_failure)
        ├── ResponseFormatError               the answer could not be parsed
        └── CarrierServerError                carrier-side failure (5xx, "service busy")

Constructors take keyword arguments only, except for the message of :class:`KsCarriersError`,
:class:`ConfigurationError` and the transport errors, which may come first
(``TimeoutError("read timeout from …")``). ``retryable`` says whether the SDK's retry policy
would try the same call again.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional, Tuple

__all__ = [
    "AuthenticationError",
    "CarrierError",
    "CarrierServerError",
    "ConfigurationError",
    "ConnectError",
    "IdempotencyError",
    "InterceptRejectedError",
    "KsCarriersError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PhoneVerificationRequired",
    "RateLimitError",
    "ResponseFormatError",
    "SignatureError",
    "TimeoutError",
    "TransportError",
    "UnsupportedOperationError",
    "ValidationError",
    "redact",
]

_SECRET_KEYS = re.compile(r"(secret|password|private|token|sign|digest|phone|tel|mobile|key)", re.IGNORECASE)
_MASK = "***"


def redact(value: Any) -> Any:
    """Return a copy of a raw carrier payload with secret-looking values masked.

    Keys that look like secrets, signatures or phone numbers (``app_secret``, ``data_digest``,
    ``x-dataDigest``, ``receivePhone`` …) have their values replaced by ``"***"``; nested
    mappings and lists are walked.
    """
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and _SECRET_KEYS.search(key):
                out[key] = _MASK
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    return value


def _masked(text: str, secret: str) -> str:
    text = text.replace(secret, _MASK)
    for cut in range(len(secret) - 1, 3, -1):  # a quote that ends inside the secret
        if text.endswith(secret[:cut]):
            return text[: len(text) - cut] + _MASK
    return text


def scrub_secret(exc: BaseException, secret: str) -> None:
    """Mask ``secret`` in the message of ``exc`` (and of its causes), in place.

    Carriers sometimes echo a request back in an error page, and error messages quote the
    answer's first 200 characters: the secret, or the first part of it where the quote cuts it
    off, must not come out in ``str(exc)`` or a log.
    """
    if not secret:
        return
    seen = set()
    while isinstance(exc, KsCarriersError) and id(exc) not in seen:
        seen.add(id(exc))
        exc.message = _masked(exc.message, secret)
        exc.args = (exc.message, *exc.args[1:])
        quoted = getattr(exc, "carrier_message", None)
        if isinstance(quoted, str):
            exc.carrier_message = _masked(quoted, secret)  # type: ignore[attr-defined]
        cause = exc.__cause__ or exc.__context__
        if cause is None:
            break
        exc = cause


class KsCarriersError(Exception):
    """Base class of every error raised by kscarriers."""

    retryable: bool = False

    def __init__(self, message: str = "", *, retryable: Optional[bool] = None) -> None:
        super().__init__(message)
        self.message = message
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(message={self.message!r}, retryable={self.retryable!r})"


class ConfigurationError(KsCarriersError, ValueError):
    """The client is configured wrongly (missing credentials, bad base URL, …)."""

    def __init__(self, message: str, *, carrier: Optional[str] = None) -> None:
        super().__init__(f"[{carrier}] {message}" if carrier else message)
        self.carrier = carrier


class ValidationError(KsCarriersError, ValueError):
    """An argument given to the SDK is invalid; ``field`` names it and ``reason`` says why."""

    def __init__(self, *, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason

    def __repr__(self) -> str:
        return f"ValidationError(field={self.field!r}, reason={self.reason!r})"


class IdempotencyError(ValidationError):
    """An ``idempotency_key`` already used for another call; nothing was sent.

    A key belongs to one carrier, waybill, operation and set of parameters (kind, new address,
    reason). ``differs`` names what this call changed (``("waybill",)``, ``("reason",
    "new_address")`` …); ``key`` is the key. ``field`` is ``"idempotency_key"``.
    """

    def __init__(self, *, key: str, differs: Tuple[str, ...], reason: str) -> None:
        super().__init__(field="idempotency_key", reason=reason)
        self.key = key
        self.differs = differs

    def __repr__(self) -> str:
        return f"IdempotencyError(key={self.key!r}, differs={self.differs!r})"


class UnsupportedOperationError(KsCarriersError):
    """The carrier does not offer this operation (for example J&T has no intercept cancel)."""

    def __init__(self, *, carrier: str, operation: str) -> None:
        super().__init__(f"[{carrier}] {operation} is not supported by this carrier")
        self.carrier = carrier
        self.operation = operation


class SignatureError(KsCarriersError):
    """A push failed verification.

    ``reason`` is one of ``missing_header``, ``bad_encoding``, ``mismatch``, ``stale``,
    ``unknown_account``, ``malformed``.
    """

    def __init__(self, *, carrier: str, reason: str, detail: str = "") -> None:
        text = f"[{carrier}] push signature check failed: {reason}"
        super().__init__(f"{text} ({detail})" if detail else text)
        self.carrier = carrier
        self.reason = reason

    def __repr__(self) -> str:
        return f"SignatureError(carrier={self.carrier!r}, reason={self.reason!r})"


class OutcomeUnknownError(KsCarriersError):
    """A state-changing request may have reached the carrier, and could not be settled.

    Raised for a read timeout, a reset, a carrier-side failure (5xx, "system busy") or an answer
    that cannot be read (an HTML page, a truncated body) after an intercept, a change of address
    or a cancel. The SDK never resends such a request blindly. ``request_id`` is the id the
    request carried: pass it back as ``idempotency_key`` to resume the same intercept (the
    client reads a "duplicate" refusal of the resumed call as the earlier attempt having landed).
    """

    def __init__(self, *, carrier: str, operation: str, waybill: str, request_id: str, cause: str) -> None:
        super().__init__(
            f"[{carrier}] outcome of {operation} for {waybill} is unknown (request {request_id}): {cause}",
            retryable=False,
        )
        self.carrier = carrier
        self.operation = operation
        self.waybill = waybill
        self.request_id = request_id


class TransportError(KsCarriersError):
    """The request did not get a usable HTTP answer.

    ``maybe_sent`` is False only when the request certainly never left (the connection was
    refused or timed out while connecting): only then is resending a state-changing call safe.
    """

    def __init__(
        self, message: str, *, retryable: bool = True, url: str = "", maybe_sent: bool = True
    ) -> None:
        super().__init__(message, retryable=retryable)
        self.url = url
        self.maybe_sent = maybe_sent


class ConnectError(TransportError):
    """The connection could not be made or was reset before an answer came."""


class TimeoutError(TransportError):
    """The carrier did not answer in time (connect or read timeout)."""


class CarrierError(KsCarriersError):
    """The carrier answered with an error.

    ``str()`` reads ``[zto] S211: 签名错误 (request r-123)``. ``raw`` is the carrier's payload with
    secret-looking fields masked.
    """

    default_retryable = False

    def __init__(
        self,
        *,
        carrier: str,
        code: str,
        message: str,
        http_status: Optional[int] = None,
        request_id: Optional[str] = None,
        raw: Any = None,
        retryable: Optional[bool] = None,
    ) -> None:
        text = f"[{carrier}] {code}: {message}"
        if request_id:
            text += f" (request {request_id})"
        super().__init__(text, retryable=self.default_retryable if retryable is None else retryable)
        self.carrier = carrier
        self.code = code
        self.carrier_message = message
        self.http_status = http_status
        self.request_id = request_id
        self.raw = redact(raw)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(carrier={self.carrier!r}, code={self.code!r}, "
            f"message={self.carrier_message!r}, http_status={self.http_status!r}, "
            f"request_id={self.request_id!r}, retryable={self.retryable!r})"
        )


class AuthenticationError(CarrierError):
    """The carrier rejected our credentials or the signature of our request."""


class PhoneVerificationRequired(CarrierError):
    """The carrier answers this waybill only with the last four digits of a phone on it.

    ZTO ``E413`` (请输入收寄人任一方电话号码后4位) and ``E409`` (the digits sent do not match).
    Call again with ``phone_tail="1234"``: the last four digits of the sender's or the
    receiver's phone (``Client.track`` and ``Client.subscribe`` take it). Not retryable: the
    same call gets the same answer.
    """

    HINT = "pass phone_tail= with the last 4 digits of the sender's or receiver's phone"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.message = f"{self.message} ({self.HINT})"
        self.args = (self.message,)


class RateLimitError(CarrierError):
    """The carrier's quota or QPS limit was hit; ``retry_after`` is in seconds when known."""

    default_retryable = True

    def __init__(self, *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after


class NotFoundError(CarrierError):
    """The carrier does not know the waybill."""


class InterceptRejectedError(CarrierError):
    """An intercept was refused; raised by :meth:`InterceptResult.raise_for_failure`."""


class ResponseFormatError(CarrierError):
    """The carrier's answer could not be parsed (bad JSON, missing field, wrong type)."""


class CarrierServerError(CarrierError):
    """The carrier failed on its side (HTTP 5xx or a "try again" envelope code).

    ``retry_after`` is in seconds when the carrier said when to come back (503 Retry-After).
    """

    default_retryable = True

    def __init__(self, *, retry_after: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after = retry_after

"""Log records of carrier calls: one line each, secrets masked, the same fields in ``extra``.

Every record the SDK logs about a call (an attempt, a retry, a give-up, an unknown outcome)
carries ``record.kscarriers``, a dict with the keys of :data:`FIELDS` (``None`` where a value is
not known), so a JSON formatter can log them as they are. See docs/logging.md.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any, Dict, Optional, Tuple
from urllib.parse import urlsplit

from .errors import CarrierError, OutcomeUnknownError
from .transport import HttpRequest, HttpResponse

__all__ = ["EXTRA_KEY", "FIELDS", "CallLog", "one_line"]

#: The logger of the per-attempt records and of unknown outcomes.
client_log = logging.getLogger("kscarriers.client")
#: The logger of retries and give-ups (its name is older than the private module).
retry_log = logging.getLogger("kscarriers.retry")

#: The attribute of a record (``extra`` key) that holds the fields.
EXTRA_KEY = "kscarriers"

#: The keys of ``record.kscarriers``, in the order the docs list them.
FIELDS = (
    "event",
    "carrier",
    "operation",
    "waybill",
    "attempt",
    "max_attempts",
    "method",
    "path",
    "http_status",
    "carrier_code",
    "request_id",
    "idempotency_key",
    "latency_ms",
    "wait_s",
    "reason",
    "error",
    "message",
    "body",
)

#: Characters of a body or an error message kept in a record.
LIMIT = 200
#: Characters of a body looked at at all (a body is redacted before it is cut).
_RAW_LIMIT = 65536
_MASK = "***"
_SPACE = re.compile(r"\s+")
_SECRET_NAME = r"[\w.-]*(?:secret|password|private|token|sign|digest|phone|mobile|tel)[\w.-]*"
# A secret-looking name with its value: "name": value / 'name': value (JSON, a repr) or name=value.
_SECRET_PAIR = re.compile(
    rf"""((?:"{_SECRET_NAME}"|'{_SECRET_NAME}')\s*:\s*|\b{_SECRET_NAME}=)"""
    r"""("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|[^\s,&;}<>"']+)""",
    re.IGNORECASE,
)


def _variants(secret: str) -> Tuple[str, ...]:
    """``secret`` as it may appear in a body: as is, JSON- or repr-escaped, whitespace collapsed."""
    found = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        repr(secret)[1:-1],
        _SPACE.sub(" ", secret).strip(),
    }
    # Longest first, so that a variant containing another is masked whole.
    return tuple(sorted((v for v in found if v), key=len, reverse=True))


def one_line(text: str, *, secret: Optional[str] = None, limit: int = LIMIT) -> str:
    """``text`` as one line of at most ``limit`` characters, with secrets masked.

    The configured ``secret`` (in any escaping) and the values of secret-looking names
    (``app_secret=…``, ``"data_digest": "…"``, phone numbers) become ``***`` before whitespace
    runs collapse to one space and the text is cut (a cut text ends with ``…``).
    """
    text = text[:_RAW_LIMIT]
    if secret:
        for variant in _variants(secret):
            text = text.replace(variant, _MASK)
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + _MASK, text)
    text = _SPACE.sub(" ", text).strip()
    if secret:
        for variant in _variants(secret):  # a secret with whitespace in it, now collapsed
            text = text.replace(variant, _MASK)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _plural(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


class CallLog:
    """One SDK call (a track, an intercept …) as its log records describe it.

    The client makes one per call; its attempts count themselves in ``attempts``, and
    ``request`` is the last request built. The carrier's secret is kept only to mask it.
    """

    __slots__ = (
        "_secret",
        "attempts",
        "carrier",
        "describe",
        "idempotency_key",
        "max_attempts",
        "operation",
        "request",
        "waybill",
    )

    def __init__(
        self,
        describe: str,
        *,
        carrier: Optional[str] = None,
        operation: Optional[str] = None,
        waybill: Optional[str] = None,
        idempotency_key: Optional[str] = None,
        max_attempts: Optional[int] = None,
        secret: Optional[str] = None,
    ) -> None:
        self.describe = describe
        self.carrier = carrier
        self.operation = operation
        self.waybill = waybill
        self.idempotency_key = idempotency_key
        self.max_attempts = max_attempts
        self._secret = secret
        self.attempts = 0
        self.request: Optional[HttpRequest] = None

    def __repr__(self) -> str:
        return f"CallLog({self.describe!r}, attempts={self.attempts})"

    def clean(self, text: str) -> str:
        """``text`` as one short line, this carrier's secret masked (see :func:`one_line`)."""
        return one_line(text, secret=self._secret)

    def error_text(self, exc: BaseException) -> str:
        """``"TypeName: message"`` of ``exc``, as one short line."""
        return f"{type(exc).__name__}: {self.clean(str(exc))}"

    def fields(self, event: str, **values: Any) -> Dict[str, Dict[str, Any]]:
        """The ``extra`` of a record: every key of :data:`FIELDS` under :data:`EXTRA_KEY`."""
        out: Dict[str, Any] = dict.fromkeys(FIELDS)
        request = self.request
        if request is not None:
            out["method"] = request.method.upper()
            out["path"] = urlsplit(request.url).path or "/"
        out.update(
            event=event,
            carrier=self.carrier,
            operation=self.operation,
            waybill=self.waybill,
            attempt=self.attempts or None,
            max_attempts=self.max_attempts,
            idempotency_key=self.idempotency_key,
        )
        out.update(values)
        return {EXTRA_KEY: out}

    def _error_fields(self, exc: BaseException) -> Dict[str, Any]:
        values: Dict[str, Any] = {"error": type(exc).__name__, "message": self.clean(str(exc))}
        if isinstance(exc, CarrierError):
            values.update(http_status=exc.http_status, carrier_code=exc.code, request_id=exc.request_id)
        return values

    # -- the records ----------------------------------------------------------------------

    def attempt(
        self,
        response: Optional[HttpResponse],
        latency: float,
        *,
        result: object = None,
        error: Optional[BaseException] = None,
    ) -> None:
        """DEBUG: one attempt, its answer (or error) and how long the carrier took."""
        values: Dict[str, Any] = {"latency_ms": round(latency * 1000.0, 3)}
        if error is not None:
            values.update(self._error_fields(error))
        if response is not None:
            values["http_status"] = response.status
            values["request_id"] = values.get("request_id") or response.header("x-request-id") or None
            if error is not None:
                values["body"] = self.clean(response.text)
        if error is None:
            values["carrier_code"] = getattr(result, "raw_code", None) or None
        answer = "no answer" if response is None else f"HTTP {response.status}"
        if values.get("carrier_code"):
            answer += f" {values['carrier_code']}"
        method, path = self.request_line()
        took = f"{latency * 1000.0:.0f} ms"
        text = f"{self.describe} attempt {self.attempts}: {method} {path} -> {answer} in {took}"
        if values.get("request_id"):
            text += f" (carrier request {values['request_id']})"
        if error is not None:
            text += f": {self.error_text(error)}"
        client_log.debug("%s", text, extra=self.fields("attempt", **values))

    def request_line(self) -> Tuple[str, str]:
        """The method and URL path of the last request (``"-"`` before the first)."""
        if self.request is None:
            return "-", "-"
        return self.request.method.upper(), urlsplit(self.request.url).path or "/"

    def retry(self, exc: BaseException, *, attempt: int, of: int, wait: float) -> None:
        """WARNING: an attempt failed and the call is tried again after ``wait`` seconds."""
        retry_log.warning(
            "retrying %s in %.2fs: attempt %d of %d failed: %s",
            self.describe,
            wait,
            attempt,
            of,
            self.error_text(exc),
            extra=self.fields("retry", attempt=attempt, wait_s=round(wait, 3), **self._error_fields(exc)),
        )

    def budget_exhausted(self, exc: Optional[BaseException], *, attempt: int) -> None:
        """WARNING: the client's retry budget is empty, so the call is not retried."""
        values = self._error_fields(exc) if exc is not None else {}
        retry_log.warning(
            "retry budget exhausted; not retrying %s",
            self.describe,
            extra=self.fields("budget_exhausted", attempt=attempt, reason="budget", **values),
        )

    def gave_up(
        self, exc: BaseException, *, attempts: int, reason: str, cause: Optional[BaseException] = None
    ) -> None:
        """INFO: the call failed for good (``reason``: why no further attempt was made).

        ``cause`` is the error ``exc`` was made from, when it is not yet its ``__cause__``.
        """
        if isinstance(exc, OutcomeUnknownError):
            self.unknown(exc, attempts=attempts, cause=cause)
            return
        if attempts > 1:
            head = f"gave up on {self.describe} after {_plural(attempts)} ({reason})"
        else:
            head = f"{self.describe} failed ({reason})"
        retry_log.info(
            "%s: %s",
            head,
            self.error_text(exc),
            extra=self.fields("gave_up", attempt=attempts, reason=reason, **self._error_fields(exc)),
        )

    def unknown(
        self, exc: OutcomeUnknownError, *, attempts: int, cause: Optional[BaseException] = None
    ) -> None:
        """INFO: a state change may have landed and that could not be settled."""
        cause = cause if cause is not None else exc.__cause__
        values = self._error_fields(cause) if cause is not None else {}
        head = f"outcome of {self.describe} unknown after {_plural(attempts)}"
        if self.idempotency_key:
            head += f"; resume with idempotency_key={self.idempotency_key!r}"
        # The error's message repeats what the head says: keep only its cause.
        said = (
            f"[{exc.carrier}] outcome of {exc.operation} for {exc.waybill} is unknown "
            f"(request {exc.request_id}): "
        )
        text = str(exc)
        text = self.clean(text[len(said) :] if text.startswith(said) else text)
        values.update(error=type(exc).__name__, message=text)
        client_log.info(
            "%s: %s",
            head,
            text,
            extra=self.fields("unknown", attempt=attempts, reason="outcome_unknown", **values),
        )

    def settled(self, status: str) -> None:
        """INFO: a failure after which the request may have landed was settled by a status query."""
        client_log.info(
            "%s settled by status check: %s",
            self.describe,
            status,
            extra=self.fields("settled", reason="settled", message=status),
        )

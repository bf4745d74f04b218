"""Sending one push: the injectable sender, the settings, and what an answer does (ack, retry, give up)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from attrs import evolve, frozen

from mockserver.config import ConfigError, check_number
from mockserver.world import RESPONSE_SNIPPET, Attempt, PushRecord, PushState

__all__ = ["PushSettings", "Sender", "after_attempt", "attempt_delivery", "requests_sender"]

#: ``sender(url, headers, body, timeout) -> (status, body)``; raises on connection errors/timeouts.
Sender = Callable[[str, Mapping[str, str], bytes, float], "tuple[int, bytes]"]


def requests_sender(url: str, headers: Mapping[str, str], body: bytes, timeout: float) -> tuple[int, bytes]:
    """The default sender: one ``requests.post`` (no redirects followed, no retries of its own)."""
    import requests

    answer = requests.post(url, data=body, headers=dict(headers), timeout=timeout, allow_redirects=False)
    return answer.status_code, answer.content


def _number(
    settings: Mapping[str, Any], key: str, default: float, *, minimum: float = 0.0, whole: bool = False
) -> float:
    value = settings.get(key, default)
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ConfigError(key=key, reason=f"must be a number, not {value!r}") from None
    return check_number(key, value, minimum=minimum, whole=whole)


@frozen(kw_only=True)
class PushSettings:
    """How pushes are timed and retried (from the ``PUSH_*`` settings).

    Attributes:
        delay_seconds: mock seconds between an event and its push, when no scenario says otherwise.
        retry_limit: retries after the first attempt before a push is ``failed``.
        retry_base_seconds: mock seconds before the first retry; each further retry waits twice as long.
        timeout_seconds: real seconds a subscriber has to answer one attempt.
        workers: delivery threads.
        ticker: ``"auto"`` (a background ticker only with a system clock), ``"on"`` or ``"off"``.
        tick_seconds: real seconds between two ticks of the ticker.
        batch_window_seconds: mock seconds a partial scenario batch waits for more events.
    """

    delay_seconds: float = 0.0
    retry_limit: int = 5
    retry_base_seconds: float = 30.0
    timeout_seconds: float = 10.0
    workers: int = 4
    ticker: str = "auto"
    tick_seconds: float = 0.2
    batch_window_seconds: float = 300.0

    @classmethod
    def from_config(cls, settings: Mapping[str, Any]) -> PushSettings:
        """Read and check the ``PUSH_*`` settings.

        Raises:
            ConfigError: naming the first unusable setting.
        """
        ticker = str(settings.get("PUSH_TICKER", "auto")).lower()
        if ticker not in {"auto", "on", "off"}:
            raise ConfigError(key="PUSH_TICKER", reason=f"must be auto, on or off, not {ticker!r}")
        return cls(
            delay_seconds=_number(settings, "PUSH_DELAY_SECONDS", 0.0),
            retry_limit=int(_number(settings, "PUSH_RETRY_LIMIT", 5, whole=True)),
            retry_base_seconds=_number(settings, "PUSH_RETRY_BASE_SECONDS", 30.0),
            timeout_seconds=_number(settings, "PUSH_TIMEOUT_SECONDS", 10.0, minimum=0.001),
            workers=int(_number(settings, "PUSH_WORKERS", 4, minimum=1, whole=True)),
            ticker=ticker,
            tick_seconds=_number(settings, "PUSH_TICK_SECONDS", 0.2, minimum=0.001),
            batch_window_seconds=_number(settings, "PUSH_BATCH_WINDOW_SECONDS", 300.0),
        )

    def backoff(self, retry: int) -> timedelta:
        """Mock time to wait before retry number ``retry`` (1, 2, ...): base * 2 ** (retry - 1)."""
        return timedelta(seconds=self.retry_base_seconds * 2 ** (retry - 1))


def _snippet(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")[:RESPONSE_SNIPPET]


def attempt_delivery(
    record: PushRecord,
    *,
    sender: Sender,
    is_ack: Callable[[int, bytes], bool],
    timeout: float,
    now: Callable[[], datetime],
) -> Attempt:
    """Send ``record`` once and describe what happened; never raises.

    Args:
        record: the push to send.
        sender: how to send it.
        is_ack: the carrier module's ``is_push_ack``.
        timeout: real seconds the subscriber has to answer.
        now: the mock clock, read when the attempt starts.
    """
    started = now()
    # The answer is checked inside the try too: an answer that cannot be read (an injected
    # sender returning text, say) must become a failed attempt with a backoff. Escaping here
    # would leave the push due, and its delivery lane would resend it in a tight loop.
    try:
        status, body = sender(record.url, record.headers, record.body.encode("utf-8"), timeout)
        acked = bool(is_ack(status, body))
        response = _snippet(body)
    except Exception as exc:  # a subscriber that fails in any way is retried, never fatal
        return Attempt(time=started, error=f"{type(exc).__name__}: {exc}"[:RESPONSE_SNIPPET])
    error = None if acked else "not acknowledged"
    return Attempt(time=started, status=status, response=response, error=error, acked=acked)


def after_attempt(record: PushRecord, attempt: Attempt, settings: PushSettings) -> PushRecord:
    """The push after ``attempt``: delivered, due again after a backoff, or failed for good.

    The backoff runs on the mock clock from the attempt's time.
    """
    attempts = (*record.attempts, attempt)
    if attempt.acked:
        return evolve(record, attempts=attempts, state=PushState.DELIVERED, due_at=None)
    retries_done = len(attempts) - 1
    if retries_done >= settings.retry_limit:
        return evolve(record, attempts=attempts, state=PushState.FAILED, due_at=None)
    due: Optional[datetime] = attempt.time + settings.backoff(retries_done + 1)
    return evolve(record, attempts=attempts, due_at=due)

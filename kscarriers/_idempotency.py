"""State-changing requests (intercept, cancel): never duplicated silently, idempotent per key.

Two layers, both per :class:`~kscarriers.Client`:

- :func:`send_once` sends one request under the retry policy and never resends it blindly when
  it may have landed: it settles the outcome with a status query, or raises
  :class:`OutcomeUnknownError`.
- :class:`KeyLedger` remembers which call each idempotency key belongs to and what it
  answered (stripe-python's model, kept in process): :func:`once_per_key` returns the first
  answer to a repeat and refuses a key reused for another call with :class:`IdempotencyError`
  before anything is sent.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from typing import Callable, Iterator, Optional, Tuple

from attrs import define, evolve, field, fields, frozen

from ._logging import CallLog
from ._retry import Retrier
from .config import IdempotencyPolicy
from .errors import (
    CarrierServerError,
    IdempotencyError,
    KsCarriersError,
    OutcomeUnknownError,
    ResponseFormatError,
    TransportError,
)
from .models import Address, InterceptFailure, InterceptResult, InterceptStatus

__all__ = ["Intent", "KeyLedger", "StateChange", "may_have_landed", "once_per_key", "send_once"]

log = logging.getLogger("kscarriers.client")


def may_have_landed(exc: BaseException) -> bool:
    """Whether ``exc`` leaves open that the carrier acted on the request.

    An answer the carrier gave in its own terms settles the question: a refusal in its envelope
    (a bad signature, a rate limit, a missing field, an unknown waybill), or an HTTP 4xx,
    means nothing was done. So does a connection that was never made. What leaves it open is
    an answer that cannot be read (``ResponseFormatError``: an HTML page, a truncated or
    malformed body, a success envelope without its data), a carrier-side failure (5xx, "system
    busy", "timed out") and a transport failure after the request was sent (a read timeout, a
    reset).
    """
    if isinstance(exc, TransportError):
        return exc.maybe_sent
    return isinstance(exc, (ResponseFormatError, CarrierServerError))


@frozen(kw_only=True)
class StateChange:
    """Which request is being sent, for logs and for :class:`OutcomeUnknownError`."""

    carrier: str
    operation: str
    waybill: str
    request_id: str

    def __str__(self) -> str:
        return f"{self.carrier} {self.operation} {self.waybill} (request {self.request_id})"

    def unknown(self, cause: str) -> OutcomeUnknownError:
        """The error for an outcome that could not be settled."""
        return OutcomeUnknownError(
            carrier=self.carrier,
            operation=self.operation,
            waybill=self.waybill,
            request_id=self.request_id,
            cause=cause,
        )


def send_once(
    retrier: Retrier,
    attempt: Callable[[], InterceptResult],
    change: StateChange,
    *,
    deduped: bool,
    settle: Optional[Callable[[], Optional[InterceptResult]]],
    context: Optional[CallLog] = None,
) -> InterceptResult:
    """Run ``attempt`` under the retry policy without ever resending it blindly.

    Args:
        retrier: the client's retry policy and budget.
        attempt: sends the request once and parses the answer.
        change: what is being sent.
        deduped: the carrier recognises a resend of this very request by its id (ZTO
            intercepts), so every retryable error may be retried.
        settle: asks the carrier whether the request landed: its result if it did, None if
            it did not. Without one, a failure that may have landed is
            :class:`OutcomeUnknownError`.
        context: names the call in its log records (made from ``change`` when not given).

    An unknown outcome is logged as one INFO line (logger ``kscarriers.client``, see
    docs/logging.md), like any other final failure.

    Raises:
        OutcomeUnknownError: the request may have landed (see :func:`may_have_landed`) and that
            could not be settled; it carries the request id to resend with.
    """
    describe = str(change)
    calllog = (
        context
        if context is not None
        else CallLog(
            describe,
            carrier=change.carrier,
            operation=change.operation,
            waybill=change.waybill,
            max_attempts=retrier.policy.max_attempts,
        )
    )
    if deduped:

        def unknown_if_landed(exc: KsCarriersError) -> KsCarriersError:
            if not may_have_landed(exc):
                return exc
            # Out of retries (or an answer no retry would read) and the last attempt may have
            # landed: hand back the id, since resending with it is safe for this carrier.
            return change.unknown(f"{exc}; resending with idempotency_key={change.request_id!r} is safe")

        return retrier.call(attempt, describe=describe, context=calllog, on_give_up=unknown_if_landed)

    def attempt_or_settle() -> InterceptResult:
        try:
            return attempt()
        except KsCarriersError as exc:
            if not may_have_landed(exc):
                raise
            if settle is None:
                raise change.unknown(str(exc)) from exc
            try:
                found = settle()
            except KsCarriersError as settle_exc:
                raise change.unknown(f"{exc}; status check failed: {settle_exc}") from exc
            if found is not None:
                calllog.settled(found.status.value)
                return found
            raise  # settled as "not landed": the retry policy may resend (if it is retryable)

    return retrier.call(attempt_or_settle, describe=describe, context=calllog)


# -- idempotency keys --------------------------------------------------------------------------


@frozen(kw_only=True)
class Intent:
    """The call an idempotency key belongs to: carrier, waybill and the intercept's parameters.

    ``kind`` is the operation (``return_to_sender`` or ``change_address``).
    """

    carrier: str
    waybill: str
    kind: str
    reason: str
    new_address: Optional[Address] = None

    def __str__(self) -> str:
        return f"the {self.carrier} intercept ({self.kind}) of {self.waybill}"

    def differences(self, other: Intent) -> Tuple[str, ...]:
        """The names of the fields in which ``other`` differs from this intent."""
        return tuple(f.name for f in fields(Intent) if getattr(self, f.name) != getattr(other, f.name))


#: Fields whose values an IdempotencyError may show (the reason and address are the merchant's).
_SHOWN = ("carrier", "waybill", "kind")


@define
class _Entry:
    intent: Intent
    first_used: float
    result: Optional[InterceptResult] = None
    unknown: bool = False  # a call with this key ended in OutcomeUnknownError
    lock: threading.Lock = field(factory=threading.Lock, eq=False, repr=False)


class KeyLedger:
    """The idempotency keys one client has used: a bounded, thread-safe LRU with an optional TTL.

    Args:
        policy: how many keys to keep and for how long.
        monotonic: the client's clock (the TTL is measured on it).
    """

    def __init__(self, policy: IdempotencyPolicy, *, monotonic: Callable[[], float]) -> None:
        self.policy = policy
        self._monotonic = monotonic
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def _forget_stale(self, now: float) -> None:
        ttl = self.policy.ttl
        busy = [key for key, entry in self._entries.items() if entry.lock.locked()]
        if ttl is not None:
            for key in [k for k, e in self._entries.items() if now - e.first_used >= ttl]:
                if key not in busy:
                    del self._entries[key]
        # Least recently used first; a key whose call is still running is never dropped.
        for key in list(self._entries):
            if len(self._entries) <= self.policy.capacity:
                break
            if key not in busy:
                del self._entries[key]

    @contextlib.contextmanager
    def claim(self, key: str, intent: Intent) -> Iterator[_Entry]:
        """Hold ``key`` for one call of ``intent``; a concurrent call with the key waits its turn.

        Raises:
            IdempotencyError: ``key`` was used for another call (nothing is held).
        """
        with self._lock:
            now = self._monotonic()
            self._forget_stale(now)
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(intent=intent, first_used=now)
                self._forget_stale(now)
            else:
                differs = entry.intent.differences(intent)
                if differs:
                    raise _reused(key, entry.intent, intent, differs)
                self._entries.move_to_end(key)
        with entry.lock:
            yield entry


def _reused(key: str, first: Intent, now: Intent, differs: Tuple[str, ...]) -> IdempotencyError:
    shown = [
        f"{name} {getattr(first, name)!r} -> {getattr(now, name)!r}" for name in differs if name in _SHOWN
    ]
    hidden = [name for name in differs if name not in _SHOWN]
    parts = shown + ([f"{' and '.join(hidden)} differ"] if hidden else [])
    return IdempotencyError(
        key=key,
        differs=differs,
        reason=(
            f"{key!r} was already used for {first}; a key belongs to one call and this one "
            f"differs ({'; '.join(parts)}). Use a new key for a new call"
        ),
    )


def _resumed(result: InterceptResult) -> InterceptResult:
    """The answer to a resend after :class:`OutcomeUnknownError`, read for what it says.

    A "duplicate" refusal then means an intercept is in progress for the waybill: the earlier
    attempt landed (or another intercept exists). Either way the parcel is being intercepted,
    which is PENDING, not a failure of this call.
    """
    if result.failure is not InterceptFailure.DUPLICATE_REQUEST:
        return result
    return evolve(
        result,
        status=InterceptStatus.PENDING,
        failure=None,
        message=(
            "an intercept is in progress for this waybill (most likely the earlier attempt with "
            f"this idempotency key, whose outcome was unknown); the carrier said: {result.message}"
        ),
    )


def once_per_key(
    ledger: KeyLedger,
    key: str,
    intent: Intent,
    send: Callable[[], InterceptResult],
    *,
    refresh: Optional[Callable[[InterceptResult], Optional[InterceptResult]]] = None,
) -> InterceptResult:
    """Send ``intent`` under ``key`` once; a repeat with the same key gets the first answer.

    Args:
        ledger: the client's keys.
        key: the idempotency key (the request id the call carries).
        intent: the call; the key is refused for any other.
        send: sends the call (with :func:`send_once`).
        refresh: for carriers with a status query, the current state of a PENDING first
            answer (None to keep the first answer).

    Returns:
        The first call's answer (refreshed while pending); after an earlier
        :class:`OutcomeUnknownError` or a definite error (nothing happened), the answer of a
        resend, with a "duplicate" refusal read as PENDING after an unknown outcome.

    Raises:
        IdempotencyError: ``key`` belongs to another call; nothing was sent.
    """
    with ledger.claim(key, intent) as entry:
        first = entry.result
        if first is not None:
            if first.status is InterceptStatus.PENDING and refresh is not None:
                current = refresh(first)
                if current is not None:
                    entry.result = current
                    return current
            log.info("%s: idempotency key %r repeated; returning the first answer", intent, key)
            return first
        resuming = entry.unknown
        try:
            result = send()
        except OutcomeUnknownError:
            entry.unknown = True
            raise
        if resuming:
            result = _resumed(result)
        entry.result = result
        return result

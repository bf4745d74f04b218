"""Sending a state-changing request (intercept, cancel) so that it is never duplicated silently."""

from __future__ import annotations

import logging
from typing import Callable, Optional

from attrs import frozen

from ._retry import Retrier, is_retryable
from .errors import KsCarriersError, OutcomeUnknownError, RateLimitError, TransportError
from .models import InterceptResult

__all__ = ["StateChange", "may_have_landed", "send_once"]

log = logging.getLogger("kscarriers.client")


def may_have_landed(exc: BaseException) -> bool:
    """Whether ``exc`` leaves open that the carrier acted on the request.

    A connection that was never made, and a rate-limit refusal, prove it did not: those are
    safe to resend. A timeout after sending, a reset or a 5xx may hide a processed request.
    """
    if isinstance(exc, TransportError):
        return exc.maybe_sent
    return not isinstance(exc, RateLimitError)


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

    Raises:
        OutcomeUnknownError: the request may have landed and that could not be settled; it
            carries the request id to resend with where the carrier dedupes.
    """
    describe = str(change)
    if deduped:
        try:
            return retrier.call(attempt, describe=describe)
        except KsCarriersError as exc:
            if not is_retryable(exc) or not may_have_landed(exc):
                raise
            # Out of retries and the last attempt may have landed: hand back the id, since
            # resending with the same idempotency key is safe for this carrier.
            raise change.unknown(
                f"{exc}; resending with idempotency_key={change.request_id!r} is safe"
            ) from exc

    def attempt_or_settle() -> InterceptResult:
        try:
            return attempt()
        except KsCarriersError as exc:
            if not is_retryable(exc) or not may_have_landed(exc):
                raise
            if settle is None:
                raise change.unknown(str(exc)) from exc
            try:
                found = settle()
            except KsCarriersError as settle_exc:
                raise change.unknown(f"{exc}; status check failed: {settle_exc}") from exc
            if found is not None:
                log.info("%s settled by status check: %s", describe, found.status.value)
                return found
            raise  # settled as "not landed": the retry policy may resend

    return retrier.call(attempt_or_settle, describe=describe)

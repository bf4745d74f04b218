"""Retrying with tenacity: which errors are retried, how long to wait, and the retry budget."""

from __future__ import annotations

import random
import threading
import time
from typing import Callable, Optional, TypeVar

import tenacity

from ._logging import CallLog
from .config import RetryPolicy
from .errors import KsCarriersError

__all__ = ["Retrier", "RetryBudget", "is_retryable"]

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    """Whether the retry policy may try again after ``exc``.

    Only kscarriers errors flagged ``retryable`` qualify: retryable transport errors
    (timeouts, connection failures), rate limits, carrier 5xx and the carrier envelope codes
    that mean "try again".
    """
    return isinstance(exc, KsCarriersError) and exc.retryable


class RetryBudget:
    """A token bucket shared by all calls of one client (botocore's retry quota).

    Each retry spends one token; each call that succeeds returns ``refill`` tokens, up to the
    capacity. When the bucket is empty no call is retried, so a carrier outage costs one
    request per call rather than ``max_attempts``.
    """

    def __init__(self, capacity: float, *, refill: float = 0.1) -> None:
        self.capacity = capacity
        self.refill = refill
        self._tokens = capacity
        self._lock = threading.Lock()

    @property
    def tokens(self) -> float:
        """Tokens left."""
        with self._lock:
            return self._tokens

    def try_spend(self, cost: float = 1.0) -> bool:
        """Take ``cost`` tokens if there are that many; say whether it did."""
        with self._lock:
            if self._tokens < cost:
                return False
            self._tokens -= cost
            return True

    def deposit(self) -> None:
        """Return a share of a token after a success."""
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + self.refill)


class Retrier:
    """Runs a call under a :class:`RetryPolicy`.

    Args:
        policy: attempts, backoff and total time.
        budget: the client's shared retry budget.
        sleep: how to wait; tests pass a recorder so that no real time passes.
        monotonic: the clock the total timeout is measured on.
        rng: the random source for jitter.
    """

    def __init__(
        self,
        policy: RetryPolicy,
        *,
        budget: Optional[RetryBudget] = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Optional[random.Random] = None,
    ) -> None:
        self.policy = policy
        self.budget = budget if budget is not None else RetryBudget(policy.budget)
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()

    def backoff(self, attempt: int, exc: Optional[BaseException]) -> float:
        """Seconds to wait before attempt ``attempt + 1``.

        A carrier's Retry-After wins over our own backoff; otherwise exponential backoff
        with full jitter, capped at ``max_wait``.
        """
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None and retry_after >= 0:
            return float(retry_after)
        ceiling = min(self.policy.max_wait, self.policy.initial * (2 ** (attempt - 1)))
        return self._rng.uniform(0, ceiling)

    def call(
        self,
        fn: Callable[[], T],
        *,
        describe: str,
        context: Optional[CallLog] = None,
        on_give_up: Optional[Callable[[KsCarriersError], KsCarriersError]] = None,
    ) -> T:
        """Call ``fn`` until it succeeds, fails for good, or the policy runs out.

        Only :func:`is_retryable` errors are retried; the last error is re-raised unchanged,
        or as ``on_give_up`` turns it (raised from it). A retry is logged as one WARNING line
        and the final failure as one INFO line (logger ``kscarriers.retry``, fields in
        ``record.kscarriers``: see docs/logging.md); ``context`` names the call in them.

        The first attempt is a plain call: tenacity is entered only once a retryable error
        means a retry may be needed (most calls succeed at once, and tenacity's bookkeeping
        costs tens of microseconds). It then starts from that failed first attempt, so the
        stop, wait, budget and logging decisions are the same as if it had made the attempt.
        """
        started = self._monotonic()
        try:
            result = fn()
        except BaseException as exc:
            if not is_retryable(exc):
                if not isinstance(exc, KsCarriersError):
                    raise
                final = self._give_up(
                    exc, context, describe, attempts=1, reason="not_retryable", on_give_up=on_give_up
                )
                if final is exc:
                    raise
                raise final from exc
            first: Optional[BaseException] = exc
        else:
            self.budget.deposit()
            return result
        return self._retry(
            fn, first, started=started, describe=describe, context=context, on_give_up=on_give_up
        )

    def _context(self, context: Optional[CallLog], describe: str) -> CallLog:
        if context is not None:
            return context
        return CallLog(describe, max_attempts=self.policy.max_attempts)

    def _give_up(
        self,
        exc: KsCarriersError,
        context: Optional[CallLog],
        describe: str,
        *,
        attempts: int,
        reason: str,
        on_give_up: Optional[Callable[[KsCarriersError], KsCarriersError]],
    ) -> KsCarriersError:
        """The error to raise for the call's final failure ``exc``, logged."""
        final = on_give_up(exc) if on_give_up is not None else exc
        self._context(context, describe).gave_up(
            final, attempts=attempts, reason=reason, cause=exc if final is not exc else None
        )
        return final

    def _retry(
        self,
        fn: Callable[[], T],
        first: Optional[BaseException],
        *,
        started: float,
        describe: str,
        context: Optional[CallLog],
        on_give_up: Optional[Callable[[KsCarriersError], KsCarriersError]],
    ) -> T:
        """Go on under tenacity after ``first``, the retryable error of the first attempt."""
        calllog = self._context(context, describe)
        attempts = 0
        stopped = "not_retryable"  # why tenacity stopped, when a stop decision ended the call

        def attempt() -> T:
            nonlocal first, attempts
            attempts += 1
            if first is not None:
                # Tenacity's first attempt replays the failure that already happened.
                failed, first = first, None
                raise failed
            return fn()

        def elapsed(state: tenacity.RetryCallState) -> float:
            return max(self._monotonic() - started, state.idle_for)

        def should_stop(state: tenacity.RetryCallState) -> bool:
            nonlocal stopped
            if state.attempt_number >= self.policy.max_attempts:
                stopped = "max_attempts"
                return True
            upcoming = state.upcoming_sleep or 0.0
            if elapsed(state) + upcoming > self.policy.total_timeout:
                stopped = "total_timeout"
                return True
            # Spend from the budget last, only when we would otherwise retry.
            if not self.budget.try_spend():
                stopped = "budget"
                calllog.budget_exhausted(_failure(state), attempt=state.attempt_number)
                return True
            return False

        def wait(state: tenacity.RetryCallState) -> float:
            return self.backoff(state.attempt_number, _failure(state))

        def before_sleep(state: tenacity.RetryCallState) -> None:
            failure = _failure(state)
            if failure is not None:
                calllog.retry(
                    failure,
                    attempt=state.attempt_number,
                    of=self.policy.max_attempts,
                    wait=state.upcoming_sleep,
                )

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(is_retryable),
            wait=wait,
            stop=should_stop,
            sleep=self._sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            result = retrying(attempt)
        except KsCarriersError as exc:
            final = self._give_up(
                exc, calllog, describe, attempts=attempts, reason=stopped, on_give_up=on_give_up
            )
            if final is exc:
                raise
            raise final from exc
        self.budget.deposit()
        return result


def _failure(state: tenacity.RetryCallState) -> Optional[BaseException]:
    """The exception of the attempt ``state`` describes (None if it returned)."""
    return state.outcome.exception() if state.outcome else None

"""Retry policy: what is retried, backoff, Retry-After, total time and the retry budget."""

from __future__ import annotations

import random

import pytest

from kscarriers import RetryPolicy
from kscarriers._retry import Retrier, RetryBudget, is_retryable
from kscarriers.errors import AuthenticationError, CarrierServerError, RateLimitError, TimeoutError


class Flaky:
    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def server_error():
    return CarrierServerError(carrier="zto", code="S203", message="busy")


def make(policy=None, **kwargs):
    sleeps = []
    retrier = Retrier(
        policy or RetryPolicy(max_attempts=3), sleep=sleeps.append, rng=random.Random(1), **kwargs
    )
    return retrier, sleeps


def test_retryable_error_is_retried_until_success():
    retrier, sleeps = make()
    fn = Flaky(server_error(), TimeoutError("t"))
    assert retrier.call(fn, describe="t") == "ok"
    assert fn.calls == 3 and len(sleeps) == 2


def test_non_retryable_error_is_raised_at_once():
    retrier, sleeps = make()
    fn = Flaky(AuthenticationError(carrier="zto", code="S211", message="签名错误"))
    with pytest.raises(AuthenticationError):
        retrier.call(fn, describe="t")
    assert fn.calls == 1 and sleeps == []


def test_attempts_are_bounded_and_last_error_is_reraised():
    retrier, _ = make()
    errors = [server_error() for _ in range(5)]
    fn = Flaky(*errors)
    with pytest.raises(CarrierServerError) as info:
        retrier.call(fn, describe="t")
    assert fn.calls == 3 and info.value is errors[2]


def test_retry_after_is_honoured_exactly():
    retrier, sleeps = make()
    fn = Flaky(RateLimitError(carrier="zto", code="HTTP429", message="slow down", retry_after=7))
    retrier.call(fn, describe="t")
    assert sleeps == [7.0]


def test_retry_after_beyond_total_timeout_gives_up_rather_than_retrying_early():
    retrier, sleeps = make(RetryPolicy(max_attempts=3, total_timeout=5))
    fn = Flaky(RateLimitError(carrier="zto", code="HTTP429", message="slow down", retry_after=60))
    with pytest.raises(RateLimitError):
        retrier.call(fn, describe="t")
    assert sleeps == [] and fn.calls == 1


def test_backoff_is_exponential_with_full_jitter_and_capped():
    retrier, _ = make(RetryPolicy(max_attempts=10, initial=1.0, max_wait=4.0, total_timeout=1000))
    for attempt, ceiling in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 4.0)]:
        waits = [retrier.backoff(attempt, None) for _ in range(200)]
        assert all(0 <= w <= ceiling for w in waits)
        assert max(waits) > ceiling * 0.8


def test_budget_exhaustion_stops_retries_so_an_outage_does_not_multiply_traffic():
    budget = RetryBudget(2)
    retrier, _ = make(RetryPolicy(max_attempts=5, initial=0, total_timeout=100), budget=budget)
    calls = 0
    for _ in range(3):
        fn = Flaky(*[server_error() for _ in range(10)])
        with pytest.raises(CarrierServerError):
            retrier.call(fn, describe="t")
        calls += fn.calls
    assert calls == 3 + 2  # two retries in all, then one attempt per call
    assert budget.tokens == 0


def test_success_refills_the_budget_up_to_capacity():
    budget = RetryBudget(1, refill=0.5)
    assert budget.try_spend()
    budget.deposit()
    budget.deposit()
    budget.deposit()
    assert budget.tokens == 1


def test_is_retryable_only_for_flagged_kscarriers_errors():
    assert is_retryable(server_error())
    assert not is_retryable(ValueError())
    assert not is_retryable(AuthenticationError(carrier="zto", code="S211", message="x"))

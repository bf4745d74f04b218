"""The refund-intercept flow against a fake client and a fake clock: no carrier, no sleeping."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Iterable, List, Optional, Tuple

import pytest
from rules_builders import PAID, WAYBILL, delivered, in_transit, merchant, order, out_for_delivery, refund

from kscarriers.errors import ConnectError, KsCarriersError, ValidationError
from kscarriers.models import (
    Address,
    InterceptFailure,
    InterceptKind,
    InterceptResult,
    InterceptStatus,
    TrackResult,
)
from kscarriers.rules import OutcomeStatus, idempotency_key_for, run_refund_intercept


def result(
    status: InterceptStatus, failure: Optional[InterceptFailure] = None, waybill: str = WAYBILL
) -> InterceptResult:
    return InterceptResult(carrier="zto", waybill=waybill, status=status, failure=failure)


PENDING = result(InterceptStatus.PENDING)
SUCCEEDED = result(InterceptStatus.SUCCEEDED)


class FakeClock:
    def __init__(self) -> None:
        self.now = PAID + timedelta(days=1)
        self.slept: List[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


class FakeClient:
    """Records calls; answers from scripts (an exception in a script is raised)."""

    def __init__(
        self,
        *,
        tracking: Any = None,
        intercept: Any = PENDING,
        statuses: Iterable[Any] = (),
    ) -> None:
        self.tracking = tracking if tracking is not None else in_transit()
        self.intercept_answer = intercept
        self.statuses = list(statuses)
        self.calls: List[Tuple[str, Any]] = []

    def track(self, waybill: str, carrier: Optional[str] = None) -> TrackResult:
        self.calls.append(("track", (waybill, carrier)))
        if isinstance(self.tracking, Exception):
            raise self.tracking
        return self.tracking  # type: ignore[no-any-return]

    def intercept(
        self,
        waybill: str,
        *,
        carrier: Optional[str] = None,
        kind: InterceptKind = InterceptKind.RETURN_TO_SENDER,
        new_address: Optional[Address] = None,
        reason: str,
        idempotency_key: Optional[str] = None,
    ) -> InterceptResult:
        self.calls.append(("intercept", (waybill, carrier, kind, idempotency_key)))
        if isinstance(self.intercept_answer, Exception):
            raise self.intercept_answer
        return self.intercept_answer  # type: ignore[no-any-return]

    def intercept_status(self, waybill: str, *, carrier: Optional[str] = None) -> InterceptResult:
        self.calls.append(("intercept_status", (waybill, carrier)))
        answer = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    def names(self) -> List[str]:
        return [name for name, _ in self.calls]


def run(client: FakeClient, clock: FakeClock, **overrides: Any) -> Any:
    kwargs: dict[str, Any] = dict(
        order=order(), merchant=merchant(), refund=refund(), clock=clock, sleep=clock.sleep
    )
    kwargs.update(overrides)
    return run_refund_intercept(client, **kwargs)


def test_ineligible_refund_never_calls_the_carrier() -> None:
    client, clock = FakeClient(), FakeClock()
    outcome = run(client, clock, merchant=merchant(intercept_agreement_signed=False))
    assert client.calls == []
    assert clock.slept == []
    assert outcome.status is OutcomeStatus.INELIGIBLE
    assert outcome.intercept is None
    assert not outcome.refund_auto_approvable
    assert "agreement not signed" in outcome.reason


def test_eligible_refund_is_intercepted_and_followed_to_success() -> None:
    client = FakeClient(statuses=[PENDING, PENDING, SUCCEEDED])
    clock = FakeClock()
    outcome = run(client, clock, poll_interval=timedelta(seconds=30))
    assert client.names() == ["track", "intercept"] + ["intercept_status"] * 3
    assert client.calls[1] == (
        "intercept",
        (WAYBILL, "zto", InterceptKind.RETURN_TO_SENDER, "refund-R-1"),
    )
    assert clock.slept == [30.0, 30.0, 30.0]
    assert outcome.status is OutcomeStatus.SUCCEEDED
    assert outcome.refund_auto_approvable
    assert outcome.idempotency_key == "refund-R-1"
    assert [entry.step for entry in outcome.timeline] == [
        "eligibility",
        "tracked",
        "requested",
        "polled",
        "polled",
        "polled",
        "outcome",
    ]


def test_immediate_final_answer_needs_no_polling() -> None:
    client, clock = FakeClient(intercept=SUCCEEDED), FakeClock()
    outcome = run(client, clock)
    assert client.names() == ["track", "intercept"]
    assert outcome.refund_auto_approvable


def test_carrier_failure_is_final_and_not_approvable() -> None:
    failed = result(InterceptStatus.FAILED, InterceptFailure.OUT_FOR_DELIVERY)
    client, clock = FakeClient(statuses=[failed]), FakeClock()
    outcome = run(client, clock)
    assert outcome.status is OutcomeStatus.FAILED
    assert not outcome.refund_auto_approvable
    assert outcome.reason == "intercept failed: out_for_delivery"


def test_push_is_used_before_polling() -> None:
    pushes: List[List[InterceptResult]] = [
        [],
        [result(InterceptStatus.PENDING), result(InterceptStatus.SUCCEEDED, waybill="OTHER"), SUCCEEDED],
    ]
    client, clock = FakeClient(statuses=[PENDING]), FakeClock()
    outcome = run(client, clock, push_source=lambda: pushes.pop(0) if pushes else [])
    assert "intercept_status" not in client.names()
    assert outcome.status is OutcomeStatus.SUCCEEDED
    assert "push" in [entry.step for entry in outcome.timeline]


def test_deadline_returns_pending_without_raising() -> None:
    client, clock = FakeClient(statuses=[PENDING]), FakeClock()
    start = clock.now
    outcome = run(client, clock, poll_interval=timedelta(seconds=40), deadline=timedelta(seconds=100))
    assert outcome.status is OutcomeStatus.PENDING
    assert not outcome.refund_auto_approvable
    assert clock.slept == [40.0, 40.0, 20.0], "never sleeps past the deadline"
    assert clock.now - start == timedelta(seconds=100)
    assert client.names().count("intercept_status") == 3


def test_zero_deadline_requests_once_and_returns_pending() -> None:
    client, clock = FakeClient(), FakeClock()
    outcome = run(client, clock, deadline=timedelta(0))
    assert client.names() == ["track", "intercept"]
    assert outcome.status is OutcomeStatus.PENDING


def test_poll_errors_are_recorded_and_polling_goes_on() -> None:
    client = FakeClient(statuses=[ConnectError("reset"), SUCCEEDED])
    outcome = run(client, FakeClock())
    assert outcome.status is OutcomeStatus.SUCCEEDED
    assert "poll_failed" in [entry.step for entry in outcome.timeline]


def test_tracking_error_does_not_stop_the_intercept() -> None:
    client = FakeClient(tracking=ConnectError("down"), intercept=SUCCEEDED)
    outcome = run(client, FakeClock())
    assert client.names() == ["track", "intercept"]
    assert outcome.refund_auto_approvable


def test_intercept_request_errors_propagate() -> None:
    client = FakeClient(intercept=ConnectError("down"))
    with pytest.raises(KsCarriersError):
        run(client, FakeClock())


def test_signed_parcel_found_by_tracking_is_ineligible_and_not_intercepted() -> None:
    client, clock = FakeClient(tracking=delivered()), FakeClock()
    outcome = run(client, clock)
    assert client.names() == ["track"]
    assert outcome.status is OutcomeStatus.INELIGIBLE
    assert "already signed" in outcome.reason


def test_out_for_delivery_is_not_intercepted_by_default() -> None:
    client = FakeClient(tracking=out_for_delivery())
    outcome = run(client, FakeClock())
    assert client.names() == ["track"]
    assert outcome.status is OutcomeStatus.PREDICTED_FAILURE
    assert outcome.eligibility.eligible
    assert not outcome.refund_auto_approvable


def test_predicted_failure_can_still_be_requested() -> None:
    client = FakeClient(tracking=out_for_delivery(), intercept=SUCCEEDED)
    outcome = run(client, FakeClock(), skip_predicted_failures=False)
    assert client.names() == ["track", "intercept"]
    assert outcome.refund_auto_approvable


def test_given_tracking_is_not_fetched_again() -> None:
    client = FakeClient(intercept=SUCCEEDED)
    run(client, FakeClock(), tracking=in_transit())
    assert client.names() == ["intercept"]
    client = FakeClient(intercept=SUCCEEDED)
    run(client, FakeClock(), fetch_tracking=False)
    assert client.names() == ["intercept"]


def test_second_call_for_the_same_refund_reuses_the_key_and_follows_the_duplicate() -> None:
    first = FakeClient(intercept=PENDING, statuses=[SUCCEEDED])
    run(first, FakeClock())
    duplicate = result(InterceptStatus.FAILED, InterceptFailure.DUPLICATE_REQUEST)
    second = FakeClient(intercept=duplicate, statuses=[SUCCEEDED])
    outcome = run(second, FakeClock())
    keys = [args[3] for name, args in first.calls + second.calls if name == "intercept"]
    assert keys == ["refund-R-1", "refund-R-1"] == [idempotency_key_for(refund())] * 2
    assert outcome.status is OutcomeStatus.SUCCEEDED
    assert outcome.refund_auto_approvable


@pytest.mark.parametrize(
    "overrides",
    [{"poll_interval": timedelta(0)}, {"deadline": timedelta(seconds=-1)}],
)
def test_bad_timing_is_rejected(overrides: dict[str, Any]) -> None:
    client = FakeClient()
    with pytest.raises(ValidationError):
        run(client, FakeClock(), **overrides)
    assert client.calls == []


def test_naive_clock_is_rejected() -> None:
    client = FakeClient()
    with pytest.raises(ValidationError, match="clock"):
        run_refund_intercept(
            client,
            order=order(),
            merchant=merchant(),
            refund=refund(),
            clock=lambda: datetime(2023, 3, 9),
            sleep=lambda s: None,
        )

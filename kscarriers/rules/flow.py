"""The refund-intercept story: check, request, follow to a final result, decide the refund."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Callable, Iterable, List, Optional, Protocol, Tuple

from attrs import field, frozen

from kscarriers.errors import KsCarriersError, ValidationError
from kscarriers.models import (
    Address,
    InterceptFailure,
    InterceptKind,
    InterceptResult,
    InterceptStatus,
    TrackResult,
)
from kscarriers.rules import _checks
from kscarriers.rules.eligibility import EligibilityReport, check_eligibility
from kscarriers.rules.facts import Merchant, Order, Refund

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_POLL_INTERVAL",
    "InterceptClient",
    "OutcomeStatus",
    "RefundOutcome",
    "TimelineEntry",
    "idempotency_key_for",
    "run_refund_intercept",
]

#: How long the flow follows an intercept before answering "still pending".
DEFAULT_DEADLINE = timedelta(minutes=10)
#: How often the flow asks for the intercept's status while no push has settled it.
DEFAULT_POLL_INTERVAL = timedelta(seconds=30)


class InterceptClient(Protocol):
    """The part of :class:`kscarriers.Client` the flow uses (a fake will do in tests)."""

    def intercept(
        self,
        waybill: str,
        *,
        carrier: Optional[str] = ...,
        kind: InterceptKind = ...,
        new_address: Optional[Address] = ...,
        reason: str,
        idempotency_key: Optional[str] = ...,
    ) -> InterceptResult:
        """Request an intercept."""
        ...

    def intercept_status(self, waybill: str, *, carrier: Optional[str] = ...) -> InterceptResult:
        """Ask for the intercept's current state."""
        ...

    def track(self, waybill: str, carrier: Optional[str] = ...) -> TrackResult:
        """Fetch the waybill's tracking."""
        ...


class OutcomeStatus(str, enum.Enum):
    """How the refund-intercept story ended."""

    INELIGIBLE = "ineligible"
    PREDICTED_FAILURE = "predicted_failure"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    PENDING = "pending"


@frozen(kw_only=True)
class TimelineEntry:
    """One step of the story, at the injected clock's time."""

    at: datetime
    step: str
    detail: str = ""


@frozen(kw_only=True)
class RefundOutcome:
    """What :func:`run_refund_intercept` found.

    Attributes:
        status: How the story ended; ``PENDING`` when the deadline passed first.
        eligibility: The eligibility report the decision was based on.
        intercept: The carrier's latest answer, or None when no intercept was requested.
        idempotency_key: The key the intercept was requested with.
        reason: A one-line human summary.
        timeline: Every step, in order.
    """

    status: OutcomeStatus
    eligibility: EligibilityReport
    intercept: Optional[InterceptResult] = None
    idempotency_key: str = ""
    reason: str = ""
    timeline: Tuple[TimelineEntry, ...] = field(factory=tuple)

    @property
    def refund_auto_approvable(self) -> bool:
        """True only when the intercept succeeded: then the platform approves the refund."""
        return self.intercept is not None and self.intercept.refund_auto_approvable


def idempotency_key_for(refund: Refund) -> str:
    """The intercept idempotency key of a refund: the same refund always gets the same key."""
    return f"refund-{refund.refund_id}"


_FINAL_STATUS = {
    InterceptStatus.SUCCEEDED: OutcomeStatus.SUCCEEDED,
    InterceptStatus.FAILED: OutcomeStatus.FAILED,
    InterceptStatus.CANCELLED: OutcomeStatus.CANCELLED,
    InterceptStatus.PENDING: OutcomeStatus.PENDING,
}


def run_refund_intercept(
    client: InterceptClient,
    *,
    order: Order,
    merchant: Merchant,
    refund: Refund,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None],
    tracking: Optional[TrackResult] = None,
    fetch_tracking: bool = True,
    skip_predicted_failures: bool = True,
    push_source: Optional[Callable[[], Iterable[InterceptResult]]] = None,
    poll_interval: timedelta = DEFAULT_POLL_INTERVAL,
    deadline: timedelta = DEFAULT_DEADLINE,
    reason: str = "buyer requested a refund after shipment",
) -> RefundOutcome:
    """Check eligibility, request the intercept, follow it to a final result.

    1. The platform facts are checked first; if any condition fails, no carrier is called.
    2. With ``fetch_tracking`` (and no ``tracking`` given) the parcel is tracked, and the
       check is repeated with it: a signed parcel is ineligible, and with
       ``skip_predicted_failures`` a parcel out for delivery is not intercepted (the carrier
       would refuse). A tracking error is recorded and the flow goes on without it.
    3. The intercept is requested with :func:`idempotency_key_for`, so calling the flow twice
       for the same refund re-uses the key and the carrier dedupes. A ``DUPLICATE_REQUEST``
       refusal is therefore followed like a pending intercept.
    4. While the answer is pending: results from ``push_source`` (for this waybill) are used
       first; otherwise the flow sleeps ``poll_interval`` (never past the deadline) and asks
       ``intercept_status``. Status errors are recorded and polling goes on.
    5. At the deadline the outcome is ``PENDING`` and not auto-approvable; nothing is raised.

    Args:
        client: A :class:`kscarriers.Client`, or anything with the same three methods.
        order: The order; it must have exactly one parcel to be eligible.
        merchant: The merchant's facts.
        refund: The refund request.
        clock: Returns the current aware time; used for the deadline and the timeline.
        sleep: Sleeps for the given seconds (inject a fake in tests).
        tracking: The parcel's tracking, if already at hand.
        fetch_tracking: Whether to track the parcel when ``tracking`` is not given.
        skip_predicted_failures: Whether to skip an intercept the tracking says will fail.
        push_source: Called before each poll; returns intercept results parsed from pushes.
        poll_interval: Time between status polls.
        deadline: How long to follow the intercept after requesting it.
        reason: The reason sent to the carrier.

    Returns:
        The RefundOutcome; ``refund_auto_approvable`` is True only on success.

    Raises:
        ValidationError: if ``poll_interval`` is not positive or ``deadline`` is negative (a zero
            deadline requests the intercept and reports it without following it).
        KsCarriersError: if the intercept request itself fails (for example
            :class:`~kscarriers.errors.OutcomeUnknownError`); calling again is safe.
    """
    if poll_interval <= timedelta(0):
        raise ValidationError(field="poll_interval", reason="must be positive")
    if deadline < timedelta(0):
        raise ValidationError(field="deadline", reason="must not be negative")
    timeline: List[TimelineEntry] = []

    def note(step: str, detail: str = "") -> None:
        timeline.append(TimelineEntry(at=_checks.aware("clock()", clock()), step=step, detail=detail))

    def finish(
        status: OutcomeStatus,
        report: EligibilityReport,
        summary: str,
        result: Optional[InterceptResult] = None,
        key: str = "",
    ) -> RefundOutcome:
        note("outcome", summary)
        return RefundOutcome(
            status=status,
            eligibility=report,
            intercept=result,
            idempotency_key=key,
            reason=summary,
            timeline=tuple(timeline),
        )

    report = check_eligibility(order=order, merchant=merchant, refund=refund, tracking=tracking)
    note("eligibility", "eligible" if report.eligible else "ineligible")
    if not report.eligible:
        return finish(OutcomeStatus.INELIGIBLE, report, _failures_text(report))
    parcel = order.parcels[0]
    if tracking is None and fetch_tracking:
        try:
            tracking = client.track(parcel.waybill, carrier=parcel.carrier)
        except KsCarriersError as exc:
            note("track_failed", str(exc))
        else:
            note("tracked", f"latest status {tracking.status.value}")
            report = check_eligibility(order=order, merchant=merchant, refund=refund, tracking=tracking)
            if not report.eligible:
                return finish(OutcomeStatus.INELIGIBLE, report, _failures_text(report))
    prediction = report.carrier_prediction
    if prediction is not None and skip_predicted_failures:
        return finish(
            OutcomeStatus.PREDICTED_FAILURE,
            report,
            f"not requested: carrier would likely refuse ({prediction.message})",
        )

    key = idempotency_key_for(refund)
    result = client.intercept(
        parcel.waybill,
        carrier=parcel.carrier,
        kind=InterceptKind.RETURN_TO_SENDER,
        reason=reason,
        idempotency_key=key,
    )
    note("requested", f"{result.status.value} (key {key})")
    if result.failure is InterceptFailure.DUPLICATE_REQUEST:
        # Our own earlier request (same refund, same key) is already with the carrier.
        result = InterceptResult(
            carrier=result.carrier,
            waybill=result.waybill,
            status=InterceptStatus.PENDING,
            raw_code=result.raw_code,
            message=result.message,
            request_id=result.request_id,
        )
    deadline_at = _checks.aware("clock()", clock()) + deadline
    while not result.status.is_final:
        pushed = _pushed(push_source, parcel.waybill)
        if pushed is not None:
            result = pushed
            note("push", result.status.value)
            continue
        remaining = (deadline_at - _checks.aware("clock()", clock())).total_seconds()
        if remaining <= 0:
            return finish(
                OutcomeStatus.PENDING,
                report,
                "deadline passed with the intercept pending",
                result,
                key,
            )
        sleep(min(poll_interval.total_seconds(), remaining))
        pushed = _pushed(push_source, parcel.waybill)
        if pushed is not None:
            result = pushed
            note("push", result.status.value)
            continue
        try:
            result = client.intercept_status(parcel.waybill, carrier=parcel.carrier)
        except KsCarriersError as exc:
            note("poll_failed", str(exc))
        else:
            note("polled", result.status.value)
    summary = f"intercept {result.status.value}"
    if result.failure is not None:
        summary += f": {result.failure.value}"
    return finish(_FINAL_STATUS[result.status], report, summary, result, key)


def _pushed(
    source: Optional[Callable[[], Iterable[InterceptResult]]], waybill: str
) -> Optional[InterceptResult]:
    """The last final result pushed for the waybill; pending pushes change nothing."""
    if source is None:
        return None
    mine = [r for r in source() if r.waybill == waybill]
    final = [r for r in mine if r.status.is_final]
    if final:
        return final[-1]
    return None


def _failures_text(report: EligibilityReport) -> str:
    return "ineligible: " + "; ".join(failure.message for failure in report.failures)

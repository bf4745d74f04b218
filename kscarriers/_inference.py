"""Results inferred from tracking alone: returns reaching the sender, intercept outcomes."""

from __future__ import annotations

from typing import List, Optional, Tuple

from attrs import evolve

from .models import (
    InterceptFailure,
    InterceptKind,
    InterceptResult,
    InterceptStatus,
    TrackingEvent,
    TrackingStatus,
    TrackingSubStatus,
    TrackResult,
)

__all__ = ["intercept_from_tracking", "relabel_returns"]


def relabel_returns(result: TrackResult) -> TrackResult:
    """Read a delivery that follows a return scan as the parcel reaching its sender.

    Most carriers end the return leg with their ordinary sign scan; only the order of events
    tells it apart from a delivery to the buyer. The raw code is kept unchanged.
    """
    events: Optional[List[TrackingEvent]] = None  # copied at the first change only
    returning = False
    for index, event in enumerate(result.events):
        if event.status is TrackingStatus.RETURNING:
            returning = True
        elif returning and event.status is TrackingStatus.DELIVERED:
            if events is None:
                events = list(result.events)
            events[index] = evolve(
                event, status=TrackingStatus.RETURNED, sub_status=TrackingSubStatus.RETURNED_TO_SENDER
            )
    return result if events is None else evolve(result, events=events)


def _outcome(
    tracking: TrackResult, kind: InterceptKind
) -> Tuple[InterceptStatus, Optional[InterceptFailure]]:
    delivered_now = tracking.status is TrackingStatus.DELIVERED
    if kind is InterceptKind.CHANGE_ADDRESS:
        forwarded = any(e.sub_status is TrackingSubStatus.FORWARDED for e in tracking.events)
        if forwarded or delivered_now:
            return InterceptStatus.SUCCEEDED, None
        return InterceptStatus.PENDING, None
    if delivered_now:
        return InterceptStatus.FAILED, InterceptFailure.ALREADY_SIGNED
    if any(e.status in (TrackingStatus.RETURNING, TrackingStatus.RETURNED) for e in tracking.events):
        return InterceptStatus.SUCCEEDED, None
    return InterceptStatus.PENDING, None


def intercept_from_tracking(carrier: str, tracking: TrackResult, kind: InterceptKind) -> InterceptResult:
    """An accepted intercept's state, read from the parcel's tracking (``raw_status`` says so).

    Only the parcel's latest meaningful state (:attr:`TrackResult.current`) counts as a
    delivery: a delivery scan followed by a take-out, redelivery or return scan is not one.
    Return to sender: delivered now means FAILED (already signed); otherwise a return scan
    means SUCCEEDED (the return leg's ordinary transit scans follow it); anything else PENDING.
    Change address: a forwarding scan, or delivered now, means SUCCEEDED; anything else PENDING.
    Meaningful only after the carrier accepted an intercept.
    """
    status, failure = _outcome(tracking, kind)
    latest = tracking.current or tracking.latest
    return InterceptResult(
        carrier=carrier,
        waybill=tracking.waybill,
        status=status,
        failure=failure,
        raw_status="derived_from_tracking",
        raw_code=latest.raw_code if latest else "",
        updated_at=latest.time if latest else None,
    )

"""Models: converters, invariants, sub-status to status, latest event."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import attrs
import pytest

from kscarriers import (
    CHINA_TZ,
    InterceptFailure,
    InterceptKind,
    InterceptRequest,
    InterceptResult,
    InterceptStatus,
    TrackingEvent,
    TrackingStatus,
    TrackingSubStatus,
    TrackResult,
)


def event(minutes, status=TrackingStatus.IN_TRANSIT, sub=TrackingSubStatus.ARRIVED_AT_FACILITY):
    return TrackingEvent(
        time=datetime(2024, 1, 1, 8, 0) + timedelta(minutes=minutes),
        status=status,
        sub_status=sub,
        raw_code="x",
    )


def test_naive_times_are_taken_as_china_time():
    assert event(0).time.tzinfo is CHINA_TZ


def test_aware_times_are_kept():
    e = TrackingEvent(
        time=datetime(2024, 1, 1, tzinfo=timezone.utc),
        status=TrackingStatus.UNKNOWN,
        sub_status=TrackingSubStatus.UNRECOGNISED,
        raw_code="",
    )
    assert e.time.tzinfo is timezone.utc


def test_every_sub_status_belongs_to_one_status():
    for sub in TrackingSubStatus:
        assert isinstance(sub.status, TrackingStatus)
    assert TrackingSubStatus.SIGNED_BY_PROXY.status is TrackingStatus.DELIVERED


def test_latest_is_by_time_not_by_position():
    result = TrackResult(
        carrier="zto",
        waybill=" yt1 ",
        events=[event(10, TrackingStatus.DELIVERED, TrackingSubStatus.SIGNED_BY_RECIPIENT), event(0)],
    )
    assert result.waybill == "YT1"
    assert result.status is TrackingStatus.DELIVERED and result.is_signed


def test_models_are_frozen():
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event(0).raw_code = "y"  # type: ignore[misc]


def test_failure_is_set_exactly_when_failed():
    with pytest.raises(ValueError):
        InterceptResult(carrier="zto", waybill="1", status=InterceptStatus.FAILED)
    with pytest.raises(ValueError):
        InterceptResult(
            carrier="zto",
            waybill="1",
            status=InterceptStatus.PENDING,
            failure=InterceptFailure.ALREADY_SIGNED,
        )


@pytest.mark.parametrize("status", list(InterceptStatus))
def test_only_success_makes_the_refund_auto_approvable(status):
    failure = InterceptFailure.OUT_FOR_DELIVERY if status is InterceptStatus.FAILED else None
    result = InterceptResult(carrier="zto", waybill="1", status=status, failure=failure)
    assert result.refund_auto_approvable is (status is InterceptStatus.SUCCEEDED)
    assert status.is_final is (status is not InterceptStatus.PENDING)


def test_change_address_request_needs_an_address():
    with pytest.raises(ValueError):
        InterceptRequest(waybill="1", kind=InterceptKind.CHANGE_ADDRESS, reason="r", request_id="x")


def test_raise_for_failure_raises_only_for_failed_results():
    from kscarriers import InterceptRejectedError

    ok = InterceptResult(carrier="zto", waybill="1", status=InterceptStatus.PENDING)
    assert ok.raise_for_failure() is ok
    failed = InterceptResult(
        carrier="zto",
        waybill="1",
        status=InterceptStatus.FAILED,
        failure=InterceptFailure.ALREADY_SIGNED,
        raw_code="E23101",
        message="快件已签收",
    )
    with pytest.raises(InterceptRejectedError, match="E23101"):
        failed.raise_for_failure()


def test_trusted_tracking_event_equals_the_one_the_public_constructor_makes() -> None:
    raw = {"scanType": "签收"}
    fields = dict(
        status=TrackingStatus.DELIVERED,
        sub_status=TrackingSubStatus.SIGNED_BY_RECIPIENT,
        raw_code="签收",
        description="d",
        location="l",
        province="p",
        city="c",
        operator="o",
        signer="s",
        problem_code="",
        raw=raw,
    )
    for when in (datetime(2026, 1, 2, 3, 4, 5, tzinfo=CHINA_TZ), datetime(2026, 1, 2, 3, 4, 5)):
        public = TrackingEvent(time=when, **fields)  # type: ignore[arg-type]
        trusted = TrackingEvent._trusted(when, *fields.values())  # type: ignore[arg-type]
        assert trusted == public and repr(trusted) == repr(public) and hash(trusted) == hash(public)
        assert trusted.time.tzinfo is CHINA_TZ and trusted.raw == raw and trusted.raw is not raw

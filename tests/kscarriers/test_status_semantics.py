"""A status is final only on evidence of delivery or return; the current state is the latest meaningful scan."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Dict, List

import pytest

from kscarriers._inference import intercept_from_tracking, relabel_returns
from kscarriers.carriers.jt import wire as jt_wire
from kscarriers.carriers.sto import wire as sto_wire
from kscarriers.carriers.zto import wire as zto_wire
from kscarriers.models import (
    CHINA_TZ,
    InterceptFailure,
    InterceptKind,
    InterceptStatus,
    TrackingEvent,
    TrackingStatus,
    TrackingSubStatus,
    TrackResult,
)

S = TrackingStatus
U = TrackingSubStatus
START = datetime(2024, 5, 3, 9, 0, tzinfo=CHINA_TZ)


def _zto(*scan_types: str) -> TrackResult:
    ms = int(START.timestamp() * 1000)
    scans = [{"scanType": t, "scanDate": ms + i * 3_600_000} for i, t in enumerate(scan_types)]
    events = [zto_wire.scan_from_wire(scan, i) for i, scan in enumerate(scans)]
    return TrackResult(carrier="zto", waybill="73100130019486", events=events)


def _sto(*scan_types: str) -> TrackResult:
    traces: List[Dict[str, Any]] = [
        {"scanType": t, "opTime": (START + timedelta(hours=i)).strftime("%Y-%m-%d %H:%M:%S")}
        for i, t in enumerate(scan_types)
    ]
    events = [sto_wire.trace_from_wire(trace, where=f"trace[{i}]") for i, trace in enumerate(traces)]
    return TrackResult(carrier="sto", waybill="777031922725111", events=events)


def _event(hours: int, status: TrackingStatus, sub: TrackingSubStatus, raw: str = "x") -> TrackingEvent:
    return TrackingEvent(time=START + timedelta(hours=hours), status=status, sub_status=sub, raw_code=raw)


def test_locker_take_out_after_locker_delivery_is_not_signed() -> None:
    # ZTO: into the third-party point (44), collected per the locker namespace (SIGNED), then
    # 第三方出站 (45): the courier took it back out to deliver again.
    result = _zto("收件", "派件", "44", "SIGNED", "45")
    assert result.status is S.OUT_FOR_DELIVERY
    assert result.sub_status is U.TAKEN_OUT_OF_PICKUP_POINT
    assert not result.is_signed and not result.is_final


def test_zto_scan_45_is_not_delivery() -> None:
    (event,) = _zto("45").events
    assert (event.status, event.sub_status) == (S.OUT_FOR_DELIVERY, U.TAKEN_OUT_OF_PICKUP_POINT)


@pytest.mark.parametrize("scan_type", ["快件取出", "驿站出库"])
def test_sto_take_out_scans_are_not_delivery(scan_type: str) -> None:
    result = _sto("派件", "柜机代收", scan_type)
    assert result.status is S.OUT_FOR_DELIVERY and not result.is_signed


def test_sto_take_out_after_a_sign_scan_undoes_the_signature() -> None:
    result = _sto("派件", "签收", "快件取出")
    assert not result.is_signed
    assert result.sub_status is U.TAKEN_OUT_OF_PICKUP_POINT


@pytest.mark.parametrize("node", ["8", "9"])
def test_jt_take_out_nodes_are_not_delivery(node: str) -> None:
    assert jt_wire.classify_scan(node, "") == (S.OUT_FOR_DELIVERY, U.TAKEN_OUT_OF_PICKUP_POINT)


def test_a_sign_scan_after_the_take_out_is_signed_again() -> None:
    assert _zto("44", "45", "签收").is_signed


def test_delivery_scan_followed_by_a_return_scan_is_not_signed() -> None:
    result = _zto("派件", "签收", "退件")
    assert result.status is S.RETURNING and not result.is_signed and not result.is_final


def test_an_unrecognised_scan_after_a_delivery_neither_confirms_nor_undoes_it() -> None:
    result = _zto("派件", "签收", "某个新扫描")
    assert result.latest is not None and result.latest.status is S.UNKNOWN
    assert result.current is not None and result.current.raw_code == "签收"
    assert result.status is S.DELIVERED and result.is_signed


def test_a_history_of_only_unrecognised_scans_has_no_current_state() -> None:
    result = _zto("某个新扫描")
    assert result.current is None
    assert (result.status, result.sub_status) == (S.UNKNOWN, U.UNRECOGNISED)
    assert not result.is_signed


def test_only_delivered_and_returned_are_final() -> None:
    assert {s for s in TrackingStatus if s.is_final} == {S.DELIVERED, S.RETURNED}


def test_returned_to_sender_is_final_but_not_signed() -> None:
    result = _zto("退件", "退件签收")
    assert result.status is S.RETURNED and result.is_final and not result.is_signed


def test_zto_push_problem_action_is_an_exception_not_unknown() -> None:
    event = zto_wire.push_trace_from_wire(
        {
            "action": "PROBLEM",
            "billCode": "73100130019486",
            "actionTime": "2024-05-03 10:00:00",
            "problemCode": "7",
        }
    ).tracking
    assert event is not None
    assert (event.status, event.sub_status, event.problem_code) == (S.EXCEPTION, U.EXCEPTION_OTHER, "7")


def test_zto_push_handover_scan_signed_is_at_the_station_not_delivered() -> None:
    # As logged by YangLiCon/docs: "快件已投递【常州景泰家园南门商铺2_10店】".
    event = zto_wire.push_trace_from_wire(
        {"action": "HANDOVERSCAN_SIGNED", "billCode": "73100196611386", "actionTime": "2025-05-22 15:08:53"}
    ).tracking
    assert event is not None and event.status is not S.DELIVERED


def test_intercept_pending_not_failed_when_a_delivery_scan_is_followed_by_a_take_out() -> None:
    result = intercept_from_tracking("zto", _zto("派件", "SIGNED", "45"), InterceptKind.RETURN_TO_SENDER)
    assert (result.status, result.failure) == (InterceptStatus.PENDING, None)


def test_intercept_succeeded_when_a_return_scan_follows_a_delivery_scan() -> None:
    result = intercept_from_tracking("zto", _zto("派件", "签收", "退件"), InterceptKind.RETURN_TO_SENDER)
    assert result.status is InterceptStatus.SUCCEEDED


def test_intercept_failed_already_signed_when_the_parcel_is_delivered_now() -> None:
    result = intercept_from_tracking("zto", _zto("派件", "签收"), InterceptKind.RETURN_TO_SENDER)
    assert (result.status, result.failure) == (InterceptStatus.FAILED, InterceptFailure.ALREADY_SIGNED)


def test_change_address_is_not_succeeded_by_a_delivery_scan_that_was_taken_back() -> None:
    result = intercept_from_tracking("zto", _zto("派件", "SIGNED", "45"), InterceptKind.CHANGE_ADDRESS)
    assert result.status is InterceptStatus.PENDING


def test_status_ties_are_broken_by_report_order() -> None:
    events = [
        _event(1, S.DELIVERED, U.SIGNED_BY_RECIPIENT),
        _event(1, S.OUT_FOR_DELIVERY, U.TAKEN_OUT_OF_PICKUP_POINT),
    ]
    result = TrackResult(carrier="zto", waybill="73100130019486", events=events)
    assert not result.is_signed


def test_a_delivery_after_a_return_scan_is_relabelled_returned_with_its_raw_code_kept() -> None:
    tracked = _zto("收件", "退件", "签收")
    relabelled = relabel_returns(tracked)
    last = relabelled.events[-1]
    assert (last.status, last.sub_status, last.raw_code) == (S.RETURNED, U.RETURNED_TO_SENDER, "签收")
    assert relabelled.events[:2] == tracked.events[:2] and tracked.events[-1].status is S.DELIVERED


def test_a_history_without_a_return_comes_back_as_the_same_result() -> None:
    tracked = _zto("收件", "签收", "退件")  # the return scan follows the delivery: nothing to relabel
    assert relabel_returns(tracked) is tracked
